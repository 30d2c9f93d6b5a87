// SPDX-License-Identifier: Apache-2.0
// The one way ctxflow code catches exceptions so that it also builds with -fno-exceptions:
//
//   CTXFLOW_TRY {
//     job();
//   } CTXFLOW_CATCH_ALL {
//     reportf(severity::error, "exec.job.exception", "a job threw: %s",
//             ctxflow::current_exception_message());
//   }
//
// With exceptions these are `try` and `catch (...)`. Without them the protected block runs as
// a plain block and the handler is compiled but never runs, so both spellings are checked by
// every build. Inside the handler, current_exception_message() names what was thrown.
#pragma once

#include "ctxflow/export.hpp"

#if CTXFLOW_HAS_EXCEPTIONS
#define CTXFLOW_TRY try
#define CTXFLOW_CATCH_ALL catch (...)
#else
#define CTXFLOW_TRY if (true)
#define CTXFLOW_CATCH_ALL else
#endif

namespace ctxflow {

/// Inside a CTXFLOW_CATCH_ALL handler: what() of the exception being handled when it derives from
/// std::exception, "a non-standard exception" otherwise, and "no exception" outside a handler or
/// in a build without exceptions. The text lives as long as the handler runs.
CTXFLOW_API const char* current_exception_message() noexcept;

}  // namespace ctxflow
