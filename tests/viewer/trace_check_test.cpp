// SPDX-License-Identifier: Apache-2.0
// check_traces: each structural problem is found, named with its trace and span, and a good
// multi-process trace passes.
#include "ctxflow/viewer/trace_check.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "exporters/span_builder.hpp"

namespace ctxflow::viewer {
namespace {

using test::span_builder;
using trace::span_kind;

constexpr std::uint64_t ms = 1'000'000;

std::vector<std::string> reasons(const std::vector<sdk::span_data>& spans,
                                 const check_options& o = {}) {
  std::vector<std::string> out;
  for (const trace_problem& p : check_traces(spans, o)) out.push_back(to_string(p));
  return out;
}

std::vector<sdk::span_data> good_trace() {
  return {
      span_builder("GET /", test::trace_a, "00000000000000a1").kind(span_kind::server).times(0, 10 * ms),
      span_builder("call", test::trace_a, "00000000000000a2")
          .parent("00000000000000a1")
          .kind(span_kind::client)
          .times(1 * ms, 9 * ms),
      // Another process whose clock is 2 ms ahead: within the default tolerance.
      span_builder("serve", test::trace_a, "00000000000000b1")
          .parent("00000000000000a2", /*remote=*/true)
          .kind(span_kind::server)
          .times(3 * ms, 11 * ms),
  };
}

TEST(CheckTraces, AcceptsAGoodTraceWhoseRemoteChildIsSkewedWithinTheTolerance) {
  EXPECT_TRUE(check_traces(good_trace()).empty());
}

TEST(CheckTraces, AppliesTheToleranceToEveryEdge) {
  check_options strict;
  strict.skew_tolerance_ns = 1 * ms;
  EXPECT_EQ(reasons(good_trace(), strict),
            std::vector<std::string>{
                "trace 4bf92f3577b34da6a3ce929d0e0e4736 span 00000000000000b1: span \"serve\" "
                "ends 2.00 ms after its parent 00000000000000a2 (\"call\") ends (tolerance "
                "1.00 ms)"});
  auto spans = good_trace();
  spans[1].start_time_unix_nano = spans[0].start_time_unix_nano - 2 * ms;  // local edge
  EXPECT_EQ(reasons(spans, strict).size(), 2u);
  EXPECT_TRUE(reasons(spans).empty());
}

TEST(CheckTraces, FindsAnOrphan) {
  auto spans = good_trace();
  spans[2].parent_span_id = trace::span_id::from_hex("00000000000000ff");
  EXPECT_EQ(reasons(spans), std::vector<std::string>{
                                "trace 4bf92f3577b34da6a3ce929d0e0e4736 span 00000000000000b1: "
                                "span \"serve\" is an orphan: its remote parent "
                                "00000000000000ff is not in the trace"});
}

TEST(CheckTraces, FindsEveryRootAfterTheFirstAndATraceWithoutRoot) {
  auto spans = good_trace();
  spans[2].parent_span_id = {};
  EXPECT_EQ(reasons(spans), std::vector<std::string>{
                                "trace 4bf92f3577b34da6a3ce929d0e0e4736 span 00000000000000b1: "
                                "span \"serve\" is another root: the trace already has root "
                                "00000000000000a1 (\"GET /\")"});
  // A parent cycle leaves the trace without a root.
  std::vector<sdk::span_data> cycle = {
      span_builder("x", test::trace_a, "0000000000000001").parent("0000000000000002").times(0, 1),
      span_builder("y", test::trace_a, "0000000000000002").parent("0000000000000001").times(0, 1),
  };
  EXPECT_EQ(reasons(cycle), std::vector<std::string>{
                                "trace 4bf92f3577b34da6a3ce929d0e0e4736: the trace has no root "
                                "span (a span without a parent)"});
}

TEST(CheckTraces, TellsAParentInAnotherTraceFromAnOrphan) {
  auto spans = good_trace();
  spans.push_back(span_builder("stray", test::trace_b, "00000000000000c1")
                      .parent("00000000000000a1")
                      .times(1 * ms, 2 * ms));
  const auto problems = check_traces(spans);
  ASSERT_EQ(problems.size(), 2u);
  // Trace b: its only span has a parent id of trace a (and so trace b has no root).
  EXPECT_EQ(to_string(problems[0]),
            "trace 0af7651916cd43dd8448eb211c80319c span 00000000000000c1: span \"stray\" has "
            "parent 00000000000000a1, a span of another trace, 4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(to_string(problems[1]),
            "trace 0af7651916cd43dd8448eb211c80319c: the trace has no root span (a span without a "
            "parent)");
}

TEST(CheckTraces, FindsDuplicateSpanIdsAndSpansEndingBeforeTheyStart) {
  auto spans = good_trace();
  spans.push_back(span_builder("again", test::trace_a, "00000000000000a2")
                      .parent("00000000000000a1")
                      .times(2 * ms, 3 * ms));
  spans.push_back(span_builder("backwards", test::trace_a, "00000000000000a3")
                      .parent("00000000000000a1")
                      .times(5 * ms, 4 * ms));
  const auto r = reasons(spans);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0],
            "trace 4bf92f3577b34da6a3ce929d0e0e4736 span 00000000000000a2: span id "
            "00000000000000a2 is used by 2 spans of the trace");
  EXPECT_EQ(r[1],
            "trace 4bf92f3577b34da6a3ce929d0e0e4736 span 00000000000000a3: span \"backwards\" ends "
            "1.00 ms before it starts");
}

TEST(CheckTraces, ReportsTracesInStartOrderWhateverTheInputOrder) {
  std::vector<sdk::span_data> spans = {
      span_builder("late", test::trace_a, "0000000000000001").parent("00000000000000ff").times(5, 6),
      span_builder("early", test::trace_b, "0000000000000002").parent("00000000000000ee").times(1, 2),
  };
  auto r = reasons(spans);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].substr(0, 38), "trace 0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(r[2].substr(0, 38), "trace 4bf92f3577b34da6a3ce929d0e0e4736");
  std::swap(spans[0], spans[1]);
  EXPECT_EQ(reasons(spans), r);
}

TEST(CheckTraces, FindsNothingInNoSpans) { EXPECT_TRUE(check_traces({}).empty()); }

}  // namespace
}  // namespace ctxflow::viewer
