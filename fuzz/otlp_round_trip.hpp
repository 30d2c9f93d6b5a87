// SPDX-License-Identifier: Apache-2.0
// What the two OTLP reader fuzzers check alike: a rejected input leaves the output alone and
// says why, and the spans of an accepted one encode (protobuf and JSON) and decode again to the
// same spans, field by field. A broken property aborts with a message, which libFuzzer reports.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/exporters/otlp/json_encoder.hpp"
#include "ctxflow/exporters/otlp/proto_encoder.hpp"
#include "ctxflow/viewer/otlp_reader.hpp"
#include "viewer/span_equality.hpp"

namespace ctxflow::fuzzing {

[[noreturn]] inline void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "otlp fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

/// Silences diagnostics once (the readers report what they reject) and gives the fuzzers' limits.
inline viewer::decode_limits fuzz_limits() {
  static const bool quiet = [] {
    set_diagnostics_handler([](const diagnostic&) {});
    return true;
  }();
  (void)quiet;
  viewer::decode_limits limits;
  limits.max_message_bytes = 1 << 20;
  limits.max_spans = 10'000;
  return limits;
}

using decoder = bool (*)(std::string_view, std::vector<sdk::span_data>&, std::string&,
                         const viewer::decode_limits&) noexcept;

/// Decodes `input` with `decode` after a sentinel span and checks the properties above; true
/// when the input was accepted.
inline bool check_decode(decoder decode, std::string_view input,
                         const viewer::decode_limits& limits) {
  std::vector<sdk::span_data> spans(1);
  spans[0].name = "sentinel";
  std::string error;
  if (!decode(input, spans, error, limits)) {
    if (error.empty()) fail("rejected without a message", "");
    if (spans.size() != 1 || spans[0].name != "sentinel")
      fail("a rejected input changed the output", error);
    return false;
  }
  spans.erase(spans.begin());
  std::vector<const sdk::span_data*> pointers;
  for (const auto& s : spans) pointers.push_back(&s);

  std::string bytes;
  exporters::otlp::encode_protobuf(pointers, bytes);
  std::vector<sdk::span_data> from_proto;
  if (!viewer::decode_protobuf(bytes, from_proto, error, limits))
    fail("re-encoded protobuf rejected", error);
  if (const std::string d = viewer::testing::spans_difference(spans, from_proto); !d.empty())
    fail("protobuf round trip differs", d);

  std::string text;
  exporters::otlp::encode_json(pointers, text);
  std::vector<sdk::span_data> from_json;
  if (!viewer::decode_json(text, from_json, error, limits)) fail("re-encoded JSON rejected", error);
  if (const std::string d = viewer::testing::spans_difference(spans, from_json); !d.empty())
    fail("JSON round trip differs", d);
  return true;
}

}  // namespace ctxflow::fuzzing
