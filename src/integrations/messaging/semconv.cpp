// SPDX-License-Identifier: Apache-2.0
// The error kind of an exception, for `error.type` on messaging spans.
#include "integrations/messaging/semconv.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <typeinfo>

#include "ctxflow/export.hpp"

namespace ctxflow::integrations::messaging {

namespace detail {

std::string exception_kind(const std::exception_ptr& e) {
  if (!e) return "exception";
#if CTXFLOW_HAS_EXCEPTIONS
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    int status = 0;
    char* name = abi::__cxa_demangle(typeid(ex).name(), nullptr, nullptr, &status);
    std::string out = (status == 0 && name) ? name : typeid(ex).name();
    std::free(name);
    return out;
  } catch (...) {
  }
#endif
  return "exception";
}

}  // namespace detail

}  // namespace ctxflow::integrations::messaging
