// SPDX-License-Identifier: Apache-2.0
// The span API without an SDK: non-recording spans, the span slot helpers (R1.8, R1.9, R7.6).
#include "ctxflow/trace/span.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "ctxflow/context/scope.hpp"
#include "ctxflow/trace/trace_state.hpp"

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

// A ref_counted object that says when it is destroyed.
class tracked final : public ctxflow::detail::ref_counted {
 public:
  explicit tracked(bool& destroyed) noexcept : destroyed_(destroyed) {}
  ~tracked() override { destroyed_ = true; }

 private:
  bool& destroyed_;
};

TEST(SpanSlot, TheRemoteParentSpanOutlivesItsContextWhileAHandleHoldsIt) {  // R1.9
  span held;
  {
    context ctx = context_with_remote_parent(context(), make_sc());
    held = span(span_from(ctx));
    EXPECT_EQ(held.get()->use_count(), 2u);  // the context's reference and ours
  }
  ASSERT_TRUE(held);
  EXPECT_EQ(held.get()->use_count(), 1u);
  EXPECT_TRUE(held.context().remote);
  EXPECT_EQ(held.context().trace, make_sc().trace);
  EXPECT_EQ(held.context().span, make_sc().span);
  EXPECT_FALSE(held.is_recording());
}

TEST(SpanSlot, ContextsDerivedFromARemoteParentKeepItsSpanAfterTheOriginalIsGone) {
  static const context_key key{"derived"};
  bool destroyed = false;
  context derived;
  {
    context ctx = context_with_remote_parent(context(), make_sc());
    auto value = ctxflow::detail::make_ref<tracked>(destroyed);
    derived = ctx.with_value(key, value.get());
  }
  EXPECT_EQ(span_context_from(derived).trace, make_sc().trace);
  EXPECT_TRUE(span_context_from(derived).remote);
  EXPECT_NE(derived.find(key), nullptr);
  derived = context();
  EXPECT_TRUE(destroyed);
}

TEST(SpanSlot, ContextWithRemoteParentKeepsTheBaseContextsValuesAndBaggage) {
  static const context_key first{"first"};
  static const context_key second{"second"};
  bool first_gone = false;
  bool second_gone = false;
  bool baggage_gone = false;
  {
    context base;
    {
      auto a = ctxflow::detail::make_ref<tracked>(first_gone);
      auto b = ctxflow::detail::make_ref<tracked>(second_gone);
      auto bag = ctxflow::detail::make_ref<tracked>(baggage_gone);
      base = base.with_value(second, b.get()).with_value(first, a.get()).with_baggage_slot(bag.get());
    }
    context ctx = context_with_remote_parent(base, make_sc());
    EXPECT_EQ(ctx.find(first), base.find(first));
    EXPECT_EQ(ctx.find(second), base.find(second));
    EXPECT_EQ(ctx.baggage_slot(), base.baggage_slot());
    EXPECT_TRUE(span_context_from(ctx).remote);
    EXPECT_FALSE(span_from(base));  // the base is unchanged
    base = context();
    EXPECT_FALSE(first_gone);  // still held by ctx
    EXPECT_FALSE(baggage_gone);
  }
  EXPECT_TRUE(first_gone);
  EXPECT_TRUE(second_gone);
  EXPECT_TRUE(baggage_gone);
}

TEST(SpanSlot, ContextWithRemoteParentReplacesTheSpanOfTheBaseContext) {
  span local = make_non_recording_span(make_sc(0));
  const context base = context_with_span(context(), local);
  span_context remote = make_sc();
  remote.span = span_id::from_hex("00000000000000ff");
  const context ctx = context_with_remote_parent(base, remote);
  EXPECT_EQ(span_context_from(ctx).span, remote.span);
  EXPECT_TRUE(span_context_from(ctx).remote);
  EXPECT_EQ(span_from(base), local);
  EXPECT_EQ(local.get()->use_count(), 2u);  // `local` and `base`; the new context dropped it
}

TEST(SpanSlot, ContextWithRemoteParentTakesOverAMovedTraceStateAndSharesACopiedOne) {
  span_context sc = make_sc();
  sc.state = trace_state::parse("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
  ASSERT_EQ(sc.state.size(), 2u);
  const context shared = context_with_remote_parent(context(), sc);
  EXPECT_EQ(sc.state.size(), 2u);  // the caller's copy is untouched
  EXPECT_EQ(span_context_from(shared).state, sc.state);
  const context moved = context_with_remote_parent(context(), std::move(sc));
  EXPECT_EQ(span_context_from(moved).state.header(), "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
  EXPECT_TRUE(span_context_from(moved).remote);
}

TEST(SpanSlot, ManyRemoteParentsCanBeAliveAtOnceAndFreedInAnyOrder) {
  // More than a thread keeps for reuse, freed out of order, then built again from reused
  // memory: each context keeps its own span context throughout.
  for (int round = 0; round < 3; ++round) {
    std::vector<context> live;
    for (int i = 0; i < 40; ++i) {
      span_context sc = make_sc();
      sc.span.bytes[7] = static_cast<std::uint8_t>(i + 1);
      live.push_back(context_with_remote_parent(context(), sc));
    }
    for (std::size_t i = 0; i < live.size(); i += 2) live[i] = context();
    for (std::size_t i = 1; i < live.size(); i += 2)
      ASSERT_EQ(span_context_from(live[i]).span.bytes[7], static_cast<std::uint8_t>(i + 1));
  }
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
