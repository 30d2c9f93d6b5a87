// SPDX-License-Identifier: Apache-2.0
// How ctxflow's executors run one queued item: the thread pool's workers and the event loop call
// run_item for each job or coroutine they take from their queue. An executor of your own may do
// the same to get the same guarantees (docs/usage/executors.md).
#pragma once

#include <coroutine>

#include "ctxflow/export.hpp"
#include "ctxflow/exec/unique_function.hpp"

namespace ctxflow::exec {

/// Runs `job`, or resumes `handle` when it is not null, then checks that the thread's current
/// context is what it was before and restores it if not, reporting `exec.worker.context_leak`
/// (rule C7 in docs/design/context.md). Returns true when a restore was needed.
/// Errors: a job that throws is reported as `exec.job.exception` and never propagates.
CTXFLOW_API bool run_item(std::coroutine_handle<> handle, unique_function& job) noexcept;

/// Runs `job`; an exception it throws is reported as `exec.job.exception` and swallowed.
CTXFLOW_API void run_guarded(unique_function& job) noexcept;

}  // namespace ctxflow::exec
