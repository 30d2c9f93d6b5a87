// SPDX-License-Identifier: Apache-2.0
// Fuzzes tracestate parsing, mutation and truncation (R3.3-R3.9): a parsed list has at most
// 32 valid members and serialises to a value that parses back to the same list.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/trace/trace_state.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ctxflow;
  static const bool quiet = [] {
    set_diagnostics_handler([](const diagnostic&) {});
    return true;
  }();
  (void)quiet;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const trace::trace_state ts = trace::trace_state::parse(input);
  if (ts.size() > trace::trace_state::max_members) std::abort();
  for (const auto& [k, v] : ts.members())
    if (!trace::trace_state::valid_key(k) || !trace::trace_state::valid_value(v)) std::abort();
  if (!(trace::trace_state::parse(ts.header()) == ts)) std::abort();
  const std::string truncated = ts.to_header(size % 600);
  if (truncated.size() > size % 600) std::abort();
  // Use the first half as a key and the second as a value for set().
  const trace::trace_state changed = ts.set(input.substr(0, size / 2), input.substr(size / 2));
  if (changed.size() > trace::trace_state::max_members) std::abort();
  (void)changed.erase(input.substr(0, size / 2));
  return 0;
}
