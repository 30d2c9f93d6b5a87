// SPDX-License-Identifier: Apache-2.0
// The error kind of an exception, for `error.type` on messaging spans.
#include "integrations/messaging/semconv.hpp"

#include <cstdlib>
#include <typeinfo>

#include "ctxflow/export.hpp"
#include "ctxflow/macros.hpp"

namespace ctxflow::integrations::messaging {

namespace detail {

std::string exception_kind(const std::exception_ptr& e) {
  std::string type;
  std::string message;
  // Only a std::exception is named by its type; anything else thrown is "exception".
  if (ctxflow::describe_exception(e, type, message) != exception_origin::standard)
    return "exception";
  return type;
}

}  // namespace detail

}  // namespace ctxflow::integrations::messaging
