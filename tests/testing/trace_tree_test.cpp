// SPDX-License-Identifier: Apache-2.0
// trace_tree: lookups, printing, and every structural check passing and failing, with the
// recorded tree in each failure message (docs/usage/testing.md).
#include "ctxflow/testing/trace_tree.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "exporters/span_builder.hpp"

namespace ctxflow::testing {
namespace {

using test::span_builder;

// handle (01) > query (02), query (03), render (04) > publish (06)
// consume (05) is a child of handle linking to query 02.
std::vector<sdk::span_data> request_trace() {
  return {
      span_builder("query", test::trace_a, "0000000000000002")
          .parent("0000000000000001")
          .times(10, 20),
      span_builder("query", test::trace_a, "0000000000000003")
          .parent("0000000000000001")
          .times(20, 30),
      span_builder("render", test::trace_a, "0000000000000004")
          .parent("0000000000000001")
          .times(30, 60),
      span_builder("publish", test::trace_a, "0000000000000006")
          .parent("0000000000000004")
          .times(40, 50),
      span_builder("consume", test::trace_a, "0000000000000005")
          .parent("0000000000000001")
          .times(60, 70)
          .link(test::trace_a, "0000000000000002"),
      span_builder("handle", test::trace_a, "0000000000000001").times(0, 100),
  };
}

std::string tree_text(const trace_tree& tree) {
  exporters::render_options o;
  o.show_ids = true;
  return tree.to_string(o);
}

// A failed check says why and then prints the recorded tree.
void expect_failure_with_tree(const check_result& r, const trace_tree& tree,
                              const std::string& why) {
  EXPECT_FALSE(r);
  EXPECT_NE(r.message.find(why), std::string::npos) << r.message;
  EXPECT_NE(r.message.find(tree_text(tree)), std::string::npos) << r.message;
}

TEST(TraceTree, FindsSpansByNameInStartOrder) {
  trace_tree tree(request_trace());
  EXPECT_EQ(tree.size(), 6u);
  ASSERT_NE(tree.find("query"), nullptr);
  EXPECT_EQ(tree.find("query")->context.span, trace::span_id::from_hex("0000000000000002"));
  EXPECT_EQ(tree.find("missing"), nullptr);
  ASSERT_EQ(tree.find_all("query").size(), 2u);
  EXPECT_EQ(tree.find_all("query")[1]->context.span, trace::span_id::from_hex("0000000000000003"));
  EXPECT_EQ(tree.count("query"), 2u);
  EXPECT_EQ(tree.count("Query"), 0u);  // case-sensitive
}

TEST(TraceTree, LinksParentsAndChildren) {
  trace_tree tree(request_trace());
  const sdk::span_data* handle = tree.find("handle");
  const sdk::span_data* publish = tree.find("publish");
  ASSERT_TRUE(handle && publish);
  EXPECT_EQ(tree.parent_of(*handle), nullptr);
  EXPECT_EQ(tree.parent_of(*publish), tree.find("render"));
  std::vector<std::string> names;
  for (const auto* c : tree.children_of(*handle)) names.push_back(c->name);
  EXPECT_EQ(names, (std::vector<std::string>{"query", "query", "render", "consume"}));
  ASSERT_EQ(tree.roots().size(), 1u);
  EXPECT_EQ(tree.roots()[0], handle);
  EXPECT_TRUE(tree.orphans().empty());
  EXPECT_EQ(tree.trace_ids(),
            (std::vector<trace::trace_id>{trace::trace_id::from_hex(test::trace_a)}));
}

TEST(TraceTree, AParentInAnotherTraceIsNotAParent) {
  std::vector<sdk::span_data> spans = {
      span_builder("a", test::trace_a, "0000000000000001"),
      span_builder("b", test::trace_b, "0000000000000002").parent("0000000000000001"),
  };
  trace_tree tree(spans);
  EXPECT_EQ(tree.parent_of(*tree.find("b")), nullptr);
  EXPECT_EQ(tree.orphans().size(), 1u);
}

TEST(TraceTree, PrintsLikeTheConsoleRenderers) {
  const auto spans = request_trace();
  trace_tree tree(spans);
  EXPECT_EQ(tree.to_string(), exporters::render_tree(std::span<const sdk::span_data>(spans)));
  EXPECT_EQ(tree.waterfall(), exporters::render_waterfall(std::span<const sdk::span_data>(spans)));
  EXPECT_NE(tree.to_string().find("\n      publish [internal]"), std::string::npos);
}

TEST(TraceTreeChecks, AllInOneTracePassesForOneTraceAndFailsForTwoOrNone) {
  trace_tree good(request_trace());
  EXPECT_TRUE(good.all_in_one_trace()) << good.all_in_one_trace().message;

  auto spans = request_trace();
  spans.push_back(span_builder("stray", test::trace_b, "0000000000000009"));
  trace_tree bad(spans);
  expect_failure_with_tree(
      bad.all_in_one_trace(), bad,
      "found 2 traces: " + std::string(test::trace_a) + " " + std::string(test::trace_b));

  trace_tree none;
  const check_result r = none.all_in_one_trace();
  EXPECT_FALSE(r);
  EXPECT_NE(r.message.find("no span was recorded"), std::string::npos);
  EXPECT_NE(r.message.find("recorded spans (0):\n  (none)\n"), std::string::npos);
}

TEST(TraceTreeChecks, ChildOfRequiresEverySpanWithTheNameUnderTheParent) {
  trace_tree tree(request_trace());
  EXPECT_TRUE(tree.child_of("query", "handle"));
  EXPECT_TRUE(tree.child_of("publish", "render"));

  expect_failure_with_tree(
      tree.child_of("publish", "handle"), tree,
      "but \"publish\" #0000000000000006 has parent \"render\" #0000000000000004");
  expect_failure_with_tree(tree.child_of("handle", "render"), tree,
                           "\"handle\" #0000000000000001 is a root");
  expect_failure_with_tree(tree.child_of("nothing", "handle"), tree,
                           "no span is called \"nothing\"");

  auto spans = request_trace();
  spans[1].parent_span_id = trace::span_id::from_hex("00000000000000ff");  // one query astray
  trace_tree astray(spans);
  expect_failure_with_tree(astray.child_of("query", "handle"), astray,
                           "\"query\" #0000000000000003 names the parent #00000000000000ff, which "
                           "was not recorded");
}

TEST(TraceTreeChecks, ChildOfExplainsAnUnrecordedRemoteParent) {
  std::vector<sdk::span_data> spans = {
      span_builder("server", test::trace_a, "0000000000000001").parent("00000000000000aa", true),
  };
  trace_tree tree(spans);
  expect_failure_with_tree(tree.child_of("server", "client"), tree,
                           "has the remote parent #00000000000000aa, which was not recorded");
}

TEST(TraceTreeChecks, HasLinkPassesWhenEverySourceLinksToATarget) {
  trace_tree tree(request_trace());
  EXPECT_TRUE(tree.has_link("consume", "query"));
  expect_failure_with_tree(tree.has_link("render", "query"), tree,
                           "\"render\" #0000000000000004 has no links");
  expect_failure_with_tree(tree.has_link("consume", "render"), tree,
                           "\"consume\" #0000000000000005 links only to " +
                               std::string(test::trace_a) + "/0000000000000002");
  expect_failure_with_tree(tree.has_link("nothing", "query"), tree,
                           "no span is called \"nothing\"");
  expect_failure_with_tree(tree.has_link("consume", "nothing"), tree,
                           "no span is called \"nothing\"");
}

TEST(TraceTreeChecks, HasLinkComparesTheTraceIdToo) {
  auto spans = request_trace();
  spans[4].links[0].context.trace = trace::trace_id::from_hex(test::trace_b);
  trace_tree tree(spans);
  EXPECT_FALSE(tree.has_link("consume", "query"));
}

TEST(TraceTreeChecks, NoOrphansFailsForAMissingLocalParentButNotARemoteOne) {
  trace_tree good(request_trace());
  EXPECT_TRUE(good.no_orphans());

  auto spans = request_trace();
  spans.pop_back();  // drop "handle": its children become orphans
  trace_tree bad(spans);
  expect_failure_with_tree(bad.no_orphans(), bad,
                           "found 4 orphan(s): \"query\" #0000000000000002 (parent "
                           "#0000000000000001 not recorded)");

  std::vector<sdk::span_data> remote = {
      span_builder("server", test::trace_a, "0000000000000001").parent("00000000000000aa", true),
  };
  EXPECT_TRUE(trace_tree(remote).no_orphans());
}

TEST(TraceTreeChecks, NoOrphansFailsForAParentCycle) {
  std::vector<sdk::span_data> spans = {
      span_builder("x", test::trace_a, "0000000000000001").parent("0000000000000002"),
      span_builder("y", test::trace_a, "0000000000000002").parent("0000000000000001"),
  };
  trace_tree tree(spans);
  expect_failure_with_tree(tree.no_orphans(), tree, "is on a parent cycle");
}

TEST(TraceTreeChecks, CountIsComparesTheNumberOfSpansWithAName) {
  trace_tree tree(request_trace());
  EXPECT_TRUE(tree.count_is("query", 2));
  EXPECT_TRUE(tree.count_is("nothing", 0));
  expect_failure_with_tree(tree.count_is("query", 3), tree,
                           "expected 3 span(s) called \"query\", found 2");
}

TEST(TraceTreeChecks, HasSpanAndSameTrace) {
  auto spans = request_trace();
  spans.push_back(span_builder("stray", test::trace_b, "0000000000000009"));
  trace_tree tree(spans);
  EXPECT_TRUE(tree.has_span("render"));
  expect_failure_with_tree(tree.has_span("nothing"), tree, "expected a span called \"nothing\"");
  EXPECT_TRUE(tree.same_trace("query", "handle"));
  expect_failure_with_tree(tree.same_trace("handle", "stray"), tree,
                           "\"stray\" #0000000000000009 in trace " + std::string(test::trace_b));
  expect_failure_with_tree(tree.same_trace("handle", "nothing"), tree,
                           "no span is called \"nothing\"");
}

TEST(TraceTreeChecks, AResultPrintsItsMessage) {
  trace_tree tree(request_trace());
  std::ostringstream os;
  os << tree.count_is("query", 1) << '|' << tree.count_is("query", 2);
  EXPECT_NE(os.str().find("found 2"), std::string::npos);
  EXPECT_NE(os.str().find("|passed"), std::string::npos);
}

}  // namespace
}  // namespace ctxflow::testing
