// SPDX-License-Identifier: Apache-2.0
// current_exception_message() and describe_exception(): the only place that tells exception
// types apart, so the code that catches (CTXFLOW_TRY / CTXFLOW_CATCH_ALL) needs no #if of its own.
#include <cxxabi.h>

#include <cstdlib>
#include <exception>
#include <typeinfo>

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

#if CTXFLOW_HAS_EXCEPTIONS
namespace {

// Demangled; the mangled name as a fallback, "unknown" without type information.
std::string type_name(const std::type_info* t) {
  if (t == nullptr) return "unknown";
  int status = 0;
  char* d = abi::__cxa_demangle(t->name(), nullptr, nullptr, &status);
  std::string out = (status == 0 && d != nullptr) ? std::string(d) : std::string(t->name());
  std::free(d);
  return out;
}

}  // namespace
#endif

exception_origin describe_exception(const std::exception_ptr& error, std::string& type,
                                    std::string& message) {
#if CTXFLOW_HAS_EXCEPTIONS
  if (!error) return exception_origin::none;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    type = type_name(&typeid(e));
    message = e.what();
    return exception_origin::standard;
  } catch (...) {
    type = type_name(abi::__cxa_current_exception_type());
    return exception_origin::other;
  }
#else
  (void)error;
  (void)type;
  (void)message;
  return exception_origin::none;
#endif
}

}  // namespace ctxflow
