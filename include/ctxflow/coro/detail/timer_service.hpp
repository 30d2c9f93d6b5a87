// SPDX-License-Identifier: Apache-2.0
// A process-wide timer thread for sleep_for() outside an event loop: when a deadline passes, it
// posts the coroutine to the scheduler it came from (or resumes it on the timer thread).
#pragma once

#include <chrono>
#include <coroutine>

#include "ctxflow/exec/scheduler.hpp"
#include "ctxflow/export.hpp"

namespace ctxflow::coro::detail {

CTXFLOW_API void schedule_timer(std::chrono::steady_clock::time_point deadline,
                                std::coroutine_handle<> h, exec::scheduler* back) noexcept;

}  // namespace ctxflow::coro::detail
