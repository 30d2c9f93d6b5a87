// SPDX-License-Identifier: Apache-2.0
// log::ids: the ids of the current span, read from the current context, and their text.
#include "ctxflow/log/ids.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>

#include "ctxflow/context/scope.hpp"
#include "ctxflow/testing/span_recorder.hpp"
#include "ctxflow/trace/provider.hpp"

namespace ctxflow::log {
namespace {

std::string text_of(const ids& i) {
  std::array<char, ids::text_size> buffer;
  const std::size_t n = i.write(buffer);
  return std::string(buffer.data(), n);
}

TEST(LogIds, CurrentIdsAreInvalidOutsideASpan) {
  EXPECT_FALSE(current_ids().valid());
  EXPECT_EQ(text_of(current_ids()), "");
}

TEST(LogIds, CurrentIdsFollowTheInnermostCurrentSpanAndComeBackWhenItEnds) {
  testing::span_recorder recorder;
  const auto tracer = trace::get_tracer("log.test");
  auto outer = tracer.start_as_current_span("outer");
  const ids outer_ids = ids_of(outer->context());
  ASSERT_TRUE(outer_ids.valid());
  EXPECT_EQ(current_ids(), outer_ids);
  {
    auto inner = tracer.start_as_current_span("inner");
    const ids inner_ids = current_ids();
    EXPECT_EQ(inner_ids, ids_of(inner->context()));
    EXPECT_EQ(inner_ids.trace, outer_ids.trace);
    EXPECT_NE(inner_ids.span, outer_ids.span);
  }
  EXPECT_EQ(current_ids(), outer_ids);
}

TEST(LogIds, CurrentIdsOfAnExtractedRemoteParentAreTheCallersIds) {
  trace::span_context remote;
  remote.trace = trace::trace_id::from_hex("4bf92f3577b34da6a3ce929d0e0e4736");
  remote.span = trace::span_id::from_hex("00f067aa0ba902b7");
  remote.flags.value = 1;
  remote.remote = true;
  ctxflow::scope s{trace::context_with_remote_parent(context::current(), remote)};
  EXPECT_EQ(text_of(current_ids()), "trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7");
}

TEST(LogIds, WriteGivesTheWholeTextForValidIdsAndNothingWhenEitherIdIsZero) {
  ids i{trace::trace_id::from_hex("0af7651916cd43dd8448eb211c80319c"),
        trace::span_id::from_hex("b7ad6b7169203331")};
  const std::string text = text_of(i);
  EXPECT_EQ(text, "trace_id=0af7651916cd43dd8448eb211c80319c span_id=b7ad6b7169203331");
  EXPECT_EQ(text.size(), ids::text_size);
  ids no_span = i;
  no_span.span = {};
  EXPECT_EQ(text_of(no_span), "");
  ids no_trace = i;
  no_trace.trace = {};
  EXPECT_EQ(text_of(no_trace), "");
}

}  // namespace
}  // namespace ctxflow::log
