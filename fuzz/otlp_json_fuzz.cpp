// SPDX-License-Identifier: Apache-2.0
// Fuzzes decode_json (docs/requirements.md §8.2) and the document splitting of read_otlp_json:
// no input crashes them, a rejected input leaves the output alone, the spans of an accepted one
// encode (JSON and protobuf) and decode again to the same spans, and every problem the file
// reader reports points at a line of the input.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/exporters/otlp/json_encoder.hpp"
#include "ctxflow/exporters/otlp/proto_encoder.hpp"
#include "ctxflow/viewer/otlp_reader.hpp"
#include "viewer/span_equality.hpp"

namespace {

using namespace ctxflow;

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "otlp_json_fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

std::vector<const sdk::span_data*> pointers(const std::vector<sdk::span_data>& spans) {
  std::vector<const sdk::span_data*> out;
  for (const auto& s : spans) out.push_back(&s);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool quiet = [] {
    set_diagnostics_handler([](const diagnostic&) {});
    return true;
  }();
  (void)quiet;
  viewer::decode_limits limits;
  limits.max_message_bytes = 1 << 20;
  limits.max_spans = 10'000;
  const std::string input(reinterpret_cast<const char*>(data), size);

  std::vector<sdk::span_data> spans(1);
  spans[0].name = "sentinel";
  std::string error;
  if (viewer::decode_json(input, spans, error, limits)) {
    spans.erase(spans.begin());
    std::string text;
    exporters::otlp::encode_json(pointers(spans), text);
    std::vector<sdk::span_data> again;
    if (!viewer::decode_json(text, again, error, limits)) fail("re-encoded JSON rejected", error);
    if (const std::string d = viewer::testing::spans_difference(spans, again); !d.empty())
      fail("JSON round trip differs", d);
    std::string bytes;
    exporters::otlp::encode_protobuf(pointers(spans), bytes);
    std::vector<sdk::span_data> from_proto;
    if (!viewer::decode_protobuf(bytes, from_proto, error, limits)) fail("re-encoded protobuf rejected", error);
    if (const std::string d = viewer::testing::spans_difference(spans, from_proto); !d.empty())
      fail("protobuf round trip differs", d);
  } else {
    if (error.empty()) fail("rejected without a message", "");
    if (spans.size() != 1 || spans[0].name != "sentinel") fail("a rejected input changed the output", error);
  }

  // The same bytes as a file: documents split by lines and braces, with a small size limit so
  // that the oversized-document path is reached too.
  viewer::decode_limits small = limits;
  small.max_message_bytes = 1 + size % 4096;
  std::istringstream in(input);
  viewer::read_result r;
  viewer::read_otlp_json(in, "fuzz", r, small);
  const auto lines = static_cast<std::size_t>(std::count(input.begin(), input.end(), '\n')) + 1;
  for (const auto& p : r.problems) {
    if (p.line == 0 || p.line > lines) fail("a problem outside the input", std::to_string(p.line));
    if (p.message.empty()) fail("a problem without a message", "");
  }
  return 0;
}
