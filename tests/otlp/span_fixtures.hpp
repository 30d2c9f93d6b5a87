// SPDX-License-Identifier: Apache-2.0
// Test data for the OTLP encoder tests: spans with every field set and attributes of every
// type, spread over two resources and three scopes.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "ctxflow/sdk/span_data.hpp"

namespace ctxflow::exporters::otlp::testing {

/// Attributes covering every attribute_value alternative, including the values that proto3
/// would otherwise leave out (0, false, "", empty arrays) and strings that need escaping.
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
      attribute{"double.pi", 3.141592653589793},
      attribute{"double.tiny", 5e-324},
      attribute{"double.inf", std::numeric_limits<double>::infinity()},
      attribute{"double.neg_inf", -std::numeric_limits<double>::infinity()},
      attribute{"double.nan", std::numeric_limits<double>::quiet_NaN()},
      attribute{"string.empty", std::string()},
      attribute{"string.plain", std::string("hello")},
      attribute{"string.escapes", std::string("q\"b\\s/n\nt\tr\rc\x01\x1f\x7f end")},
      attribute{"string.unicode", std::string("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80")},
      attribute{"string.nul", std::string("a\0b", 3)},
      attribute{"bytes.empty", sdk::byte_string{}},
      attribute{"bytes.binary", sdk::byte_string{{0x00, 0xFF, 0x10, 0x80, 0x7F}}},
      attribute{"bytes.one", sdk::byte_string{{0xAB}}},
      attribute{"bytes.two", sdk::byte_string{{0xAB, 0xCD}}},
      attribute{"array.bool", std::vector<bool>{true, false, true}},
      attribute{"array.int", std::vector<std::int64_t>{0, 1, -1, 1LL << 40}},
      attribute{"array.double", std::vector<double>{0.0, -1.5, 1e300}},
      attribute{"array.string", std::vector<std::string>{"", "a", "\"quoted\""}},
      attribute{"array.empty", std::vector<std::int64_t>{}},
      attribute{"array.empty_string", std::vector<std::string>{}},
  };
}

inline trace::trace_id tid(std::uint8_t seed) {
  trace::trace_id id;
  for (std::size_t i = 0; i < id.bytes.size(); ++i)
    id.bytes[i] = static_cast<std::uint8_t>(seed + i * 7 + 1);
  return id;
}

inline trace::span_id sid(std::uint8_t seed) {
  trace::span_id id;
  for (std::size_t i = 0; i < id.bytes.size(); ++i)
    id.bytes[i] = static_cast<std::uint8_t>(seed + i * 13 + 1);
  return id;
}

/// A span with every field set: tracestate, remote parent, all attribute types, two events,
/// two links (one remote with tracestate), dropped counts and an error status. `attributes`
/// replaces every_attribute_type() for tests that need another set.
inline sdk::span_data rich_span(std::shared_ptr<const sdk::resource> res,
                                std::shared_ptr<const sdk::instrumentation_scope> scope,
                                std::uint8_t seed,
                                std::vector<sdk::attribute> attributes = every_attribute_type()) {
  sdk::span_data s;
  s.context.trace = tid(seed);
  s.context.span = sid(seed);
  s.context.flags = trace::trace_flags{0x03};
  s.context.state = trace::trace_state::parse("vendor=value1,other@tenant=x-y");
  s.parent_span_id = sid(static_cast<std::uint8_t>(seed + 100));
  s.parent_is_remote = true;
  s.name = "GET /users/{id} \"q\"";
  s.kind = trace::span_kind::server;
  s.start_time_unix_nano = 1544712660000000000ull + seed;
  s.end_time_unix_nano = 1544712661000000000ull + seed;
  s.attributes = std::move(attributes);
  s.dropped_attributes_count = 3;
  s.events.push_back({"exception", 1544712660500000000ull,
                      {{"exception.type", std::string("std::runtime_error")},
                       {"exception.message", std::string("boom\n")}},
                      2});
  s.events.push_back({"empty-event", 1544712660600000000ull, {}, 0});
  s.dropped_events_count = 4;
  sdk::span_link remote_link;
  remote_link.context.trace = tid(static_cast<std::uint8_t>(seed + 50));
  remote_link.context.span = sid(static_cast<std::uint8_t>(seed + 50));
  remote_link.context.flags = trace::trace_flags{0x01};
  remote_link.context.remote = true;
  remote_link.context.state = trace::trace_state::parse("linked=1");
  remote_link.attributes = {{"link.kind", std::string("follows")}, {"link.n", std::int64_t{7}}};
  remote_link.dropped_attributes_count = 1;
  s.links.push_back(remote_link);
  sdk::span_link local_link;
  local_link.context.trace = tid(static_cast<std::uint8_t>(seed + 60));
  local_link.context.span = sid(static_cast<std::uint8_t>(seed + 60));
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
  s.context.trace = tid(seed);
  s.context.span = sid(seed);
  s.context.flags = trace::trace_flags{0x01};
  s.name = "root";
  s.kind = trace::span_kind::internal;
  s.start_time_unix_nano = 1000;
  s.end_time_unix_nano = 2000;
  s.resource_ptr = std::move(res);
  s.scope_ptr = std::move(scope);
  return s;
}

inline std::shared_ptr<const sdk::resource> make_resource(std::string service,
                                                          std::string schema_url) {
  auto r = std::make_shared<sdk::resource>();
  r->attributes = {{"service.name", std::move(service)},
                   {"telemetry.sdk.language", std::string("cpp")},
                   {"host.cpus", std::int64_t{2}}};
  r->schema_url = std::move(schema_url);
  return r;
}

inline std::shared_ptr<const sdk::instrumentation_scope> make_scope(std::string name,
                                                                    std::string version,
                                                                    std::string schema_url) {
  auto sc = std::make_shared<sdk::instrumentation_scope>();
  sc->name = std::move(name);
  sc->version = std::move(version);
  sc->schema_url = std::move(schema_url);
  sc->attributes = {{"scope.attr", std::string("v")}, {"scope.flag", true}};
  return sc;
}

/// Pointers to the spans, as an exporter receives them.
inline std::vector<const sdk::span_data*> pointers(const std::vector<sdk::span_data>& spans) {
  std::vector<const sdk::span_data*> out;
  for (const auto& s : spans) out.push_back(&s);
  return out;
}

/// A batch of `n` spans of one resource and scope, rich and minimal ones in turn, named
/// `span-<i>`; `ptrs` is what export_spans takes.
struct batch_fixture {
  std::shared_ptr<const sdk::resource> res = make_resource("svc", "");
  std::shared_ptr<const sdk::instrumentation_scope> scope = make_scope("lib", "1.0", "");
  std::vector<sdk::span_data> spans;
  std::vector<const sdk::span_data*> ptrs;
  explicit batch_fixture(int n) {
    for (int i = 0; i < n; ++i) {
      spans.push_back(i % 2 == 0 ? rich_span(res, scope, static_cast<std::uint8_t>(i))
                                 : minimal_root_span(res, scope, static_cast<std::uint8_t>(i)));
      spans.back().name = "span-" + std::to_string(i);
    }
    ptrs = pointers(spans);
  }
};

}  // namespace ctxflow::exporters::otlp::testing
