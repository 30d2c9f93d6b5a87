// SPDX-License-Identifier: Apache-2.0
// Fuzzes decode_json (docs/requirements.md §8.2) and the document splitting of read_otlp_json:
// no input crashes them, a rejected input leaves the output alone, the spans of an accepted one
// encode (JSON and protobuf) and decode again to the same spans (otlp_round_trip.hpp), and every
// problem the file reader reports points at a line of the input.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "otlp_round_trip.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ctxflow;
  const viewer::decode_limits limits = fuzzing::fuzz_limits();
  const std::string input(reinterpret_cast<const char*>(data), size);
  fuzzing::check_decode(&viewer::decode_json, input, limits);

  // The same bytes as a file: documents split by lines and braces, with a small size limit so
  // that the oversized-document path is reached too.
  viewer::decode_limits small = limits;
  small.max_message_bytes = 1 + size % 4096;
  std::istringstream in(input);
  viewer::read_result r;
  viewer::read_otlp_json(in, "fuzz", r, small);
  const auto lines = static_cast<std::size_t>(std::count(input.begin(), input.end(), '\n')) + 1;
  for (const auto& p : r.problems) {
    if (p.line == 0 || p.line > lines) fuzzing::fail("a problem outside the input", std::to_string(p.line));
    if (p.message.empty()) fuzzing::fail("a problem without a message", "");
  }
  return 0;
}
