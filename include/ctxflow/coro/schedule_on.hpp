// SPDX-License-Identifier: Apache-2.0
// schedule_on(executor): an awaitable that continues the awaiting task on another executor.
#pragma once

#include <coroutine>

#include "ctxflow/coro/spawn.hpp"
#include "ctxflow/exec/executor.hpp"

namespace ctxflow::coro {

/// `co_await schedule_on(ex)` suspends the task and resumes it on `ex`.
///
/// Context: unchanged: the task's own context is current after the hop (C5); the thread it left
/// gets its previous context back (C7).
/// Resumes on: `ex`.
template <exec::executor Executor>
class schedule_on {
 public:
  explicit schedule_on(Executor& ex) noexcept : ex_(&ex) {}
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) { detail::resume_on(*ex_, h); }
  void await_resume() const noexcept {}

 private:
  Executor* ex_;
};

}  // namespace ctxflow::coro
