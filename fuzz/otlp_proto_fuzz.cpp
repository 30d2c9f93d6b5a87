// SPDX-License-Identifier: Apache-2.0
// Fuzzes decode_protobuf (docs/requirements.md §8.1): no input crashes it, a rejected input
// leaves the output alone, and the spans of an accepted one encode (protobuf and JSON) and
// decode again to the same spans, field by field (otlp_round_trip.hpp).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "otlp_round_trip.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ctxflow;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  fuzzing::check_decode(&viewer::decode_protobuf, input, fuzzing::fuzz_limits());
  return 0;
}
