// SPDX-License-Identifier: Apache-2.0
// Fuzzes traceparent parsing and the tracecontext propagator's extract/inject round trip:
// whatever the input, nothing crashes, and a value that parses formats back to a value that
// parses to the same ids (R2.2-R2.13).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/propagation/w3c_trace_context.hpp"
#include "ctxflow/trace/span.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ctxflow;
  static const bool quiet = [] {
    set_diagnostics_handler([](const diagnostic&) {});
    return true;
  }();
  (void)quiet;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (auto sc = propagation::parse_traceparent(input)) {
    char buf[propagation::traceparent_size];
    propagation::format_traceparent(*sc, buf);
    auto again = propagation::parse_traceparent(std::string_view(buf, sizeof buf));
    if (!again || again->trace != sc->trace || again->span != sc->span ||
        again->flags.value != (sc->flags.value & 0x03))
      std::abort();
  }
  // The same bytes as header values, split at the first newline into traceparent/tracestate.
  const std::size_t nl = input.find('\n');
  std::vector<std::pair<std::string, std::string>> headers{
      {"traceparent", std::string(input.substr(0, nl))}};
  if (nl != std::string_view::npos) headers.emplace_back("tracestate", std::string(input.substr(nl + 1)));
  const propagation::w3c_trace_context_propagator prop;
  const context ctx = propagation::extract(prop, context(), headers);
  std::vector<std::pair<std::string, std::string>> out;
  propagation::inject(prop, ctx, out);
  if (trace::span_context_from(ctx).valid() == out.empty()) std::abort();
  return 0;
}
