// SPDX-License-Identifier: Apache-2.0
// Field-by-field checks of an ExportTraceServiceRequest decoded with libprotobuf (classes
// generated from tests/otlp/proto) against the span_data that was encoded (R8.1-R8.3). Shared by
// the encoder tests and the OTLP/gRPC exporter tests.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <span>
#include <string>
#include <vector>

#include "ctxflow/sdk/span_data.hpp"
#include "otlp_trace_service.pb.h"

namespace ctxflow::exporters::otlp::testing {

namespace pbc = opentelemetry::proto::common::v1;
namespace pbt = opentelemetry::proto::trace::v1;
using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;

inline std::string bytes_of(std::span<const std::uint8_t> b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

inline ExportTraceServiceRequest decode(const std::string& wire) {
  ExportTraceServiceRequest req;
  EXPECT_TRUE(req.ParseFromString(wire)) << "libprotobuf rejected the encoding";
  return req;
}

struct value_checker {
  const pbc::AnyValue& v;
  void operator()(bool x) const {
    ASSERT_EQ(v.value_case(), pbc::AnyValue::kBoolValue);
    EXPECT_EQ(v.bool_value(), x);
  }
  void operator()(std::int64_t x) const {
    ASSERT_EQ(v.value_case(), pbc::AnyValue::kIntValue);
    EXPECT_EQ(v.int_value(), x);
  }
  void operator()(double x) const {
    ASSERT_EQ(v.value_case(), pbc::AnyValue::kDoubleValue);
    if (std::isnan(x)) {
      EXPECT_TRUE(std::isnan(v.double_value()));
    } else {
      EXPECT_EQ(v.double_value(), x);
    }
  }
  void operator()(const std::string& x) const {
    ASSERT_EQ(v.value_case(), pbc::AnyValue::kStringValue);
    EXPECT_EQ(v.string_value(), x);
  }
  void operator()(const sdk::byte_string& x) const {
    ASSERT_EQ(v.value_case(), pbc::AnyValue::kBytesValue);
    EXPECT_EQ(v.bytes_value(), bytes_of(x.data));
  }
  template <class T>
  void operator()(const std::vector<T>& xs) const {
    ASSERT_EQ(v.value_case(), pbc::AnyValue::kArrayValue);
    ASSERT_EQ(static_cast<std::size_t>(v.array_value().values_size()), xs.size());
    for (std::size_t i = 0; i < xs.size(); ++i)
      value_checker{v.array_value().values(static_cast<int>(i))}(static_cast<T>(xs[i]));
  }
};

inline void expect_attributes(const google::protobuf::RepeatedPtrField<pbc::KeyValue>& got,
                       const std::vector<sdk::attribute>& want) {
  ASSERT_EQ(static_cast<std::size_t>(got.size()), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    const auto& kv = got.Get(static_cast<int>(i));
    SCOPED_TRACE(want[i].key);
    EXPECT_EQ(kv.key(), want[i].key);
    ASSERT_TRUE(kv.has_value());
    std::visit(value_checker{kv.value()}, want[i].value);
  }
}

inline std::uint32_t expected_flags(const trace::span_context& c, bool remote) {
  return std::uint32_t{c.flags.value} | 0x100u | (remote ? 0x200u : 0u);
}

inline void expect_span(const pbt::Span& got, const sdk::span_data& want) {
  SCOPED_TRACE(want.name);
  EXPECT_EQ(got.trace_id(), bytes_of(want.context.trace.bytes));
  EXPECT_EQ(got.span_id(), bytes_of(want.context.span.bytes));
  EXPECT_EQ(got.trace_state(), want.context.state.to_header());
  if (want.parent_span_id.valid()) {
    EXPECT_EQ(got.parent_span_id(), bytes_of(want.parent_span_id.bytes));
  } else {
    EXPECT_TRUE(got.parent_span_id().empty());  // R8.2: roots leave it empty
  }
  EXPECT_EQ(got.flags(), expected_flags(want.context, want.parent_is_remote));  // R8.1
  EXPECT_EQ(got.name(), want.name);
  EXPECT_EQ(static_cast<int>(got.kind()), static_cast<int>(want.kind));
  EXPECT_EQ(got.start_time_unix_nano(), want.start_time_unix_nano);
  EXPECT_EQ(got.end_time_unix_nano(), want.end_time_unix_nano);
  expect_attributes(got.attributes(), want.attributes);
  EXPECT_EQ(got.dropped_attributes_count(), want.dropped_attributes_count);
  ASSERT_EQ(static_cast<std::size_t>(got.events_size()), want.events.size());
  for (std::size_t i = 0; i < want.events.size(); ++i) {
    const auto& e = got.events(static_cast<int>(i));
    EXPECT_EQ(e.name(), want.events[i].name);
    EXPECT_EQ(e.time_unix_nano(), want.events[i].time_unix_nano);
    expect_attributes(e.attributes(), want.events[i].attributes);
    EXPECT_EQ(e.dropped_attributes_count(), want.events[i].dropped_attributes_count);
  }
  EXPECT_EQ(got.dropped_events_count(), want.dropped_events_count);
  ASSERT_EQ(static_cast<std::size_t>(got.links_size()), want.links.size());
  for (std::size_t i = 0; i < want.links.size(); ++i) {
    const auto& l = got.links(static_cast<int>(i));
    const auto& w = want.links[i];
    EXPECT_EQ(l.trace_id(), bytes_of(w.context.trace.bytes));
    EXPECT_EQ(l.span_id(), bytes_of(w.context.span.bytes));
    EXPECT_EQ(l.trace_state(), w.context.state.to_header());
    expect_attributes(l.attributes(), w.attributes);
    EXPECT_EQ(l.dropped_attributes_count(), w.dropped_attributes_count);
    EXPECT_EQ(l.flags(), expected_flags(w.context, w.context.remote));  // R8.1 links
  }
  EXPECT_EQ(got.dropped_links_count(), want.dropped_links_count);
  ASSERT_TRUE(got.has_status());
  EXPECT_EQ(got.status().message(), want.status.message);
  EXPECT_EQ(static_cast<int>(got.status().code()), static_cast<int>(want.status.code));
}

inline void expect_resource(const pbt::ResourceSpans& rs, const sdk::resource& want) {
  expect_attributes(rs.resource().attributes(), want.attributes);
  EXPECT_EQ(rs.schema_url(), want.schema_url);
}

inline void expect_scope(const pbt::ScopeSpans& ss, const sdk::instrumentation_scope& want) {
  EXPECT_EQ(ss.scope().name(), want.name);
  EXPECT_EQ(ss.scope().version(), want.version);
  expect_attributes(ss.scope().attributes(), want.attributes);
  EXPECT_EQ(ss.schema_url(), want.schema_url);
}

}  // namespace ctxflow::exporters::otlp::testing
