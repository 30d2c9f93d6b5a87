// SPDX-License-Identifier: Apache-2.0
// encode_json, checked by parsing its output with nlohmann::json and comparing every field with
// the span_data that was encoded (R8.4, R8.5).
#include "ctxflow/exporters/otlp/json_encoder.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "span_fixtures.hpp"

namespace ctxflow::exporters::otlp {
namespace {

using nlohmann::json;
using namespace ctxflow::exporters::otlp::testing;

json parse(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << "not valid JSON: " << text.substr(0, 200);
  return j;
}

std::string hex(std::span<const std::uint8_t> b) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (auto x : b) {
    s += digits[x >> 4];
    s += digits[x & 15];
  }
  return s;
}

// An independent base64 decoder for the check.
std::vector<std::uint8_t> unbase64(const std::string& s) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  EXPECT_EQ(s.size() % 4, 0u) << "base64 must be padded: " << s;
  std::vector<std::uint8_t> out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    if (c == '=') break;
    const int v = val(c);
    EXPECT_GE(v, 0) << "bad base64 character in " << s;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>(acc >> bits));
    }
  }
  return out;
}

struct value_checker {
  const json& v;
  void operator()(bool x) const {
    ASSERT_TRUE(v.contains("boolValue"));
    EXPECT_EQ(v["boolValue"].get<bool>(), x);
  }
  void operator()(std::int64_t x) const {
    ASSERT_TRUE(v.contains("intValue"));
    ASSERT_TRUE(v["intValue"].is_string());  // R8.4: 64-bit integers are strings
    EXPECT_EQ(v["intValue"].get<std::string>(), std::to_string(x));
  }
  void operator()(double x) const {
    ASSERT_TRUE(v.contains("doubleValue"));
    const json& d = v["doubleValue"];
    if (std::isnan(x)) {
      EXPECT_EQ(d, "NaN");
    } else if (std::isinf(x)) {
      EXPECT_EQ(d, x > 0 ? "Infinity" : "-Infinity");
    } else {
      ASSERT_TRUE(d.is_number());
      EXPECT_EQ(d.get<double>(), x);  // shortest round-trip form parses back exactly
    }
  }
  void operator()(const std::string& x) const {
    ASSERT_TRUE(v.contains("stringValue"));
    EXPECT_EQ(v["stringValue"].get<std::string>(), x);
  }
  void operator()(const sdk::byte_string& x) const {
    ASSERT_TRUE(v.contains("bytesValue"));
    EXPECT_EQ(unbase64(v["bytesValue"].get<std::string>()), x.data);
  }
  template <class T>
  void operator()(const std::vector<T>& xs) const {
    ASSERT_TRUE(v.contains("arrayValue"));
    const json& arr = v["arrayValue"];
    ASSERT_TRUE(arr.is_object());
    if (xs.empty()) {
      EXPECT_TRUE(!arr.contains("values") || arr["values"].empty());
      return;
    }
    ASSERT_EQ(arr["values"].size(), xs.size());
    for (std::size_t i = 0; i < xs.size(); ++i)
      value_checker{arr["values"][i]}(static_cast<T>(xs[i]));
  }
};

void expect_attributes(const json& parent, const std::vector<sdk::attribute>& want) {
  if (want.empty()) {
    EXPECT_FALSE(parent.contains("attributes"));
    return;
  }
  ASSERT_TRUE(parent.contains("attributes"));
  const json& got = parent["attributes"];
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(want[i].key);
    EXPECT_EQ(got[i]["key"], want[i].key);
    ASSERT_EQ(got[i]["value"].size(), 1u);  // exactly one oneof member
    std::visit(value_checker{got[i]["value"]}, want[i].value);
  }
}

void expect_count(const json& j, const char* key, std::uint32_t want) {
  if (want == 0) {
    EXPECT_FALSE(j.contains(key)) << key;
  } else {
    ASSERT_TRUE(j.contains(key)) << key;
    EXPECT_TRUE(j[key].is_number()) << key;  // R8.4: 32-bit values are numbers
    EXPECT_EQ(j[key].get<std::uint32_t>(), want) << key;
  }
}

void expect_time(const json& j, const char* key, std::uint64_t want) {
  ASSERT_TRUE(j.contains(key)) << key;
  ASSERT_TRUE(j[key].is_string()) << key;  // R8.4: fixed64 as decimal string
  EXPECT_EQ(j[key].get<std::string>(), std::to_string(want));
}

void expect_span(const json& got, const sdk::span_data& want) {
  SCOPED_TRACE(want.name);
  EXPECT_EQ(got["traceId"], hex(want.context.trace.bytes));
  EXPECT_EQ(got["spanId"], hex(want.context.span.bytes));
  if (want.context.state.empty()) {
    EXPECT_FALSE(got.contains("traceState"));
  } else {
    EXPECT_EQ(got["traceState"], want.context.state.to_header());
  }
  if (want.parent_span_id.valid()) {
    EXPECT_EQ(got["parentSpanId"], hex(want.parent_span_id.bytes));
  } else {
    EXPECT_FALSE(got.contains("parentSpanId"));
  }
  EXPECT_EQ(got["flags"].get<std::uint32_t>(),
            std::uint32_t{want.context.flags.value} | 0x100u |
                (want.parent_is_remote ? 0x200u : 0u));
  EXPECT_EQ(got["name"], want.name);
  ASSERT_TRUE(got["kind"].is_number_integer());  // R8.4: enums as integers
  EXPECT_EQ(got["kind"].get<int>(), static_cast<int>(want.kind));
  expect_time(got, "startTimeUnixNano", want.start_time_unix_nano);
  expect_time(got, "endTimeUnixNano", want.end_time_unix_nano);
  expect_attributes(got, want.attributes);
  expect_count(got, "droppedAttributesCount", want.dropped_attributes_count);
  if (want.events.empty()) {
    EXPECT_FALSE(got.contains("events"));
  } else {
    ASSERT_EQ(got["events"].size(), want.events.size());
    for (std::size_t i = 0; i < want.events.size(); ++i) {
      const json& e = got["events"][i];
      EXPECT_EQ(e["name"], want.events[i].name);
      expect_time(e, "timeUnixNano", want.events[i].time_unix_nano);
      expect_attributes(e, want.events[i].attributes);
      expect_count(e, "droppedAttributesCount", want.events[i].dropped_attributes_count);
    }
  }
  expect_count(got, "droppedEventsCount", want.dropped_events_count);
  if (want.links.empty()) {
    EXPECT_FALSE(got.contains("links"));
  } else {
    ASSERT_EQ(got["links"].size(), want.links.size());
    for (std::size_t i = 0; i < want.links.size(); ++i) {
      const json& l = got["links"][i];
      const auto& w = want.links[i];
      EXPECT_EQ(l["traceId"], hex(w.context.trace.bytes));  // R8.4: hex in links too
      EXPECT_EQ(l["spanId"], hex(w.context.span.bytes));
      if (!w.context.state.empty()) {
        EXPECT_EQ(l["traceState"], w.context.state.to_header());
      }
      expect_attributes(l, w.attributes);
      expect_count(l, "droppedAttributesCount", w.dropped_attributes_count);
      EXPECT_EQ(l["flags"].get<std::uint32_t>(), std::uint32_t{w.context.flags.value} | 0x100u |
                                                     (w.context.remote ? 0x200u : 0u));
    }
  }
  expect_count(got, "droppedLinksCount", want.dropped_links_count);
  ASSERT_TRUE(got.contains("status"));
  const json& st = got["status"];
  if (want.status.message.empty()) {
    EXPECT_FALSE(st.contains("message"));
  } else {
    EXPECT_EQ(st["message"], want.status.message);
  }
  if (want.status.code == trace::status_code::unset) {
    EXPECT_FALSE(st.contains("code"));
  } else {
    EXPECT_EQ(st["code"].get<int>(), static_cast<int>(want.status.code));
  }
}

class JsonEncoder : public ::testing::Test {
 protected:
  std::shared_ptr<const sdk::resource> res_a = make_resource("svc-a", "https://schema/a");
  std::shared_ptr<const sdk::resource> res_b = make_resource("svc-b", "");
  std::shared_ptr<const sdk::instrumentation_scope> scope1 =
      make_scope("lib.one", "1.0.0", "https://schema/one");
  std::shared_ptr<const sdk::instrumentation_scope> scope2 = make_scope("lib.two", "", "");
};

// R8.4: every field in lowerCamelCase with the OTLP/JSON value forms.
TEST_F(JsonEncoder, EveryFieldOfARichSpanSurvivesAJsonParserRoundTrip) {
  std::vector<sdk::span_data> spans{rich_span(res_a, scope1, 1)};
  auto ptrs = pointers(spans);
  std::string text;
  encode_json(ptrs, text);
  const json j = parse(text);
  ASSERT_EQ(j["resourceSpans"].size(), 1u);
  const json& rs = j["resourceSpans"][0];
  expect_attributes(rs["resource"], res_a->attributes);
  EXPECT_EQ(rs["schemaUrl"], res_a->schema_url);
  ASSERT_EQ(rs["scopeSpans"].size(), 1u);
  const json& ss = rs["scopeSpans"][0];
  EXPECT_EQ(ss["scope"]["name"], "lib.one");
  EXPECT_EQ(ss["scope"]["version"], "1.0.0");
  expect_attributes(ss["scope"], scope1->attributes);
  EXPECT_EQ(ss["schemaUrl"], scope1->schema_url);
  ASSERT_EQ(ss["spans"].size(), 1u);
  expect_span(ss["spans"][0], spans[0]);
}

// R8.3 grouping applies to JSON too; defaults (empty schemaUrl, version) are left out.
TEST_F(JsonEncoder, SpansAreGroupedAndDefaultValuedFieldsLeftOut) {
  std::vector<sdk::span_data> spans{minimal_root_span(res_a, scope1, 1),
                                    minimal_root_span(res_b, scope2, 2),
                                    minimal_root_span(res_a, scope1, 3)};
  auto ptrs = pointers(spans);
  std::string text;
  encode_json(ptrs, text);
  const json j = parse(text);
  ASSERT_EQ(j["resourceSpans"].size(), 2u);
  ASSERT_EQ(j["resourceSpans"][0]["scopeSpans"][0]["spans"].size(), 2u);
  expect_span(j["resourceSpans"][0]["scopeSpans"][0]["spans"][0], spans[0]);
  expect_span(j["resourceSpans"][0]["scopeSpans"][0]["spans"][1], spans[2]);
  const json& b = j["resourceSpans"][1];
  EXPECT_FALSE(b.contains("schemaUrl"));
  EXPECT_FALSE(b["scopeSpans"][0]["scope"].contains("version"));
  EXPECT_FALSE(b["scopeSpans"][0].contains("schemaUrl"));
  expect_span(b["scopeSpans"][0]["spans"][0], spans[1]);
}

// R8.4: no snake_case key anywhere in the output.
TEST_F(JsonEncoder, NoSnakeCaseKeyAppearsAnywhere) {
  std::vector<sdk::span_data> spans{rich_span(res_a, scope1, 1)};
  auto ptrs = pointers(spans);
  std::string text;
  encode_json(ptrs, text);
  const json j = parse(text);
  std::vector<std::string> bad;
  auto walk = [&](auto&& self, const json& node) -> void {
    if (node.is_object()) {
      for (auto it = node.begin(); it != node.end(); ++it) {
        if (it.key().find('_') != std::string::npos) bad.push_back(it.key());
        self(self, it.value());
      }
    } else if (node.is_array()) {
      for (const auto& x : node) self(self, x);
    }
  };
  walk(walk, j);
  EXPECT_TRUE(bad.empty()) << bad.front();
}

// R8.5: the reference example's shape, ids lowercase.
TEST_F(JsonEncoder, MatchesTheShapeOfTheOtlpReferenceExample) {
  auto res = std::make_shared<sdk::resource>();
  res->attributes = {{"service.name", std::string("svc")}};
  auto scope = std::make_shared<sdk::instrumentation_scope>();
  scope->name = "lib";
  scope->version = "1.0.0";
  sdk::span_data s;
  s.context.trace = trace::trace_id::from_hex("5b8efff798038103d269b633813fc60c");
  s.context.span = trace::span_id::from_hex("eee19b7ec3c1b174");
  s.parent_span_id = trace::span_id::from_hex("eee19b7ec3c1b173");
  s.name = "GET /users/{id}";
  s.kind = trace::span_kind::server;
  s.start_time_unix_nano = 1544712660000000000ull;
  s.end_time_unix_nano = 1544712661000000000ull;
  s.attributes = {{"http.response.status_code", std::int64_t{200}}};
  s.resource_ptr = res;
  s.scope_ptr = scope;
  const sdk::span_data* ptr = &s;
  std::string text;
  encode_json(std::span(&ptr, 1), text);
  json expected = json::parse(
      R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},"scopeSpans":[{"scope":{"name":"lib","version":"1.0.0"},"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","parentSpanId":"eee19b7ec3c1b173","name":"GET /users/{id}","kind":2,"startTimeUnixNano":"1544712660000000000","endTimeUnixNano":"1544712661000000000","attributes":[{"key":"http.response.status_code","value":{"intValue":"200"}}],"status":{}}]}]}]})");
  // Our one addition to the example: flags (R8.1, bit 8 always set).
  expected["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["flags"] = 0x100;
  EXPECT_EQ(parse(text), expected);
}

// Every ASCII byte, including all control characters, survives escaping.
TEST_F(JsonEncoder, EveryAsciiByteIsEscapedSoTheParserReturnsItUnchanged) {
  std::string all;
  for (int c = 0; c < 128; ++c) all += static_cast<char>(c);
  std::vector<sdk::span_data> spans{minimal_root_span(res_a, scope1, 1)};
  spans[0].name = all;
  spans[0].attributes = {{all, all}};
  auto ptrs = pointers(spans);
  std::string text;
  encode_json(ptrs, text);
  EXPECT_EQ(text.find('\n'), std::string::npos);  // one JSON line
  const json j = parse(text);
  const json& s = j["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
  EXPECT_EQ(s["name"], all);
  EXPECT_EQ(s["attributes"][0]["key"], all);
  EXPECT_EQ(s["attributes"][0]["value"]["stringValue"], all);
}

// JSON text must be UTF-8: invalid bytes become U+FFFD, valid multi-byte text is kept.
TEST_F(JsonEncoder, InvalidUtf8BytesBecomeReplacementCharacters) {
  std::vector<sdk::span_data> spans{minimal_root_span(res_a, scope1, 1)};
  spans[0].name = "ok \xC3\xA9 \xFF \xC0\xAF \xF0\x9F\x98\x80 \xE2\x82";
  auto ptrs = pointers(spans);
  std::string text;
  encode_json(ptrs, text);
  const json j = parse(text);
  EXPECT_EQ(j["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["name"],
            "ok \xC3\xA9 \xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD \xF0\x9F\x98\x80 "
            "\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST_F(JsonEncoder, AnEmptyBatchIsAnEmptyObject) {
  std::string text = "stale";
  encode_json({}, text);
  EXPECT_EQ(text, "{}");
}

// Doubles print in the shortest form that parses back to the same value.
TEST_F(JsonEncoder, DoublesRoundTripExactly) {
  std::vector<double> values{0.1, 1.0 / 3.0, -2.5e-308, 1.7976931348623157e308, 123456789.0,
                             -0.0};
  std::vector<sdk::span_data> spans{minimal_root_span(res_a, scope1, 1)};
  for (double d : values) spans[0].attributes.push_back({"d", d});
  auto ptrs = pointers(spans);
  std::string text;
  encode_json(ptrs, text);
  const json j = parse(text);
  const json& attrs = j["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["attributes"];
  for (std::size_t i = 0; i < values.size(); ++i)
    EXPECT_EQ(attrs[i]["value"]["doubleValue"].get<double>(), values[i]);
}

}  // namespace
}  // namespace ctxflow::exporters::otlp
