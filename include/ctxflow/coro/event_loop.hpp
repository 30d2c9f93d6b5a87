// SPDX-License-Identifier: Apache-2.0
// event_loop: a single-threaded run loop with timers (Python's asyncio loop), and run(task),
// which runs a task on a loop on the calling thread until it finishes (asyncio.run).
#pragma once

#include <chrono>
#include <condition_variable>
#include <coroutine>
#include <cstdint>
#include <deque>
#include <mutex>
#include <queue>
#include <utility>
#include <vector>

#include "ctxflow/coro/spawn.hpp"
#include "ctxflow/coro/task.hpp"
#include "ctxflow/exec/bind_context.hpp"
#include "ctxflow/exec/scheduler.hpp"
#include "ctxflow/export.hpp"

namespace ctxflow::coro {

/// A run loop: jobs, coroutine resumptions and timers, all run by the thread inside run().
///
/// Context: post() binds the submitter's context to the job (C4); tasks carry their own. The
/// loop thread's context is empty between jobs (checked and repaired after each one, C7).
/// Thread safety: post, post_handle, schedule_at and stop may be called from any thread; run()
/// from one thread at a time.
/// Errors: an exception escaping a posted job is reported as `exec.job.exception` and dropped.
class event_loop final : public exec::scheduler {
 public:
  using clock = std::chrono::steady_clock;

  CTXFLOW_API event_loop();
  CTXFLOW_API ~event_loop() override;
  event_loop(const event_loop&) = delete;
  event_loop& operator=(const event_loop&) = delete;

  template <class Fn>
  void post(Fn&& fn) {
    post(exec::as_is, exec::unique_function(bind_context(std::forward<Fn>(fn))));
  }
  CTXFLOW_API void post(exec::as_is_t, exec::unique_function job) noexcept override;
  CTXFLOW_API void post_handle(std::coroutine_handle<> h) noexcept override;
  /// Resumes `h` on this loop at or after `deadline`.
  CTXFLOW_API void schedule_at(clock::time_point deadline, std::coroutine_handle<> h) noexcept;

  /// Runs until stop() is called. Work queued after stop() stays queued for the next run().
  CTXFLOW_API void run() noexcept;
  /// Asks run() to return after the job it is running. Safe from any thread.
  CTXFLOW_API void stop() noexcept;

  /// The loop running on the calling thread, or null.
  CTXFLOW_API static event_loop* current() noexcept;

 private:
  struct item {
    std::coroutine_handle<> handle;
    exec::unique_function job;
  };
  struct timer {
    clock::time_point deadline;
    std::uint64_t seq;
    std::coroutine_handle<> handle;
    bool operator>(const timer& o) const noexcept {
      return deadline != o.deadline ? deadline > o.deadline : seq > o.seq;
    }
  };
  void push(item it) noexcept;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<item> queue_;  // guarded by mu_
  std::priority_queue<timer, std::vector<timer>, std::greater<>> timers_;  // guarded by mu_
  std::uint64_t timer_seq_ = 0;  // guarded by mu_
  bool stop_requested_ = false;  // guarded by mu_
};

namespace detail {
template <class T>
task<T> stop_loop_after(task<T> t, event_loop& loop) {
  struct stopper {
    event_loop& l;
    ~stopper() { l.stop(); }
  } s{loop};
  co_return co_await std::move(t);
}
}  // namespace detail

/// Runs `main` on a new event loop on the calling thread until it finishes, and returns its
/// result (Python's asyncio.run).
///
/// Context: `main` starts from a snapshot of the caller's context; the caller's context is
/// unchanged afterwards.
/// Errors: `main`'s exception is rethrown here.
template <class T>
T run(task<T> main) {
  event_loop loop;
  auto handle = detail::spawn_root(loop, detail::stop_loop_after(std::move(main), loop), false);
  loop.run();
  return handle.get();
}

}  // namespace ctxflow::coro
