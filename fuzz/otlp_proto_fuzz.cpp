// SPDX-License-Identifier: Apache-2.0
// Fuzzes decode_protobuf (docs/requirements.md §8.1): no input crashes it, a rejected input
// leaves the output alone, and the spans of an accepted one encode (protobuf and JSON) and
// decode again to the same spans, field by field.
#include <cstdint>
#include <cstdlib>
#include <cstdio>
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
  std::fprintf(stderr, "otlp_proto_fuzz: %s: %s\n", what, detail.c_str());
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
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  std::vector<sdk::span_data> spans(1);
  spans[0].name = "sentinel";
  std::string error;
  if (!viewer::decode_protobuf(input, spans, error, limits)) {
    if (error.empty()) fail("rejected without a message", "");
    if (spans.size() != 1 || spans[0].name != "sentinel") fail("a rejected input changed the output", error);
    return 0;
  }
  spans.erase(spans.begin());

  std::string bytes;
  exporters::otlp::encode_protobuf(pointers(spans), bytes);
  std::vector<sdk::span_data> again;
  if (!viewer::decode_protobuf(bytes, again, error, limits)) fail("re-encoded protobuf rejected", error);
  if (const std::string d = viewer::testing::spans_difference(spans, again); !d.empty())
    fail("protobuf round trip differs", d);

  std::string text;
  exporters::otlp::encode_json(pointers(spans), text);
  std::vector<sdk::span_data> from_json;
  if (!viewer::decode_json(text, from_json, error, limits)) fail("re-encoded JSON rejected", error);
  if (const std::string d = viewer::testing::spans_difference(spans, from_json); !d.empty())
    fail("JSON round trip differs", d);
  return 0;
}
