// SPDX-License-Identifier: Apache-2.0
// Fuzzes B3 single-header parsing and multi-header extraction (R5.8).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/propagation/b3.hpp"
#include "ctxflow/trace/span.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ctxflow;
  static const bool quiet = [] {
    set_diagnostics_handler([](const diagnostic&) {});
    return true;
  }();
  (void)quiet;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (auto p = propagation::parse_b3_single(input)) {
    if (!p->span_context.valid()) std::abort();
    if (p->debug && !p->span_context.sampled()) std::abort();
  }
  // Newline-separated values become X-B3-TraceId, X-B3-SpanId, X-B3-Sampled, X-B3-Flags, b3.
  static const char* names[] = {"X-B3-TraceId", "X-B3-SpanId", "X-B3-Sampled", "X-B3-Flags", "b3"};
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view rest = input;
  for (const char* name : names) {
    const std::size_t nl = rest.find('\n');
    headers.emplace_back(name, std::string(rest.substr(0, nl)));
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
  for (auto enc : {propagation::b3_encoding::single_header, propagation::b3_encoding::multi_header}) {
    const propagation::b3_propagator prop{enc};
    const context ctx = propagation::extract(prop, context(), headers);
    std::vector<std::pair<std::string, std::string>> out;
    propagation::inject(prop, ctx, out);
    if (trace::span_context_from(ctx).valid() == out.empty()) std::abort();
  }
  return 0;
}
