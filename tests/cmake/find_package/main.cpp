// SPDX-License-Identifier: Apache-2.0
// Uses the installed ctxflow headers and library: a context_var set through a token, a scope
// around an explicit context, and the version from the installed config.hpp. Exits 0 when every
// value is what the context rules say it must be.
#include <cstdio>
#include <string_view>

#include "ctxflow/config.hpp"
#include "ctxflow/context/context.hpp"
#include "ctxflow/context/context_var.hpp"
#include "ctxflow/context/scope.hpp"

namespace {
const ctxflow::context_var<int> request_id{"request_id", -1};

int failures = 0;
void expect(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "find_package consumer: %s\n", what);
    ++failures;
  }
}
}  // namespace

int main() {
  expect(request_id.get() == -1, "the default is visible before set()");
  auto token = request_id.set(42);
  expect(request_id.get() == 42, "set() makes the value current");
  const ctxflow::context with_7 = request_id.with(ctxflow::context{}, 7);
  {
    ctxflow::scope s{with_7};
    expect(request_id.get() == 7, "a scope makes its context current");
  }
  expect(request_id.get() == 42, "leaving the scope restores the previous context");
  expect(request_id.reset(std::move(token)) == ctxflow::detach_result::ok, "reset() is in order");
  expect(request_id.get() == -1, "reset() restores the empty context");
  expect(std::string_view{CTXFLOW_VERSION_STRING}.size() > 0, "config.hpp is installed");
  if (failures == 0) std::printf("find_package consumer: ok (ctxflow %s)\n", CTXFLOW_VERSION_STRING);
  return failures == 0 ? 0 : 1;
}
