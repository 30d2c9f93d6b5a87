// SPDX-License-Identifier: Apache-2.0
// The no-op tracer (R7.6): spans carry the parent's span context and allocate nothing new when
// the parent is non-recording.
#include "ctxflow/trace/tracer.hpp"

#include <gtest/gtest.h>

#include "ctxflow/context/scope.hpp"

namespace ctxflow::trace {
namespace {

span_context remote_sc() {
  span_context sc;
  sc.trace = trace_id::from_hex("4bf92f3577b34da6a3ce929d0e0e4736");
  sc.span = span_id::from_hex("00f067aa0ba902b7");
  sc.flags.value = 1;
  return sc;
}

TEST(NoopTracer, WithoutAParentGivesAnEmptyNonRecordingSpan) {  // R7.6
  tracer t;
  span s = t.start_span("x");
  EXPECT_FALSE(s.is_recording());
  EXPECT_FALSE(s.context().valid());
  EXPECT_FALSE(t.enabled());
}

TEST(NoopTracer, ReturnsTheCurrentNonRecordingParentItself) {  // R7.6
  scope sc{context_with_remote_parent(context::current(), remote_sc())};
  tracer t;
  span s = t.start_span("child");
  EXPECT_EQ(s, current_span());
  EXPECT_EQ(s.context().span, remote_sc().span);
}

TEST(NoopTracer, UsesAnExplicitParentContextOverTheCurrentOne) {  // R1.9
  context explicit_parent = context_with_remote_parent(context(), remote_sc());
  tracer t;
  start_options o;
  o.parent = explicit_parent;
  EXPECT_EQ(t.start_span("x", o).context().trace, remote_sc().trace);
}

TEST(NoopTracer, RootOptionIgnoresTheCurrentParent) {  // R1.9
  scope sc{context_with_remote_parent(context::current(), remote_sc())};
  tracer t;
  start_options o;
  o.root = true;
  EXPECT_FALSE(t.start_span("x", o).context().valid());
}

TEST(NoopTracer, StartAsCurrentSpanKeepsTheTraceCurrentInsideTheBlock) {
  scope sc{context_with_remote_parent(context::current(), remote_sc())};
  tracer t;
  {
    auto s = t.start_as_current_span("inner");
    EXPECT_EQ(span_context_from(context::current()).trace, remote_sc().trace);
  }
  EXPECT_EQ(current_span().context().span, remote_sc().span);
}

}  // namespace
}  // namespace ctxflow::trace
