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
  if (!ctxflow::describe_exception(e, type, message)) return "exception";
  return type;
}

}  // namespace detail

}  // namespace ctxflow::integrations::messaging
