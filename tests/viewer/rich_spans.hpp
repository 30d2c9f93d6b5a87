// SPDX-License-Identifier: Apache-2.0
// Spans with every field the OTLP readers map, for the round-trip tests and the fuzz seeds (the
// OTLP encoder tests' spans, tests/otlp/span_fixtures.hpp, with the attributes a reader gives back):
// attributes of every type span_data holds, events, links with trace state and flags, an error
// status, a remote parent, two resources and two scopes.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "ctxflow/sdk/span_data.hpp"
#include "otlp/span_fixtures.hpp"

namespace ctxflow::viewer::testing {

namespace otlp_fixtures = exporters::otlp::testing;

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

inline trace::trace_id make_trace_id(std::uint8_t seed) { return otlp_fixtures::tid(seed); }
inline trace::span_id make_span_id(std::uint8_t seed) { return otlp_fixtures::sid(seed); }
using otlp_fixtures::make_resource;
using otlp_fixtures::make_scope;
using otlp_fixtures::pointers;

/// The OTLP encoder tests' span with every field set (trace state, remote parent, two events,
/// two links, dropped counts, an error status), with the attributes above.
inline sdk::span_data rich_span(std::shared_ptr<const sdk::resource> res,
                                std::shared_ptr<const sdk::instrumentation_scope> scope, std::uint8_t seed) {
  return otlp_fixtures::rich_span(std::move(res), std::move(scope), seed, every_attribute_type());
}

/// A root span with nothing optional set but a client kind.
inline sdk::span_data minimal_root_span(std::shared_ptr<const sdk::resource> res,
                                        std::shared_ptr<const sdk::instrumentation_scope> scope,
                                        std::uint8_t seed) {
  sdk::span_data s = otlp_fixtures::minimal_root_span(std::move(res), std::move(scope), seed);
  s.kind = trace::span_kind::client;
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

}  // namespace ctxflow::viewer::testing
