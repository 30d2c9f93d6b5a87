// SPDX-License-Identifier: Apache-2.0
// thread_pool: N worker threads behind one queue. Every job posted through post() carries the
// submitter's context (C4); a worker's context slot is empty between jobs (C7), which the worker
// checks and repairs after every job.
#pragma once

#include <condition_variable>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "ctxflow/exec/bind_context.hpp"
#include "ctxflow/exec/scheduler.hpp"
#include "ctxflow/exec/unique_function.hpp"
#include "ctxflow/export.hpp"

namespace ctxflow::exec {

/// A fixed-size pool of worker threads.
///
/// Context: post() captures the caller's current context at submission; it is current inside
/// the job; the worker is back to the empty context afterwards, also when the job throws.
/// Thread safety: all member functions may be called from any thread, except that the
/// destructor and join() must not be called from a worker.
/// Errors: an exception escaping a job is reported as `exec.job.exception` and swallowed (there
/// is no caller to give it to); tasks keep their own exception channel (coro/task.hpp).
/// Lifetime: the destructor runs the jobs already queued, then joins the workers.
class thread_pool final : public scheduler {
 public:
  /// Starts `threads` workers (at least 1).
  CTXFLOW_API explicit thread_pool(std::size_t threads);
  CTXFLOW_API ~thread_pool() override;
  thread_pool(const thread_pool&) = delete;
  thread_pool& operator=(const thread_pool&) = delete;

  /// Queues `fn` with the current context bound to it.
  template <class Fn>
  void post(Fn&& fn) {
    post(as_is, unique_function(bind_context(std::forward<Fn>(fn))));
  }
  /// Same as post().
  template <class Fn>
  void execute(Fn&& fn) {
    post(std::forward<Fn>(fn));
  }

  CTXFLOW_API void post(as_is_t, unique_function job) noexcept override;
  CTXFLOW_API void post_handle(std::coroutine_handle<> h) noexcept override;

  /// Stops accepting work, runs what is queued and joins the workers. Idempotent.
  CTXFLOW_API void join() noexcept;

  std::size_t size() const noexcept { return workers_.size(); }
  /// True when called from one of this pool's workers.
  CTXFLOW_API bool running_in_this_thread() const noexcept;

  /// How many times a worker found a context left behind after a job and cleared it.
  std::uint64_t leaks_repaired() const noexcept {
    return leaks_repaired_.load(std::memory_order_relaxed);
  }

 private:
  struct item {
    std::coroutine_handle<> handle;
    unique_function job;
  };
  void worker_main() noexcept;
  void push(item it) noexcept;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<item> queue_;  // guarded by mu_
  bool stopping_ = false;   // guarded by mu_
  std::vector<std::thread> workers_;
  std::atomic<std::uint64_t> leaks_repaired_{0};
};

/// A process-wide pool for to_thread(), created on first use with max(2, hardware threads)
/// workers and joined at exit.
CTXFLOW_API thread_pool& default_pool() noexcept;

}  // namespace ctxflow::exec
