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
// every build. Inside the handler, current_exception_message() names what was thrown;
// describe_exception() does the same for a stored std::exception_ptr. These two are the only
// places that tell exception types apart (src/context/exceptions.cpp).
#pragma once

#include <exception>
#include <string>

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

/// What describe_exception() found in an exception_ptr.
enum class exception_origin {
  none,      ///< empty, or a build without exceptions: nothing was described
  standard,  ///< derives from std::exception: type and what() described
  other,     ///< anything else thrown: only its type described
};

/// Names the exception `error` holds, for span events and messaging attributes: `type` gets its
/// demangled type name ("unknown" when the runtime cannot tell), and `message` its what() when
/// it derives from std::exception (left as is otherwise). With exception_origin::none both are
/// left as they are. May throw std::bad_alloc.
CTXFLOW_API exception_origin describe_exception(const std::exception_ptr& error, std::string& type,
                                                std::string& message);

}  // namespace ctxflow
