// SPDX-License-Identifier: Apache-2.0
// Private: how ctxflow's executors run one queued item and keep the worker's slot empty after it.
#pragma once

#include <coroutine>

#include "ctxflow/exec/unique_function.hpp"

namespace ctxflow::exec::detail {

/// Runs a job (exceptions reported as `exec.job.exception`, never propagated) or resumes a
/// coroutine, then checks that the thread's context slot is empty again and repairs it if not,
/// reporting `exec.worker.context_leak` (C7). Returns true when a repair was needed.
CTXFLOW_API bool run_item(std::coroutine_handle<> handle, unique_function& job) noexcept;

/// Runs a job with exceptions reported and swallowed.
CTXFLOW_API void run_guarded(unique_function& job) noexcept;

}  // namespace ctxflow::exec::detail
