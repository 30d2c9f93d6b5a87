// SPDX-License-Identifier: Apache-2.0
// scheduler: the small interface ctxflow's own executors (event_loop, thread_pool) implement so
// that coroutines can be resumed on them without an allocation, and the thread-local "current
// scheduler" that awaitables such as to_thread and sleep_for use to come back where they were.
//
// Submitting work is called `post` everywhere in ctxflow: the executors' post(fn), which binds
// the submitter's context; post(exec::as_is, job) here, which runs a job as given; and the free
// function exec::post(ex, fn) (executor.hpp) for any executor. `post` is the name the executors,
// the executor concept and Asio already use; the `as_is` tag makes leaving the context out
// visible at the call. The former names post_job and submit remain, deprecated, for one release.
#pragma once

#include <coroutine>
#include <utility>

#include "ctxflow/exec/unique_function.hpp"
#include "ctxflow/export.hpp"

namespace ctxflow::exec {

/// The tag of post(as_is, job): the job is run as given, with no context bound to it.
struct as_is_t {
  explicit as_is_t() = default;
};
inline constexpr as_is_t as_is{};

/// An executor that can run jobs and resume coroutines.
///
/// Thread safety: post and post_handle may be called from any thread concurrently.
class scheduler {
 public:
  virtual ~scheduler() = default;
  /// Runs `job` later on one of this scheduler's threads. `job` runs as given, on the runner's
  /// own unit: callers that want the submitter's context bound use the concrete executor's
  /// post(fn), or bind it themselves (bind_context).
  virtual void post(as_is_t, unique_function job) noexcept = 0;
  /// Former name of post(exec::as_is, job).
  [[deprecated("use post(ctxflow::exec::as_is, job)")]] void post_job(unique_function job) noexcept {
    post(as_is, std::move(job));
  }
  /// Resumes `h` later on one of this scheduler's threads. No allocation.
  virtual void post_handle(std::coroutine_handle<> h) noexcept = 0;
};

namespace detail {
/// The scheduler whose thread is running, or null on a plain thread.
extern CTXFLOW_API thread_local constinit scheduler* tls_scheduler;

/// Sets the current scheduler for a scope (used by the run loops of event_loop / thread_pool).
class scheduler_scope {
 public:
  explicit scheduler_scope(scheduler* s) noexcept : prev_(tls_scheduler) { tls_scheduler = s; }
  scheduler_scope(const scheduler_scope&) = delete;
  scheduler_scope& operator=(const scheduler_scope&) = delete;
  ~scheduler_scope() { tls_scheduler = prev_; }

 private:
  scheduler* prev_;
};
}  // namespace detail

/// The scheduler running the calling thread (an event loop or a pool worker), or null.
inline scheduler* current_scheduler() noexcept { return detail::tls_scheduler; }

}  // namespace ctxflow::exec
