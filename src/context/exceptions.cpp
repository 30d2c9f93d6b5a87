// SPDX-License-Identifier: Apache-2.0
// current_exception_message(): the only place that tells exception types apart, so the code
// that catches (CTXFLOW_TRY / CTXFLOW_CATCH_ALL) needs no #if of its own.
#include <exception>

#include "ctxflow/macros.hpp"

namespace ctxflow {

const char* current_exception_message() noexcept {
#if CTXFLOW_HAS_EXCEPTIONS
  if (!std::current_exception()) return "no exception";
  try {
    throw;
  } catch (const std::exception& e) {
    // The exception object outlives this inner handler: the caller's handler still holds it.
    return e.what();
  } catch (...) {
    return "a non-standard exception";
  }
#else
  return "no exception";
#endif
}

}  // namespace ctxflow
