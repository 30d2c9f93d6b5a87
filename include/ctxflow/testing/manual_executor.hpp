// SPDX-License-Identifier: Apache-2.0
// manual_executor: a deterministic executor for tests. Jobs queue up on post()/execute() and run
// only when the test calls run_one() or run_all(), on the test's thread, in submission order.
// By default each job runs with the context current when it was posted (C4), like ctxflow's
// executors; other modes imitate a foreign pool worker or plain inline execution.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <utility>

#include "ctxflow/context/context.hpp"
#include "ctxflow/exec/bind_context.hpp"
#include "ctxflow/exec/unique_function.hpp"

namespace ctxflow::testing {

/// What context a manual_executor job runs with.
enum class job_context : unsigned char {
  /// The context current at post/execute, in its own execution unit: changes made by the job
  /// stay private and the runner's context is back afterwards (C4, C6, C7).
  captured,
  /// The empty context in its own execution unit, as on a plain thread-pool worker that knows
  /// nothing about ctxflow (C8).
  empty,
  /// Whatever is current where run_one()/run_all() is called, with no isolation: whatever the
  /// job leaves attached stays attached. For testing wrappers that do their own capture.
  runner,
};

/// A step-by-step executor. Copies share one queue (a handle, like Asio executors), so a copy
/// can be given to a context_executor or a component while the test keeps driving it.
///
/// Thread safety: distinct objects: safe. Shared objects: post/execute/pending may be called
/// from any thread; run_one/run_all must not be called concurrently with each other.
/// Errors: an exception from a job passes out of run_one/run_all unchanged; the job is gone
/// from the queue and the rest stays queued.
///
/// Example:
/// ```
/// ctxflow::testing::manual_executor ex;
/// ex.post([] { assert(request_id.get() == 7); });   // captured: request_id was 7 here
/// request_id.set(0);
/// ex.run_all();
/// ```
class manual_executor {
 public:
  explicit manual_executor(job_context mode = job_context::captured)
      : state_(std::make_shared<state>(mode)) {}

  /// Queues `fn` (a `void()` callable). Context: see job_context.
  template <class Fn>
  void post(Fn&& fn) {
    exec::unique_function job;
    switch (state_->mode) {
      case job_context::captured:
        job = bind_context(std::forward<Fn>(fn));
        break;
      case job_context::empty:
        job = bind_context(context(), std::forward<Fn>(fn));
        break;
      case job_context::runner:
        job = exec::unique_function(std::forward<Fn>(fn));
        break;
    }
    std::lock_guard lock(state_->mu);
    state_->jobs.push_back(std::move(job));
  }
  /// Same as post().
  template <class Fn>
  void execute(Fn&& fn) {
    post(std::forward<Fn>(fn));
  }

  /// Runs the oldest queued job. False when the queue was empty.
  bool run_one() {
    exec::unique_function job;
    {
      std::lock_guard lock(state_->mu);
      if (state_->jobs.empty()) return false;
      job = std::move(state_->jobs.front());
      state_->jobs.pop_front();
    }
    job();
    return true;
  }
  /// Runs jobs until the queue is empty, including jobs posted by jobs. Returns how many ran.
  std::size_t run_all() {
    std::size_t n = 0;
    while (run_one()) ++n;
    return n;
  }
  /// Runs at most `max` jobs. Returns how many ran.
  std::size_t run(std::size_t max) {
    std::size_t n = 0;
    while (n < max && run_one()) ++n;
    return n;
  }

  /// How many jobs are queued.
  std::size_t pending() const {
    std::lock_guard lock(state_->mu);
    return state_->jobs.size();
  }
  bool empty() const { return pending() == 0; }
  job_context mode() const noexcept { return state_->mode; }

  friend bool operator==(const manual_executor& a, const manual_executor& b) noexcept {
    return a.state_ == b.state_;
  }

 private:
  struct state {
    explicit state(job_context m) noexcept : mode(m) {}
    const job_context mode;
    mutable std::mutex mu;
    std::deque<exec::unique_function> jobs;  // guarded by mu
  };
  std::shared_ptr<state> state_;
};

}  // namespace ctxflow::testing
