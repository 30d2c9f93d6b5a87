// SPDX-License-Identifier: Apache-2.0
// Spans with every field the OTLP readers map, for the round-trip tests and the fuzz seeds:
// attributes of every type span_data holds, events, links with trace state and flags, an error
// status, a remote parent, two resources and two scopes.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "ctxflow/sdk/span_data.hpp"

namespace ctxflow::viewer::testing {

/// One attribute of every type, with the values proto3 would otherwise leave out (0, false, "",
/// empty array) and strings that need escaping. An empty array is an empty vector of strings,
/// the type an empty OTLP array is read as.
inline std::vector<sdk::attribute> every_attribute_type() {
  using sdk::attribute;
  return {
      attribute{"bool.true", true},
      attribute{"bool.false", false},
      attribute{"int.zero", std::int64_t{0}},
      attribute{"int.negative", std::int64_t{-42}},
      attribute{"int.max", std::numeric_limits<std::int64_t>::max()},
      attribute{"int.min", std::numeric_limits<std::int64_t>::min()},
      attribute{"double.zero", 0.0},
      attribute{"double.negative_zero", -0.0},
      attribute{"double.pi", 3.141592653589793},
      attribute{"double.tiny", 5e-324},
      attribute{"double.inf", std::numeric_limits<double>::infinity()},
      attribute{"double.neg_inf", -std::numeric_limits<double>::infinity()},
      attribute{"double.nan", std::numeric_limits<double>::quiet_NaN()},
      attribute{"string.empty", std::string()},
      attribute{"string.escapes", std::string("q\"b\\s/n\nt\tr\rc\x01\x1f\x7f end")},
      attribute{"string.unicode", std::string("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80")},
      attribute{"string.nul", std::string("a\0b", 3)},
      attribute{"bytes.empty", sdk::byte_string{}},
      attribute{"bytes.binary", sdk::byte_string{{0x00, 0xFF, 0x10, 0x80, 0x7F}}},
      attribute{"bytes.two", sdk::byte_string{{0xAB, 0xCD}}},
      attribute{"array.bool", std::vector<bool>{true, false, true}},
      attribute{"array.int", std::vector<std::int64_t>{0, 1, -1, 1LL << 40}},
      attribute{"array.double", std::vector<double>{0.0, -1.5, 1e300}},
      attribute{"array.string", std::vector<std::string>{"", "a", "\"quoted\""}},
      attribute{"array.empty", std::vector<std::string>{}},
  };
}

inline trace::trace_id make_trace_id(std::uint8_t seed) {
  trace::trace_id id;
  for (std::size_t i = 0; i < id.bytes.size(); ++i) id.bytes[i] = static_cast<std::uint8_t>(seed + i * 7 + 1);
  return id;
}

inline trace::span_id make_span_id(std::uint8_t seed) {
  trace::span_id id;
  for (std::size_t i = 0; i < id.bytes.size(); ++i) id.bytes[i] = static_cast<std::uint8_t>(seed + i * 13 + 1);
  return id;
}

inline std::shared_ptr<const sdk::resource> make_resource(std::string service, std::string schema_url) {
  auto r = std::make_shared<sdk::resource>();
  r->attributes = {{"service.name", std::move(service)}, {"host.cpus", std::int64_t{2}}};
  r->schema_url = std::move(schema_url);
  return r;
}

inline std::shared_ptr<const sdk::instrumentation_scope> make_scope(std::string name, std::string version,
                                                                    std::string schema_url) {
  auto sc = std::make_shared<sdk::instrumentation_scope>();
  sc->name = std::move(name);
  sc->version = std::move(version);
  sc->schema_url = std::move(schema_url);
  sc->attributes = {{"scope.attr", std::string("v")}, {"scope.flag", true}};
  return sc;
}

/// Every field set: trace state, remote parent, every attribute type, two events, two links (one
/// remote with trace state and flags), dropped counts, an error status.
inline sdk::span_data rich_span(std::shared_ptr<const sdk::resource> res,
                                std::shared_ptr<const sdk::instrumentation_scope> scope, std::uint8_t seed) {
  sdk::span_data s;
  s.context.trace = make_trace_id(seed);
  s.context.span = make_span_id(seed);
  s.context.flags = trace::trace_flags{0x03};
  s.context.state = trace::trace_state::parse("vendor=value1,other@tenant=x-y");
  s.parent_span_id = make_span_id(static_cast<std::uint8_t>(seed + 100));
  s.parent_is_remote = true;
  s.name = "GET /users/{id} \"q\"";
  s.kind = trace::span_kind::server;
  s.start_time_unix_nano = 1544712660000000000ull + seed;
  s.end_time_unix_nano = 1544712661000000000ull + seed;
  s.attributes = every_attribute_type();
  s.dropped_attributes_count = 3;
  s.events.push_back({"exception", 1544712660500000000ull,
                      {{"exception.type", std::string("std::runtime_error")},
                       {"exception.message", std::string("boom\n")}},
                      2});
  s.events.push_back({"empty-event", 1544712660600000000ull, {}, 0});
  s.dropped_events_count = 4;
  sdk::span_link remote_link;
  remote_link.context.trace = make_trace_id(static_cast<std::uint8_t>(seed + 50));
  remote_link.context.span = make_span_id(static_cast<std::uint8_t>(seed + 50));
  remote_link.context.flags = trace::trace_flags{0x01};
  remote_link.context.remote = true;
  remote_link.context.state = trace::trace_state::parse("linked=1");
  remote_link.attributes = {{"link.kind", std::string("follows")}, {"link.n", std::int64_t{7}}};
  remote_link.dropped_attributes_count = 1;
  s.links.push_back(remote_link);
  sdk::span_link local_link;
  local_link.context.trace = make_trace_id(static_cast<std::uint8_t>(seed + 60));
  local_link.context.span = make_span_id(static_cast<std::uint8_t>(seed + 60));
  s.links.push_back(local_link);
  s.dropped_links_count = 5;
  s.status = {trace::status_code::error, "it failed: \"bad\""};
  s.resource_ptr = std::move(res);
  s.scope_ptr = std::move(scope);
  return s;
}

/// A root span with nothing optional set.
inline sdk::span_data minimal_root_span(std::shared_ptr<const sdk::resource> res,
                                        std::shared_ptr<const sdk::instrumentation_scope> scope,
                                        std::uint8_t seed) {
  sdk::span_data s;
  s.context.trace = make_trace_id(seed);
  s.context.span = make_span_id(seed);
  s.context.flags = trace::trace_flags{0x01};
  s.name = "root";
  s.kind = trace::span_kind::client;
  s.start_time_unix_nano = 1000;
  s.end_time_unix_nano = 2000;
  s.resource_ptr = std::move(res);
  s.scope_ptr = std::move(scope);
  return s;
}

/// Four spans over two resources and two scopes, in the order the encoders group them.
inline std::vector<sdk::span_data> rich_batch() {
  const auto checkout = make_resource("checkout", "https://opentelemetry.io/schemas/1.21.0");
  const auto payment = make_resource("payment", "");
  const auto http = make_scope("http", "1.2.3", "https://opentelemetry.io/schemas/1.20.0");
  const auto db = make_scope("db", "", "");
  std::vector<sdk::span_data> spans;
  spans.push_back(rich_span(checkout, http, 1));
  spans.push_back(minimal_root_span(checkout, http, 2));
  spans.push_back(rich_span(payment, db, 3));
  spans.push_back(minimal_root_span(payment, db, 4));
  return spans;
}

inline std::vector<const sdk::span_data*> pointers(const std::vector<sdk::span_data>& spans) {
  std::vector<const sdk::span_data*> out;
  for (const auto& s : spans) out.push_back(&s);
  return out;
}

}  // namespace ctxflow::viewer::testing
