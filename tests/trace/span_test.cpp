// SPDX-License-Identifier: Apache-2.0
// The span API without an SDK: non-recording spans, the span slot helpers (R1.8, R1.9, R7.6).
#include "ctxflow/trace/span.hpp"

#include <gtest/gtest.h>

#include "ctxflow/context/scope.hpp"

namespace ctxflow::trace {
namespace {

span_context make_sc(std::uint8_t flags = 1) {
  span_context sc;
  sc.trace = trace_id::from_hex("12345678901234567890123456789012");
  sc.span = span_id::from_hex("1234567890123456");
  sc.flags.value = flags;
  return sc;
}

TEST(Span, EmptyHandleIgnoresEveryCallAndHasTheInvalidContext) {
  span s;
  EXPECT_FALSE(s);
  EXPECT_FALSE(s.is_recording());
  EXPECT_FALSE(s.context().valid());
  s.set_attribute("k", 1);
  s.add_event("e");
  s.set_status(status_code::error, "x");
  s.end();
  EXPECT_FALSE(s.context().valid());
}

TEST(Span, NonRecordingSpanReturnsItsWrappedContextAndRecordsNothing) {  // R7.6
  span s = make_non_recording_span(make_sc());
  ASSERT_TRUE(s);
  EXPECT_FALSE(s.is_recording());
  EXPECT_EQ(s.context().trace, make_sc().trace);
  EXPECT_EQ(s.context().span, make_sc().span);
  s.end();
  EXPECT_TRUE(s.context().valid());
}

TEST(Span, CopiesShareTheSpanAndReleaseItWhenDestroyed) {
  span a = make_non_recording_span(make_sc());
  const std::uint32_t base = a.get()->use_count();
  {
    span b = a;
    EXPECT_EQ(a.get(), b.get());
    EXPECT_EQ(a.get()->use_count(), base + 1);
  }
  EXPECT_EQ(a.get()->use_count(), base);
}

TEST(SpanSlot, ContextWithRemoteParentStoresANonRecordingRemoteSpan) {  // R1.9, R2.12, R7.6
  context ctx = context_with_remote_parent(context(), make_sc());
  const span_context sc = span_context_from(ctx);
  EXPECT_TRUE(sc.valid());
  EXPECT_TRUE(sc.remote);
  EXPECT_EQ(sc.trace, make_sc().trace);
  EXPECT_FALSE(span_from(ctx).is_recording());
}

TEST(SpanSlot, ContextWithRemoteParentIgnoresAnInvalidSpanContext) {
  context base;
  context ctx = context_with_remote_parent(base, span_context{});
  EXPECT_EQ(ctx, base);
  EXPECT_FALSE(span_context_from(ctx).valid());
}

TEST(SpanSlot, CurrentSpanReadsTheCurrentContextsSlot) {
  EXPECT_FALSE(current_span());
  span s = make_non_recording_span(make_sc());
  {
    scope sc{context_with_span(context::current(), s)};
    EXPECT_EQ(current_span(), s);
  }
  EXPECT_FALSE(current_span());
}

TEST(SpanSlot, ScopedSpanMakesTheSpanCurrentAndRestoresThePreviousOne) {
  span outer = make_non_recording_span(make_sc());
  span inner = make_non_recording_span(make_sc(0));
  scope s{context_with_span(context::current(), outer)};
  {
    scoped_span guard{inner};
    EXPECT_EQ(current_span(), inner);
  }
  EXPECT_EQ(current_span(), outer);
}

}  // namespace
}  // namespace ctxflow::trace
