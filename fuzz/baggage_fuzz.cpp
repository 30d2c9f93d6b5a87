// SPDX-License-Identifier: Apache-2.0
// Fuzzes baggage parsing and serialisation (R4.2-R4.7): limits hold whatever the input, and
// what we serialise parses back to the same entries.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/propagation/w3c_baggage.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ctxflow;
  static const bool quiet = [] {
    set_diagnostics_handler([](const diagnostic&) {});
    return true;
  }();
  (void)quiet;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  // Newlines split the input into several header fields (R4.1).
  std::string_view fields[8];
  std::size_t n = 0;
  std::string_view rest = input;
  while (n < 7) {
    const std::size_t nl = rest.find('\n');
    if (nl == std::string_view::npos) break;
    fields[n++] = rest.substr(0, nl);
    rest.remove_prefix(nl + 1);
  }
  fields[n++] = rest;
  const propagation::baggage_limits limits{size % 7 == 0 ? 3u : 180u, size % 5 == 0 ? 64u : 8192u};
  const propagation::baggage b = propagation::parse_baggage(std::span(fields, n), limits);
  if (b.size() > limits.max_members) std::abort();
  const std::string header = propagation::serialize_baggage(b);
  if (header.size() > 8192) std::abort();
  const std::string_view again[] = {header};
  const propagation::baggage back = propagation::parse_baggage(again);
  // Re-encoding can grow a value (U+FFFD becomes 9 characters), so serialisation may skip
  // members at the byte limit; whatever it sends must come back unchanged.
  for (const auto& e : back.get_all()) {
    const auto* o = b.find(e.name);
    if (!o || o->value != e.value || o->metadata != e.metadata) std::abort();
  }
  // A member missing from the header is one whose encoding alone would not have fitted in what
  // was left of the 8192 bytes.
  if (back.size() != b.size()) {
    for (const auto& e : b.get_all()) {
      if (back.find(e.name)) continue;
      const std::string alone =
          propagation::serialize_baggage(propagation::baggage().set(e.name, e.value, e.metadata));
      if (alone.size() > 0 && header.size() + 1 + alone.size() <= 8192) std::abort();
    }
  }
  // Arbitrary bytes through the API and back through the header.
  const propagation::baggage api = propagation::baggage().set(input.substr(0, size / 3), input.substr(size / 3));
  const std::string h2 = propagation::serialize_baggage(api);
  const std::string_view again2[] = {h2};
  (void)propagation::parse_baggage(again2);
  return 0;
}
