// SPDX-License-Identifier: Apache-2.0
// context_leak_checker: compares the execution unit's attach stack and current context.
#include "ctxflow/testing/context_leak_checker.hpp"

#include "ctxflow/context/context.hpp"
#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/macros.hpp"

namespace ctxflow::testing {
namespace {

std::string site(const std::source_location& where) {
  std::string out = where.file_name();
  out += ':';
  out += std::to_string(where.line());
  if (*where.function_name()) {
    out += " (";
    out += where.function_name();
    out += ')';
  }
  return out;
}

}  // namespace

context_leak_checker::context_leak_checker(const std::source_location& where) noexcept
    : depth_(attach_depth()), context_(context::current()), where_(where) {}

context_leak_checker::~context_leak_checker() {
  if (checked_ || !leaked()) return;
  CTXFLOW_TRY {
    report(severity::error, "testing.context_leak", describe(), where_);
  } CTXFLOW_CATCH_ALL {
    report(severity::error, "testing.context_leak", "a context was left attached", where_);
  }
}

bool context_leak_checker::leaked() const noexcept {
  return attach_depth() > depth_ || !(context::current() == context_);
}

check_result context_leak_checker::check() {
  checked_ = true;
  if (!leaked()) return check_result::pass();
  return check_result::fail(describe());
}

std::string context_leak_checker::describe() const {
  const std::uint32_t now = attach_depth();
  std::string out = "context leak: the checker created at " + site(where_) + " saw attach depth " +
                    std::to_string(depth_) + ", now " + std::to_string(now);
  if (!(context::current() == context_))
    out += context::current().empty() ? "; the current context was replaced by the empty context"
                                      : "; a different context is current";
  if (now > depth_) {
    out += "\nstill attached:";
    for (std::uint32_t i = depth_; i < now; ++i) out += "\n  attached at " + site(attach_site(i));
  }
  return out;
}

}  // namespace ctxflow::testing
