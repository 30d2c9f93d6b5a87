// SPDX-License-Identifier: Apache-2.0
// Uses ctxflow built as a subproject: a context_var value stays visible inside a scope made from
// the current context and disappears after reset(). Exits 0 when that holds.
#include <cstdio>
#include <string>

#include "ctxflow/context/context.hpp"
#include "ctxflow/context/context_var.hpp"
#include "ctxflow/context/scope.hpp"

namespace {
const ctxflow::context_var<std::string> user{"user", "anonymous"};
}  // namespace

int main() {
  int failures = 0;
  auto token = user.set("alice");
  const ctxflow::context captured = ctxflow::context::current();
  (void)user.reset(std::move(token));
  if (user.get() != "anonymous") ++failures;
  {
    ctxflow::scope s{captured};
    if (user.get() != "alice") ++failures;
  }
  if (user.get() != "anonymous") ++failures;
  std::printf("add_subdirectory consumer: %s\n", failures == 0 ? "ok" : "FAILED");
  return failures == 0 ? 0 : 1;
}
