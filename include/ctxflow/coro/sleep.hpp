// SPDX-License-Identifier: Apache-2.0
// sleep_for / sleep_until: suspend the task without blocking its thread.
#pragma once

#include <chrono>
#include <coroutine>

#include "ctxflow/coro/detail/timer_service.hpp"
#include "ctxflow/coro/event_loop.hpp"
#include "ctxflow/exec/scheduler.hpp"

namespace ctxflow::coro {

/// `co_await sleep_until(t)` resumes the task at or after `t`.
///
/// Context: unchanged (C5).
/// Resumes on: the event loop it was awaited on; on a pool worker, that pool; elsewhere the
/// process's timer thread.
class sleep_until {
 public:
  explicit sleep_until(std::chrono::steady_clock::time_point deadline) noexcept
      : deadline_(deadline), loop_(event_loop::current()), back_(exec::current_scheduler()) {}
  bool await_ready() const noexcept { return deadline_ <= std::chrono::steady_clock::now(); }
  void await_suspend(std::coroutine_handle<> h) const noexcept {
    if (loop_)
      loop_->schedule_at(deadline_, h);
    else
      detail::schedule_timer(deadline_, h, back_);
  }
  void await_resume() const noexcept {}

 private:
  std::chrono::steady_clock::time_point deadline_;
  event_loop* loop_;
  exec::scheduler* back_;
};

/// `co_await sleep_for(d)`: see sleep_until.
class sleep_for : public sleep_until {
 public:
  template <class Rep, class Period>
  explicit sleep_for(std::chrono::duration<Rep, Period> d) noexcept
      : sleep_until(std::chrono::steady_clock::now() +
                    std::chrono::duration_cast<std::chrono::steady_clock::duration>(d)) {}
};

}  // namespace ctxflow::coro
