// SPDX-License-Identifier: Apache-2.0
// Span limits (R7.13, R7.14): counted drops, truncation, overwrite is not an addition, and the
// OTEL_*_LIMIT variables.
#include "ctxflow/sdk/span_limits.hpp"

#include <gtest/gtest.h>

#include "ctxflow/testing/diagnostics_capture.hpp"
#include "sdk/test_exporter.hpp"

namespace ctxflow::sdk {
namespace {

using test::find_attr;

tracer_provider_options with_limits(span_limits l) {
  tracer_provider_options o;
  o.limits = l;
  return o;
}

TEST(SpanLimits, DefaultsAre128AndUnlimitedLength) {  // R7.13, R7.14
  span_limits l;
  EXPECT_EQ(l.attribute_count, 128u);
  EXPECT_EQ(l.event_count, 128u);
  EXPECT_EQ(l.link_count, 128u);
  EXPECT_EQ(l.attributes_per_event, 128u);
  EXPECT_EQ(l.attributes_per_link, 128u);
  EXPECT_EQ(l.attribute_value_length, span_limits::unlimited);
}

TEST(SpanLimits, AttributesOverTheCountAreDroppedAndCounted) {  // R7.13
  span_limits l;
  l.attribute_count = 2;
  test::simple_pipeline p(with_limits(l));
  testing::diagnostics_capture cap;
  auto s = p.tracer.start_span("s");
  s.set_attribute("a", 1);
  s.set_attribute("b", 2);
  s.set_attribute("c", 3);
  s.set_attribute("d", 4);
  s.end();
  const span_data d = p.rec->snapshot().at(0);
  EXPECT_EQ(d.attributes.size(), 2u);
  EXPECT_EQ(d.dropped_attributes_count, 2u);
  EXPECT_EQ(find_attr(d.attributes, "c"), nullptr);
  EXPECT_EQ(cap.count("sdk.span.limit_exceeded"), 1u);  // at most once per span (R7.14)
}

TEST(SpanLimits, OverwritingAnExistingKeyIsNotAnAddition) {  // R7.13
  span_limits l;
  l.attribute_count = 1;
  test::simple_pipeline p(with_limits(l));
  auto s = p.tracer.start_span("s");
  s.set_attribute("a", 1);
  s.set_attribute("a", 2);
  s.end();
  const span_data d = p.rec->snapshot().at(0);
  ASSERT_EQ(d.attributes.size(), 1u);
  EXPECT_EQ(std::get<std::int64_t>(d.attributes[0].value), 2);
  EXPECT_EQ(d.dropped_attributes_count, 0u);
}

TEST(SpanLimits, StringsAreTruncatedByCodePointsAndNotCountedAsDropped) {  // R7.13
  span_limits l;
  l.attribute_value_length = 3;
  test::simple_pipeline p(with_limits(l));
  auto s = p.tracer.start_span("s");
  s.set_attribute("ascii", "abcdef");
  s.set_attribute("utf8", "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9");  // four 'é'
  const std::string_view arr[] = {"12345", "xy"};
  s.set_attribute("arr", std::span<const std::string_view>(arr));
  const std::uint8_t bytes[] = {1, 2, 3, 4, 5};
  s.set_attribute("bytes", trace::bytes_view{bytes});
  s.set_attribute("num", 123456789);
  s.end();
  const span_data d = p.rec->snapshot().at(0);
  EXPECT_EQ(std::get<std::string>(find_attr(d.attributes, "ascii")->value), "abc");
  EXPECT_EQ(std::get<std::string>(find_attr(d.attributes, "utf8")->value), "\xC3\xA9\xC3\xA9\xC3\xA9");
  EXPECT_EQ(std::get<std::vector<std::string>>(find_attr(d.attributes, "arr")->value),
            (std::vector<std::string>{"123", "xy"}));
  EXPECT_EQ(std::get<byte_string>(find_attr(d.attributes, "bytes")->value).data,
            (std::vector<std::uint8_t>{1, 2, 3}));
  EXPECT_EQ(std::get<std::int64_t>(find_attr(d.attributes, "num")->value), 123456789);
  EXPECT_EQ(d.dropped_attributes_count, 0u);
}

TEST(SpanLimits, EventsAndLinksOverTheirLimitsAreDroppedAndCounted) {  // R7.14
  span_limits l;
  l.event_count = 1;
  l.link_count = 1;
  l.attributes_per_event = 1;
  l.attributes_per_link = 1;
  test::simple_pipeline p(with_limits(l));
  auto s = p.tracer.start_span("s");
  s.add_event("e1", {{"a", 1}, {"b", 2}});
  s.add_event("e2");
  trace::span_context linked;
  linked.trace = trace::trace_id::from_hex("0af7651916cd43dd8448eb211c80319c");
  linked.span = trace::span_id::from_hex("b7ad6b7169203331");
  s.add_link(linked, {{"x", 1}, {"y", 2}, {"z", 3}});
  s.add_link(linked);
  s.end();
  const span_data d = p.rec->snapshot().at(0);
  ASSERT_EQ(d.events.size(), 1u);
  EXPECT_EQ(d.dropped_events_count, 1u);
  EXPECT_EQ(d.events[0].attributes.size(), 1u);
  EXPECT_EQ(d.events[0].dropped_attributes_count, 1u);
  ASSERT_EQ(d.links.size(), 1u);
  EXPECT_EQ(d.dropped_links_count, 1u);
  EXPECT_EQ(d.links[0].dropped_attributes_count, 2u);
}

TEST(SpanLimits, SpanSpecificVariablesOverrideTheGeneralOnes) {  // R7.14, R10
  test::env_guard a("OTEL_ATTRIBUTE_COUNT_LIMIT", "10");
  test::env_guard b("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "20");
  test::env_guard c("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "30");
  test::env_guard d("OTEL_SPAN_EVENT_COUNT_LIMIT", "5");
  test::env_guard e("OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", "6");
  const span_limits l = span_limits::from_environment();
  EXPECT_EQ(l.attribute_count, 20u);
  EXPECT_EQ(l.attribute_value_length, 30u);
  EXPECT_EQ(l.event_count, 5u);
  EXPECT_EQ(l.attributes_per_link, 6u);
  EXPECT_EQ(l.link_count, 128u);
}

TEST(SpanLimits, BadValuesAreReportedByNameAndIgnored) {  // R10 integers
  test::env_guard a("OTEL_SPAN_LINK_COUNT_LIMIT", "-1");
  test::env_guard b("OTEL_SPAN_EVENT_COUNT_LIMIT", "many");
  testing::diagnostics_capture cap;
  const span_limits l = span_limits::from_environment();
  EXPECT_EQ(l.link_count, 128u);
  EXPECT_EQ(l.event_count, 128u);
  EXPECT_EQ(cap.count("sdk.env.invalid"), 2u);
  bool named = false;
  for (const auto& r : cap.records()) named = named || r.message.find("OTEL_SPAN_LINK_COUNT_LIMIT") != std::string::npos;
  EXPECT_TRUE(named);
}

}  // namespace
}  // namespace ctxflow::sdk
