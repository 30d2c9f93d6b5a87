// SPDX-License-Identifier: Apache-2.0
// Built with -fno-exceptions: attaches contexts with scope and context_var, detaches a token out
// of order and a token twice (misuse is a reported diagnostic and a no-op, never a throw), and
// checks that CTXFLOW_HAS_EXCEPTIONS is 0. Exits 0 when every value is as the context rules say.
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "ctxflow/context/context.hpp"
#include "ctxflow/context/context_var.hpp"
#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/context/scope.hpp"
#include "ctxflow/export.hpp"

#if CTXFLOW_HAS_EXCEPTIONS
#error "this program must be compiled with -fno-exceptions"
#endif

namespace {
const ctxflow::context_var<int> depth{"depth", 0};

int failures = 0;
void expect(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "no_exceptions: %s\n", what);
    ++failures;
  }
}
}  // namespace

int main() {
  std::vector<std::string> codes;
  (void)ctxflow::set_diagnostics_handler(
      [&codes](const ctxflow::diagnostic& d) { codes.emplace_back(d.code); });

  auto outer = depth.set(1);
  {
    ctxflow::scope s{depth.with(ctxflow::context::current(), 2)};
    expect(depth.get() == 2, "a scope makes its context current");
  }
  expect(depth.get() == 1, "the scope's end restores the context");

  // C3/R1.7: an out-of-order detach unwinds the later attachment; a second detach of the same
  // token is reported and changes nothing.
  auto inner = depth.set(3);
  expect(depth.reset(std::move(outer)) == ctxflow::detach_result::out_of_order,
         "detaching the outer token first is out of order");
  expect(depth.get() == 0 && ctxflow::attach_depth() == 0, "out-of-order detach unwinds both");
  expect(depth.reset(std::move(inner)) == ctxflow::detach_result::unknown_token,
         "an unwound token is unknown");
  expect(depth.get() == 0, "a rejected detach changes nothing");
  expect(codes == std::vector<std::string>{"context.detach.out_of_order",
                                           "context.detach.unknown_token"},
         "each misuse is reported once, with its code");
  (void)ctxflow::set_diagnostics_handler({});

  if (failures == 0) std::printf("no_exceptions: ok\n");
  return failures == 0 ? 0 : 1;
}
