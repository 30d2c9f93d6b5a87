// SPDX-License-Identifier: Apache-2.0
// decode_protobuf and decode_json: what the project's encoders write comes back field by field,
// hand-written OTLP JSON in the shape of the reference example is read, and malformed input is
// answered with a message naming the problem, leaving the output alone.
#include "ctxflow/viewer/otlp_reader.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "ctxflow/exporters/otlp/json_encoder.hpp"
#include "ctxflow/exporters/otlp/proto_encoder.hpp"
#include "viewer/rich_spans.hpp"
#include "viewer/span_equality.hpp"

namespace {

using namespace ctxflow;
using viewer::testing::pointers;
using viewer::testing::rich_batch;
using viewer::testing::spans_difference;

std::string protobuf_of(const std::vector<sdk::span_data>& spans) {
  std::string out;
  exporters::otlp::encode_protobuf(pointers(spans), out);
  return out;
}

std::string json_of(const std::vector<sdk::span_data>& spans) {
  std::string out;
  exporters::otlp::encode_json(pointers(spans), out);
  return out;
}

// --- small protobuf writer for hand-made malformed messages ------------------------------------

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>(v | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}
void put_len(std::string& out, std::uint32_t field, const std::string& body) {
  put_varint(out, (field << 3) | 2);
  put_varint(out, body.size());
  out += body;
}
// A request holding one span with the given body.
std::string request_with_span(const std::string& span_body) {
  std::string scope_spans;
  put_len(scope_spans, 2, span_body);
  std::string resource_spans;
  put_len(resource_spans, 2, scope_spans);
  std::string request;
  put_len(request, 1, resource_spans);
  return request;
}
std::string valid_span_body(std::size_t trace_id_size = 16) {
  std::string span;
  put_len(span, 1, std::string(trace_id_size, '\x11'));
  put_len(span, 2, std::string(8, '\x22'));
  put_len(span, 5, "op");
  return span;
}

// A sentinel span already in the output, which a failed decode must leave alone.
std::vector<sdk::span_data> sentinel() {
  std::vector<sdk::span_data> v(1);
  v[0].name = "already here";
  return v;
}

void expect_protobuf_rejected(const std::string& bytes, const std::string& needle,
                              const viewer::decode_limits& limits = {}) {
  auto out = sentinel();
  std::string error;
  EXPECT_FALSE(viewer::decode_protobuf(bytes, out, error, limits));
  EXPECT_NE(error.find(needle), std::string::npos) << "error: " << error;
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].name, "already here");
}

void expect_json_rejected(const std::string& text, const std::string& needle,
                          const viewer::decode_limits& limits = {}) {
  auto out = sentinel();
  std::string error;
  EXPECT_FALSE(viewer::decode_json(text, out, error, limits));
  EXPECT_NE(error.find(needle), std::string::npos) << "error: " << error;
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].name, "already here");
}

// --- round trips ---------------------------------------------------------------------------------

TEST(DecodeProtobuf, EveryFieldOfRichSpansSurvivesEncodeThenDecode) {
  const auto spans = rich_batch();
  std::vector<sdk::span_data> back;
  std::string error;
  ASSERT_TRUE(viewer::decode_protobuf(protobuf_of(spans), back, error)) << error;
  EXPECT_EQ(spans_difference(spans, back), "");
}

TEST(DecodeJson, EveryFieldOfRichSpansSurvivesEncodeThenDecode) {
  const auto spans = rich_batch();
  std::vector<sdk::span_data> back;
  std::string error;
  ASSERT_TRUE(viewer::decode_json(json_of(spans), back, error)) << error;
  EXPECT_EQ(spans_difference(spans, back), "");
}

TEST(DecodeProtobuf, SpansOfOneResourceAndScopeShareTheirObjects) {
  const auto spans = rich_batch();
  std::vector<sdk::span_data> back;
  std::string error;
  ASSERT_TRUE(viewer::decode_protobuf(protobuf_of(spans), back, error)) << error;
  ASSERT_EQ(back.size(), 4u);
  EXPECT_EQ(back[0].resource_ptr, back[1].resource_ptr);
  EXPECT_EQ(back[0].scope_ptr, back[1].scope_ptr);
  EXPECT_NE(back[1].resource_ptr, back[2].resource_ptr);
  EXPECT_NE(back[1].scope_ptr, back[2].scope_ptr);
}

TEST(DecodeProtobuf, AppendsToWhatTheOutputAlreadyHolds) {
  const auto spans = rich_batch();
  auto out = sentinel();
  std::string error;
  ASSERT_TRUE(viewer::decode_protobuf(protobuf_of(spans), out, error)) << error;
  ASSERT_EQ(out.size(), 5u);
  EXPECT_EQ(out[0].name, "already here");
  EXPECT_EQ(out[1].name, spans[0].name);
}

TEST(DecodeProtobuf, AnEmptyRequestHoldsNoSpans) {
  std::vector<sdk::span_data> out;
  std::string error;
  EXPECT_TRUE(viewer::decode_protobuf("", out, error)) << error;
  EXPECT_TRUE(out.empty());
}

TEST(DecodeJson, AnEmptyObjectHoldsNoSpans) {
  std::vector<sdk::span_data> out;
  std::string error;
  EXPECT_TRUE(viewer::decode_json(" {} ", out, error)) << error;
  EXPECT_TRUE(out.empty());
}

// The shape of opentelemetry-proto's examples/trace.json, written by hand: uppercase hex ids,
// numbers for 64-bit values, a key-value list attribute, fields in an unusual order, unknown keys.
constexpr const char* reference_example = R"({
  "resourceSpans": [
    {
      "scopeSpans": [
        {
          "spans": [
            {
              "traceId": "5B8EFFF798038103D269B633813FC60C",
              "spanId": "EEE19B7EC3C1B174",
              "parentSpanId": "EEE19B7EC3C1B173",
              "name": "I'm a server span",
              "startTimeUnixNano": 1544712660000000000,
              "endTimeUnixNano": "1544712661000000000",
              "kind": 2,
              "flags": 769,
              "traceState": "congo=t61rcWkgMzE",
              "attributes": [
                {"key": "my.span.attr", "value": {"stringValue": "some value"}},
                {"key": "retries", "value": {"intValue": 3}},
                {"key": "ratio", "value": {"doubleValue": "NaN"}},
                {"key": "blob", "value": {"bytesValue": "AP8Q"}},
                {"key": "map", "value": {"kvlistValue": {"values": [
                  {"key": "a", "value": {"intValue": "1"}},
                  {"key": "b", "value": {"arrayValue": {"values": [{"boolValue": true}]}}}
                ]}}},
                {"key": "mixed", "value": {"arrayValue": {"values": [
                  {"stringValue": "x"}, {"intValue": "2"}
                ]}}}
              ],
              "events": [{"timeUnixNano": 1544712660500000000, "name": "ev",
                          "attributes": [{"key": "k", "value": {"boolValue": false}}]}],
              "links": [{"traceId": "5b8efff798038103d269b633813fc60d", "spanId": "eee19b7ec3c1b175",
                         "traceState": "a=b", "flags": 769}],
              "status": {"code": 2, "message": "bad"},
              "somethingNew": {"nested": [1, 2, {"x": null}]}
            }
          ],
          "scope": {"name": "my.library", "version": "1.0.0",
                    "attributes": [{"key": "my.scope.attribute", "value": {"stringValue": "some scope attribute"}}]},
          "schemaUrl": "https://scope.example/1"
        }
      ],
      "resource": {
        "attributes": [{"key": "service.name", "value": {"stringValue": "my.service"}}],
        "droppedAttributesCount": 1
      },
      "schemaUrl": "https://resource.example/1"
    }
  ]
})";

TEST(DecodeJson, AHandWrittenRequestInTheShapeOfTheReferenceExampleIsRead) {
  std::vector<sdk::span_data> out;
  std::string error;
  ASSERT_TRUE(viewer::decode_json(reference_example, out, error)) << error;
  ASSERT_EQ(out.size(), 1u);
  const sdk::span_data& s = out[0];
  EXPECT_EQ(std::string(s.context.trace.to_hex().data(), 32), "5b8efff798038103d269b633813fc60c");
  EXPECT_EQ(std::string(s.context.span.to_hex().data(), 16), "eee19b7ec3c1b174");
  EXPECT_EQ(std::string(s.parent_span_id.to_hex().data(), 16), "eee19b7ec3c1b173");
  EXPECT_EQ(s.name, "I'm a server span");
  EXPECT_EQ(s.start_time_unix_nano, 1544712660000000000ull);
  EXPECT_EQ(s.end_time_unix_nano, 1544712661000000000ull);
  EXPECT_EQ(s.kind, trace::span_kind::server);
  EXPECT_EQ(s.context.flags.value, 1);
  EXPECT_TRUE(s.parent_is_remote);
  EXPECT_FALSE(s.context.remote);
  EXPECT_EQ(s.context.state.get("congo"), "t61rcWkgMzE");
  ASSERT_EQ(s.attributes.size(), 6u);
  EXPECT_EQ(std::get<std::string>(s.attributes[0].value), "some value");
  EXPECT_EQ(std::get<std::int64_t>(s.attributes[1].value), 3);
  EXPECT_TRUE(std::isnan(std::get<double>(s.attributes[2].value)));
  EXPECT_EQ(std::get<sdk::byte_string>(s.attributes[3].value).data,
            (std::vector<std::uint8_t>{0x00, 0xFF, 0x10}));
  EXPECT_EQ(std::get<std::string>(s.attributes[4].value),
            R"({"kvlistValue":{"values":[{"key":"a","value":{"intValue":"1"}},)"
            R"({"key":"b","value":{"arrayValue":{"values":[{"boolValue":true}]}}}]}})");
  EXPECT_EQ(std::get<std::string>(s.attributes[5].value),
            R"({"arrayValue":{"values":[{"stringValue":"x"},{"intValue":"2"}]}})");
  ASSERT_EQ(s.events.size(), 1u);
  EXPECT_EQ(s.events[0].name, "ev");
  EXPECT_EQ(s.events[0].time_unix_nano, 1544712660500000000ull);
  ASSERT_EQ(s.events[0].attributes.size(), 1u);
  EXPECT_EQ(std::get<bool>(s.events[0].attributes[0].value), false);
  ASSERT_EQ(s.links.size(), 1u);
  EXPECT_EQ(s.links[0].context.state.get("a"), "b");
  EXPECT_TRUE(s.links[0].context.remote);
  EXPECT_EQ(s.links[0].context.flags.value, 1);
  EXPECT_EQ(s.status.code, trace::status_code::error);
  EXPECT_EQ(s.status.message, "bad");
  ASSERT_NE(s.resource_ptr, nullptr);
  ASSERT_EQ(s.resource_ptr->attributes.size(), 1u);
  EXPECT_EQ(std::get<std::string>(s.resource_ptr->attributes[0].value), "my.service");
  EXPECT_EQ(s.resource_ptr->schema_url, "https://resource.example/1");
  ASSERT_NE(s.scope_ptr, nullptr);
  EXPECT_EQ(s.scope_ptr->name, "my.library");
  EXPECT_EQ(s.scope_ptr->version, "1.0.0");
  EXPECT_EQ(s.scope_ptr->schema_url, "https://scope.example/1");
  ASSERT_EQ(s.scope_ptr->attributes.size(), 1u);
}

TEST(DecodeProtobuf, AnInvalidTraceStateIsDroppedAndTheSpanKept) {
  std::string span = valid_span_body();
  put_len(span, 3, "no equals sign here");
  std::vector<sdk::span_data> out;
  std::string error;
  ASSERT_TRUE(viewer::decode_protobuf(request_with_span(span), out, error)) << error;
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].context.state.empty());
  EXPECT_EQ(out[0].name, "op");
}

TEST(DecodeProtobuf, KindZeroAndUnknownKindsAreReadAsInternal) {
  for (const std::uint64_t kind : {0ull, 6ull, 1000ull}) {
    std::string span = valid_span_body();
    put_varint(span, (6 << 3) | 0);
    put_varint(span, kind);
    std::vector<sdk::span_data> out;
    std::string error;
    ASSERT_TRUE(viewer::decode_protobuf(request_with_span(span), out, error)) << error;
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].kind, trace::span_kind::internal) << kind;
  }
}

TEST(DecodeProtobuf, UnknownFieldsOfEveryWireTypeAreSkipped) {
  std::string span = valid_span_body();
  put_varint(span, (100 << 3) | 0);
  put_varint(span, 12345);
  put_varint(span, (101 << 3) | 1);
  span += std::string(8, '\x01');
  put_len(span, 102, "unknown bytes");
  put_varint(span, (103 << 3) | 5);
  span += std::string(4, '\x02');
  std::vector<sdk::span_data> out;
  std::string error;
  ASSERT_TRUE(viewer::decode_protobuf(request_with_span(span), out, error)) << error;
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].name, "op");
}

TEST(DecodeProtobuf, AnEmptyParentSpanIdIsARoot) {
  std::string span = valid_span_body();
  put_len(span, 4, "");
  std::vector<sdk::span_data> out;
  std::string error;
  ASSERT_TRUE(viewer::decode_protobuf(request_with_span(span), out, error)) << error;
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(out[0].parent_span_id.valid());
}

TEST(DecodeProtobuf, FlagsGiveTheTraceFlagsAndTheParentIsRemoteOnlyWhenKnown) {
  struct row {
    std::uint32_t flags;
    std::uint8_t trace_flags;
    bool parent_is_remote;
  };
  for (const row r : {row{0x301, 0x01, true}, row{0x101, 0x01, false}, row{0x203, 0x03, false},
                      row{0xFFFFFF00, 0x00, true}}) {
    std::string span = valid_span_body();
    put_varint(span, (16 << 3) | 5);
    for (int i = 0; i < 4; ++i) span += static_cast<char>((r.flags >> (8 * i)) & 0xFF);
    std::vector<sdk::span_data> out;
    std::string error;
    ASSERT_TRUE(viewer::decode_protobuf(request_with_span(span), out, error)) << error;
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].context.flags.value, r.trace_flags) << r.flags;
    EXPECT_EQ(out[0].parent_is_remote, r.parent_is_remote) << r.flags;
    EXPECT_FALSE(out[0].context.remote);
  }
}

TEST(DecodeJson, AnEmptyParentSpanIdIsARootAndEnumNamesAreRead) {
  const std::string text = R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c",)"
                           R"("spanId":"eee19b7ec3c1b174","parentSpanId":"","kind":"SPAN_KIND_CONSUMER",)"
                           R"("status":{"code":"STATUS_CODE_OK"},"name":null}]}]}]})";
  std::vector<sdk::span_data> out;
  std::string error;
  ASSERT_TRUE(viewer::decode_json(text, out, error)) << error;
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(out[0].parent_span_id.valid());
  EXPECT_EQ(out[0].kind, trace::span_kind::consumer);
  EXPECT_EQ(out[0].status.code, trace::status_code::ok);
  EXPECT_EQ(out[0].name, "");
}

TEST(DecodeJson, DoublesMayBeNumbersOrTheNamedSpecialValues) {
  const std::string text = R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c",)"
                           R"("spanId":"eee19b7ec3c1b174","attributes":[)"
                           R"({"key":"a","value":{"doubleValue":1.5e3}},{"key":"b","value":{"doubleValue":"-Infinity"}},)"
                           R"({"key":"c","value":{"doubleValue":"Infinity"}},{"key":"d","value":{"doubleValue":1e999}},)"
                           R"({"key":"e","value":{"doubleValue":-1e-999}}]}]}]}]})";
  std::vector<sdk::span_data> out;
  std::string error;
  ASSERT_TRUE(viewer::decode_json(text, out, error)) << error;
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].attributes.size(), 5u);
  EXPECT_EQ(std::get<double>(out[0].attributes[0].value), 1500.0);
  EXPECT_EQ(std::get<double>(out[0].attributes[1].value), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(std::get<double>(out[0].attributes[2].value), std::numeric_limits<double>::infinity());
  EXPECT_EQ(std::get<double>(out[0].attributes[3].value), std::numeric_limits<double>::infinity());
  EXPECT_EQ(std::get<double>(out[0].attributes[4].value), 0.0);
  EXPECT_TRUE(std::signbit(std::get<double>(out[0].attributes[4].value)));
}

TEST(DecodeJson, AnArrayTurnsIntoJsonTextWhenAnElementBreaksItsType) {
  const std::string text = R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c",)"
                           R"("spanId":"eee19b7ec3c1b174","attributes":[)"
                           R"({"key":"ints","value":{"arrayValue":{"values":[{"intValue":1},{"intValue":"2"}]}}},)"
                           R"({"key":"mixed","value":{"arrayValue":{"values":[{"intValue":1},{"intValue":"2"},{"boolValue":true}]}}}]}]}]}]})";
  std::vector<sdk::span_data> out;
  std::string error;
  ASSERT_TRUE(viewer::decode_json(text, out, error)) << error;
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].attributes.size(), 2u);
  EXPECT_EQ(std::get<std::vector<std::int64_t>>(out[0].attributes[0].value), (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(std::get<std::string>(out[0].attributes[1].value),
            R"({"arrayValue":{"values":[{"intValue":"1"},{"intValue":"2"},{"boolValue":true}]}})");
}

TEST(DecodeJson, OldCollectorFilesWithInstrumentationLibrarySpansAreRead) {
  const std::string span = R"({"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"old"})";
  const std::string old_only = R"({"resourceSpans":[{"instrumentationLibrarySpans":[{"instrumentationLibrary":)"
                               R"({"name":"lib","version":"0.1"},"spans":[)" + span + "]}]}]}";
  std::vector<sdk::span_data> out;
  std::string error;
  ASSERT_TRUE(viewer::decode_json(old_only, out, error)) << error;
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].name, "old");
  EXPECT_EQ(out[0].scope_ptr->name, "lib");
  EXPECT_EQ(out[0].scope_ptr->version, "0.1");
  // A sender that wrote both names for the same spans is read once, from scopeSpans.
  const std::string both = R"({"resourceSpans":[{"instrumentationLibrarySpans":[{"spans":[)" + span +
                           R"(]}],"scopeSpans":[{"scope":{"name":"new"},"spans":[)" + span + "]}]}]}";
  out.clear();
  ASSERT_TRUE(viewer::decode_json(both, out, error)) << error;
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].scope_ptr->name, "new");
}

TEST(DecodeProtobuf, TheOldInstrumentationLibrarySpansFieldIsReadWhenThereAreNoScopeSpans) {
  std::string library;
  put_len(library, 1, "lib");
  std::string library_spans;
  put_len(library_spans, 1, library);
  put_len(library_spans, 2, valid_span_body());
  std::string resource_spans;
  put_len(resource_spans, 1000, library_spans);
  std::string request;
  put_len(request, 1, resource_spans);
  std::vector<sdk::span_data> out;
  std::string error;
  ASSERT_TRUE(viewer::decode_protobuf(request, out, error)) << error;
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].scope_ptr->name, "lib");
  // With scope_spans beside it, only scope_spans is read.
  std::string scope_spans;
  put_len(scope_spans, 2, valid_span_body());
  put_len(resource_spans, 2, scope_spans);
  request.clear();
  put_len(request, 1, resource_spans);
  out.clear();
  ASSERT_TRUE(viewer::decode_protobuf(request, out, error)) << error;
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].scope_ptr->name, "");
}

TEST(DecodeJson, EscapesAreDecodedAndInvalidUtf8BecomesTheReplacementCharacter) {
  const std::string text = std::string(R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c",)") +
                           R"("spanId":"eee19b7ec3c1b174","name":"caf\u00e9 \ud83d\ude00 \ud800! \"q\" \\ \/ \t",)" +
                           "\"status\":{\"message\":\"bad \xFF byte\"}}]}]}]}";
  std::vector<sdk::span_data> out;
  std::string error;
  ASSERT_TRUE(viewer::decode_json(text, out, error)) << error;
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].name, "caf\xC3\xA9 \xF0\x9F\x98\x80 \xEF\xBF\xBD! \"q\" \\ / \t");
  EXPECT_EQ(out[0].status.message, "bad \xEF\xBF\xBD byte");
}

TEST(DecodeProtobuf, InvalidUtf8InAStringBecomesTheReplacementCharacter) {
  std::string span;
  put_len(span, 1, std::string(16, '\x11'));
  put_len(span, 2, std::string(8, '\x22'));
  put_len(span, 5, "a\xC0\xAFz");  // an overlong '/', invalid in UTF-8
  std::vector<sdk::span_data> out;
  std::string error;
  ASSERT_TRUE(viewer::decode_protobuf(request_with_span(span), out, error)) << error;
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].name, "a\xEF\xBF\xBD\xEF\xBF\xBDz");
}

// --- malformed protobuf ----------------------------------------------------------------------

TEST(DecodeProtobufRejects, ATruncatedVarint) {
  expect_protobuf_rejected(std::string("\x0a\x80", 2), "truncated varint");
}

TEST(DecodeProtobufRejects, AnElevenByteVarint) {
  std::string bytes = "\x08";  // field 1, varint
  bytes += std::string(10, '\x80');
  bytes += '\x01';
  expect_protobuf_rejected(bytes, "varint longer than 10 bytes");
}

TEST(DecodeProtobufRejects, ALengthPastTheEnd) {
  std::string bytes = "\x0a";
  put_varint(bytes, 100);
  bytes += "short";
  expect_protobuf_rejected(bytes, "has length 100 but only 5 bytes remain");
}

TEST(DecodeProtobufRejects, TheGroupWireType) {
  expect_protobuf_rejected(std::string("\x0b\x0c", 2), "group wire type");
}

TEST(DecodeProtobufRejects, AFifteenByteTraceIdNamingTheSpanAndField) {
  expect_protobuf_rejected(request_with_span(valid_span_body(15)), "span 0: trace_id is 15 bytes, expected 16");
}

TEST(DecodeProtobufRejects, ASpanWithoutSpanId) {
  std::string span;
  put_len(span, 1, std::string(16, '\x11'));
  expect_protobuf_rejected(request_with_span(span), "span_id is 0 bytes, expected 8");
}

TEST(DecodeProtobufRejects, ANineByteParentSpanId) {
  std::string span = valid_span_body();
  put_len(span, 4, std::string(9, '\x01'));
  expect_protobuf_rejected(request_with_span(span), "parent_span_id is 9 bytes, expected 8");
}

TEST(DecodeProtobufRejects, AKnownFieldWithTheWrongWireType) {
  std::string span = valid_span_body();
  put_varint(span, (7 << 3) | 0);  // start_time_unix_nano as a varint
  put_varint(span, 5);
  expect_protobuf_rejected(request_with_span(span), "start_time_unix_nano has wire type varint");
}

TEST(DecodeProtobufRejects, NestingPastMaxDepth) {
  // An AnyValue of arrays nested 40 deep.
  std::string value;
  put_varint(value, (3 << 3) | 0);
  put_varint(value, 1);
  for (int i = 0; i < 40; ++i) {
    std::string array;
    put_len(array, 1, value);
    value.clear();
    put_len(value, 5, array);
  }
  std::string kv;
  put_len(kv, 1, "deep");
  put_len(kv, 2, value);
  std::string span = valid_span_body();
  put_len(span, 9, kv);
  expect_protobuf_rejected(request_with_span(span), "nested deeper than 32");
  // The same value within a deeper limit is read, as the JSON text of a nested array.
  viewer::decode_limits generous;
  generous.max_depth = 64;
  std::vector<sdk::span_data> out;
  std::string error;
  ASSERT_TRUE(viewer::decode_protobuf(request_with_span(span), out, error, generous)) << error;
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].attributes.size(), 1u);
  EXPECT_EQ(std::get<std::string>(out[0].attributes[0].value).rfind("{\"arrayValue\":", 0), 0u);
}

TEST(DecodeProtobufRejects, MoreSpansThanMaxSpans) {
  std::vector<sdk::span_data> spans;
  for (int i = 0; i < 5; ++i) spans.push_back(rich_batch()[1]);
  viewer::decode_limits limits;
  limits.max_spans = 4;
  expect_protobuf_rejected(protobuf_of(spans), "more than 4 spans", limits);
  limits.max_spans = 5;
  std::vector<sdk::span_data> out;
  std::string error;
  EXPECT_TRUE(viewer::decode_protobuf(protobuf_of(spans), out, error, limits)) << error;
}

TEST(DecodeProtobufRejects, InputOverMaxMessageBytes) {
  const std::string bytes = protobuf_of(rich_batch());
  viewer::decode_limits limits;
  limits.max_message_bytes = bytes.size() - 1;
  expect_protobuf_rejected(bytes, "more than the limit of " + std::to_string(bytes.size() - 1), limits);
}

TEST(DecodeProtobufRejects, ATruncatedRequestOfRichSpans) {
  const std::string bytes = protobuf_of(rich_batch());
  expect_protobuf_rejected(bytes.substr(0, bytes.size() - 3), "");
}

// --- malformed JSON ---------------------------------------------------------------------------

std::string json_span(const std::string& fields) {
  return R"({"resourceSpans":[{"scopeSpans":[{"spans":[{)" + fields + "}]}]}]}";
}
const std::string good_ids = R"("traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174")";

TEST(DecodeJsonRejects, TextThatIsNotJson) {
  expect_json_rejected("{\"resourceSpans\": [", "invalid JSON at offset");
  expect_json_rejected("not json", "invalid JSON");
  expect_json_rejected("{} trailing", "text after the JSON value");
  expect_json_rejected("[]", "not a JSON object");
}

TEST(DecodeJsonRejects, ATraceIdOfTheWrongLengthNamingTheSpanAndKey) {
  expect_json_rejected(json_span(R"("traceId":"5b8efff798038103d269b633813fc6","spanId":"eee19b7ec3c1b174")"),
                       "span 0: traceId is 30 hex digits, expected 32");
}

TEST(DecodeJsonRejects, AnIdThatIsNotHex) {
  expect_json_rejected(json_span(R"("traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b17z")"),
                       "spanId \"eee19b7ec3c1b17z\" is not hex");
}

TEST(DecodeJsonRejects, ASpanWithoutTraceId) {
  expect_json_rejected(json_span(R"("spanId":"eee19b7ec3c1b174")"), "traceId is missing");
}

TEST(DecodeJsonRejects, ATimeThatIsNotAnInteger) {
  expect_json_rejected(json_span(good_ids + R"(,"startTimeUnixNano":"soon")"),
                       "startTimeUnixNano \"soon\" is not an unsigned 64-bit integer");
  expect_json_rejected(json_span(good_ids + R"(,"startTimeUnixNano":1.5)"), "startTimeUnixNano");
  expect_json_rejected(json_span(good_ids + R"(,"startTimeUnixNano":-1)"), "startTimeUnixNano");
}

TEST(DecodeJsonRejects, NestingPastMaxDepth) {
  std::string value = R"({"intValue":"1"})";
  for (int i = 0; i < 40; ++i) value = R"({"arrayValue":{"values":[)" + value + "]}}";
  expect_json_rejected(json_span(good_ids + R"(,"attributes":[{"key":"deep","value":)" + value + "}]"),
                       "nested deeper than 32");
  std::string deep_unknown(5000, '[');
  expect_json_rejected(json_span(good_ids + R"(,"unknown":)" + deep_unknown), "nested deeper than");
}

TEST(DecodeJsonRejects, MoreSpansThanMaxSpans) {
  std::vector<sdk::span_data> spans;
  for (int i = 0; i < 3; ++i) spans.push_back(rich_batch()[1]);
  viewer::decode_limits limits;
  limits.max_spans = 2;
  expect_json_rejected(json_of(spans), "more than 2 spans", limits);
}

TEST(DecodeJsonRejects, InputOverMaxMessageBytes) {
  const std::string text = json_of(rich_batch());
  viewer::decode_limits limits;
  limits.max_message_bytes = 100;
  expect_json_rejected(text, "more than the limit of 100", limits);
}

TEST(DecodeJsonRejects, AnAbsurdlyLongNumberLiteral) {
  expect_json_rejected(json_span(good_ids + R"(,"unknown":)" + std::string(100000, '7')),
                       "number literal longer than");
}

TEST(DecodeJsonRejects, AnUnterminatedString) {
  expect_json_rejected(R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"abc)", "unterminated string");
}

TEST(DecodeJsonRejects, BytesThatAreNotBase64) {
  expect_json_rejected(json_span(good_ids + R"(,"attributes":[{"key":"b","value":{"bytesValue":"**"}}])"),
                       "bytesValue is not base64");
}

}  // namespace
