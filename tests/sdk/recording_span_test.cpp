// SPDX-License-Identifier: Apache-2.0
// Span behaviour with the SDK: current-span rules (R1.8), parents (R1.9), operations after end
// (R7.3), status (R7.4), exception events (R7.5), links (R7.7), ids and flags (R2.14, R7.9).
#include "ctxflow/sdk/recording_span.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <thread>

#include "ctxflow/context/scope.hpp"
#include "sdk/test_exporter.hpp"

namespace ctxflow::sdk {
namespace {

using test::find_attr;

trace::span_context remote_parent(bool sampled, bool random) {
  trace::span_context sc;
  sc.trace = trace::trace_id::from_hex("4bf92f3577b34da6a3ce929d0e0e4736");
  sc.span = trace::span_id::from_hex("00f067aa0ba902b7");
  sc.flags = sc.flags.with_sampled(sampled).with_random(random);
  sc.remote = true;
  return sc;
}

TEST(RecordingSpan, StartingASpanDoesNotMakeItCurrent) {  // R1.8
  test::simple_pipeline p;
  auto s = p.tracer.start_span("s");
  EXPECT_TRUE(s.is_recording());
  EXPECT_NE(trace::current_span(), s);
  EXPECT_FALSE(trace::current_span());
  s.end();
}

TEST(RecordingSpan, AnEndedSpanCanStillBeAParent) {  // R1.8
  test::simple_pipeline p;
  auto parent = p.tracer.start_span("parent");
  parent.end();
  scope sc{trace::context_with_span(context::current(), parent)};
  auto child = p.tracer.start_span("child");
  child.end();
  const auto spans = p.rec->snapshot();
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[1].context.trace, parent.context().trace);
  EXPECT_EQ(spans[1].parent_span_id, parent.context().span);
  EXPECT_FALSE(spans[1].parent_is_remote);
}

TEST(RecordingSpan, StartAsCurrentSpanRestoresThePreviousSpanAndEndsItsSpan) {  // R1.8
  test::simple_pipeline p;
  auto outer = p.tracer.start_as_current_span("outer");
  {
    auto inner = p.tracer.start_as_current_span("inner");
    EXPECT_EQ(trace::current_span(), inner.get());
    EXPECT_EQ(inner->context().trace, outer->context().trace);
  }
  EXPECT_EQ(trace::current_span(), outer.get());
  ASSERT_EQ(p.rec->size(), 1u);
  const span_data inner = p.rec->snapshot()[0];
  EXPECT_EQ(inner.name, "inner");
  EXPECT_EQ(inner.parent_span_id, outer->context().span);
}

TEST(RecordingSpan, ExplicitRootIgnoresTheCurrentSpan) {  // R1.9
  test::simple_pipeline p;
  auto outer = p.tracer.start_as_current_span("outer");
  trace::start_options o;
  o.root = true;
  auto s = p.tracer.start_span("root", o);
  EXPECT_NE(s.context().trace, outer->context().trace);
  s.end();
  EXPECT_FALSE(p.rec->snapshot()[0].parent_span_id.valid());
}

TEST(RecordingSpan, ChildOfARemoteParentKeepsItsTraceIdFlagsAndTraceState) {  // R2.12, R2.14, R3.10
  test::simple_pipeline p;
  trace::span_context remote = remote_parent(true, false);
  remote.state = trace::trace_state::parse("congo=t61rcWkgMzE");
  trace::start_options o;
  o.parent = trace::context_with_remote_parent(context(), remote);
  auto s = p.tracer.start_span("server", o);
  const trace::span_context sc = s.context();
  EXPECT_EQ(sc.trace, remote.trace);
  EXPECT_NE(sc.span, remote.span);
  EXPECT_FALSE(sc.remote);
  EXPECT_TRUE(sc.sampled());
  EXPECT_FALSE(sc.flags.random());  // copied from the parent, unset there
  EXPECT_EQ(sc.state, remote.state);
  s.end();
  EXPECT_TRUE(p.rec->snapshot()[0].parent_is_remote);
}

TEST(RecordingSpan, RootsGetTheRandomFlagAndChildrenCopyIt) {  // R2.14
  test::simple_pipeline p;
  auto root = p.tracer.start_as_current_span("root");
  EXPECT_TRUE(root->context().flags.random());
  auto child = p.tracer.start_span("child");
  EXPECT_TRUE(child.context().flags.random());
  child.end();
}

TEST(RecordingSpan, AnUnsampledSpanStillGetsAValidSpanId) {  // R7.9, R2.16
  tracer_provider_options o;
  o.sampler_ptr = make_always_off_sampler();
  test::simple_pipeline p(std::move(o));
  auto s = p.tracer.start_span("dropped");
  EXPECT_FALSE(s.is_recording());
  EXPECT_TRUE(s.context().valid());
  EXPECT_FALSE(s.context().sampled());
  s.end();
  EXPECT_EQ(p.rec->size(), 0u);
}

TEST(RecordingSpan, CallsAfterEndAreIgnoredAndOnlyTheFirstEndCounts) {  // R7.3
  test::simple_pipeline p;
  auto s = p.tracer.start_span("s");
  s.set_attribute("before", 1);
  s.end();
  EXPECT_FALSE(s.is_recording());
  EXPECT_TRUE(s.context().valid());
  s.set_attribute("after", 2);
  s.add_event("late");
  s.update_name("renamed");
  s.set_status(trace::status_code::error, "late");
  s.end();
  const auto spans = p.rec->snapshot();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].name, "s");
  EXPECT_EQ(spans[0].attributes.size(), 1u);
  EXPECT_TRUE(spans[0].events.empty());
  EXPECT_EQ(spans[0].status.code, trace::status_code::unset);
}

TEST(RecordingSpan, AttributesOverwriteAndEventsAndLinksKeepTheirOrder) {  // R7.3
  test::simple_pipeline p;
  auto s = p.tracer.start_span("s");
  s.set_attribute("k", "one");
  s.set_attribute("k", "two");
  s.add_event("first");
  s.add_event("second", {{"n", 2}});
  trace::span_context a = remote_parent(true, true), b = remote_parent(false, false);
  b.span = trace::span_id::from_hex("1111111111111111");
  s.add_link(a);
  s.add_link(b, {{"why", "retry"}});
  s.update_name("renamed");
  s.end();
  const span_data d = p.rec->snapshot().at(0);
  EXPECT_EQ(d.name, "renamed");
  ASSERT_EQ(d.attributes.size(), 1u);
  EXPECT_EQ(std::get<std::string>(d.attributes[0].value), "two");
  ASSERT_EQ(d.events.size(), 2u);
  EXPECT_EQ(d.events[0].name, "first");
  EXPECT_EQ(d.events[1].name, "second");
  EXPECT_LE(d.events[0].time_unix_nano, d.events[1].time_unix_nano);
  ASSERT_EQ(d.links.size(), 2u);
  EXPECT_EQ(d.links[0].context.span, a.span);
  EXPECT_EQ(d.links[1].context.span, b.span);
  EXPECT_GE(d.end_time_unix_nano, d.start_time_unix_nano);
}

TEST(RecordingSpan, EveryAttributeTypeIsStored) {  // R7.15
  test::simple_pipeline p;
  auto s = p.tracer.start_span("s");
  const bool bools[] = {true, false};
  const std::vector<std::int64_t> ints{1, 2};
  const std::vector<double> doubles{0.5};
  const std::vector<std::string> strings{"a", ""};
  s.set_attributes({{"b", false}, {"i", 0}, {"d", 0.0}, {"s", ""}, {"ba", std::span<const bool>(bools)},
                    {"ia", ints}, {"da", doubles}, {"sa", strings}});
  s.end();
  const span_data d = p.rec->snapshot().at(0);
  ASSERT_EQ(d.attributes.size(), 8u);  // zero and empty values are kept
  EXPECT_EQ(std::get<bool>(find_attr(d.attributes, "b")->value), false);
  EXPECT_EQ(std::get<std::string>(find_attr(d.attributes, "s")->value), "");
  EXPECT_EQ(std::get<std::vector<bool>>(find_attr(d.attributes, "ba")->value),
            (std::vector<bool>{true, false}));
  EXPECT_EQ(std::get<std::vector<std::int64_t>>(find_attr(d.attributes, "ia")->value), ints);
  EXPECT_EQ(std::get<std::vector<std::string>>(find_attr(d.attributes, "sa")->value), strings);
}

TEST(RecordingSpan, StatusFollowsTheOkErrorUnsetRules) {  // R7.4
  test::simple_pipeline p;
  auto a = p.tracer.start_span("a");
  a.set_status(trace::status_code::error, "bad");
  a.set_status(trace::status_code::unset);  // ignored
  a.end();
  auto b = p.tracer.start_span("b");
  b.set_status(trace::status_code::ok, "ignored description");
  b.set_status(trace::status_code::error, "too late");  // Ok is final
  b.end();
  const auto spans = p.rec->snapshot();
  EXPECT_EQ(spans[0].status.code, trace::status_code::error);
  EXPECT_EQ(spans[0].status.message, "bad");
  EXPECT_EQ(spans[1].status.code, trace::status_code::ok);
  EXPECT_EQ(spans[1].status.message, "");
}

TEST(RecordingSpan, RecordExceptionAddsAnExceptionEventWithTypeAndMessage) {  // R7.5
  test::simple_pipeline p;
  auto s = p.tracer.start_span("s");
  try {
    throw std::runtime_error("disk full");
  } catch (...) {
    s.record_exception(std::current_exception());
  }
  s.record_exception("my::error", "boom", std::initializer_list<trace::attribute_kv>{{"exception.message", "override"}});
  s.end();
  const span_data d = p.rec->snapshot().at(0);
  ASSERT_EQ(d.events.size(), 2u);
  EXPECT_EQ(d.events[0].name, "exception");
  EXPECT_EQ(std::get<std::string>(find_attr(d.events[0].attributes, "exception.type")->value),
            "std::runtime_error");
  EXPECT_EQ(std::get<std::string>(find_attr(d.events[0].attributes, "exception.message")->value),
            "disk full");
  // Caller-supplied attributes win over generated ones.
  EXPECT_EQ(std::get<std::string>(find_attr(d.events[1].attributes, "exception.message")->value),
            "override");
}

TEST(RecordingSpan, LinksToInvalidContextsAreKeptOnlyWithAttributes) {  // R7.7
  test::simple_pipeline p;
  auto s = p.tracer.start_span("s");
  s.add_link(trace::span_context{});
  s.add_link(trace::span_context{}, {{"reason", "lost"}});
  s.end();
  EXPECT_EQ(p.rec->snapshot().at(0).links.size(), 1u);
}

TEST(RecordingSpan, StartOptionsSetKindTimeAttributesAndLinks) {  // R7.2, R7.3
  test::simple_pipeline p;
  const trace::attribute_kv attrs[] = {{"http.request.method", "GET"}};
  const trace::link_view links[] = {{remote_parent(true, true), {}}};
  trace::start_options o;
  o.kind = trace::span_kind::server;
  o.attributes = attrs;
  o.links = links;
  o.start_time = trace::timestamp(std::chrono::seconds(1000));
  auto s = p.tracer.start_span("GET", o);
  s.end(trace::timestamp(std::chrono::seconds(1001)));
  const span_data d = p.rec->snapshot().at(0);
  EXPECT_EQ(d.kind, trace::span_kind::server);
  EXPECT_EQ(d.start_time_unix_nano, 1000'000'000'000ull);
  EXPECT_EQ(d.end_time_unix_nano, 1001'000'000'000ull);
  EXPECT_NE(find_attr(d.attributes, "http.request.method"), nullptr);
  ASSERT_EQ(d.links.size(), 1u);
  ASSERT_NE(d.scope_ptr, nullptr);
  EXPECT_EQ(d.scope_ptr->name, "test");
  EXPECT_EQ(d.scope_ptr->version, "1.0");
  ASSERT_NE(d.resource_ptr, nullptr);
}

TEST(RecordingSpan, SpanDataKeepsTheResourceAliveAfterTheProviderIsGone) {  // span_data lifetime
  std::vector<span_data> copies;
  {
    test::simple_pipeline p;
    p.tracer.start_span("s").end();
    copies = p.rec->snapshot();
  }
  ASSERT_EQ(copies.size(), 1u);
  ASSERT_NE(copies[0].resource_ptr, nullptr);
  EXPECT_FALSE(copies[0].resource_ptr->attributes.empty());
}

}  // namespace
}  // namespace ctxflow::sdk

namespace ctxflow::sdk {
namespace {

// Start and end times are read from the SDK's own clock (a TSC anchored to CLOCK_REALTIME).
// Spans started and ended through a tracer, over the clock's first calibration (20 ms) and
// beyond, carry Unix-epoch times that agree with the system clock around the calls, and a
// span's duration covers the time it was open.
TEST(SpanClock, SpanTimesAreUnixEpochNanosecondsThatAgreeWithTheSystemClock) {  // R7.2
  auto now_ns = [] {
    return static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count());
  };
  test::simple_pipeline p;
  constexpr std::int64_t tolerance = 1'000'000;  // 1 ms
  for (int i = 0; i < 25; ++i) {
    const std::int64_t before_start = now_ns();
    trace::span s = p.tracer.start_span("timed");
    const std::int64_t after_start = now_ns();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    const std::int64_t before_end = now_ns();
    s.end();
    const std::int64_t after_end = now_ns();
    const std::vector<span_data> spans = p.rec->snapshot();
    ASSERT_EQ(spans.size(), static_cast<std::size_t>(i + 1));
    const span_data& d = spans.back();
    const auto start = static_cast<std::int64_t>(d.start_time_unix_nano);
    const auto end = static_cast<std::int64_t>(d.end_time_unix_nano);
    EXPECT_GE(start, before_start - tolerance);
    EXPECT_LE(start, after_start + tolerance);
    EXPECT_GE(end, before_end - tolerance);
    EXPECT_LE(end, after_end + tolerance);
    EXPECT_GE(end - start, 2'000'000 - tolerance);
    EXPECT_LE(end - start, after_end - before_start + tolerance);
  }
}

TEST(SpanClock, NowAgreesWithTheSystemClockWithinAMillisecond) {  // R7.2 start time = now
  for (int i = 0; i < 30; ++i) {
    const auto before = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
    const std::uint64_t ours = to_unix_nanos(trace::timestamp{});
    const auto after = std::chrono::duration_cast<std::chrono::nanoseconds>(
                           std::chrono::system_clock::now().time_since_epoch()).count();
    EXPECT_GE(static_cast<std::int64_t>(ours), before - 1'000'000);
    EXPECT_LE(static_cast<std::int64_t>(ours), after + 1'000'000);
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
  }
}

}  // namespace
}  // namespace ctxflow::sdk
