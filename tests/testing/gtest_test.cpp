// SPDX-License-Identifier: Apache-2.0
// The GoogleTest adapters: EXPECT_TRACE / ASSERT_TRACE and EXPECT_/ASSERT_NO_CONTEXT_LEAK pass
// and fail as the checks do, with the check's message (and the tree) in the failure.
#include "ctxflow/testing/gtest.hpp"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <vector>

#include "ctxflow/testing/trace_tree.hpp"
#include "exporters/span_builder.hpp"

namespace ctxflow::testing {
namespace {

using test::span_builder;

trace_tree small_tree() {
  return trace_tree(std::vector<sdk::span_data>{
      span_builder("parent", test::trace_a, "0000000000000001").times(0, 10),
      span_builder("child", test::trace_a, "0000000000000002")
          .parent("0000000000000001")
          .times(2, 5),
  });
}

TEST(GtestAdapters, ExpectTracePassesForAPassingCheck) {
  const trace_tree tree = small_tree();
  EXPECT_TRACE(tree.child_of("child", "parent"));
  ASSERT_TRACE(tree.all_in_one_trace());
  CTXFLOW_EXPECT_TRACE(tree.no_orphans());
}

TEST(GtestAdapters, ExpectTraceFailsWithTheMessageAndTheTree) {
  const trace_tree tree = small_tree();
  EXPECT_NONFATAL_FAILURE(EXPECT_TRACE(tree.child_of("parent", "child")),
                          "\"parent\" #0000000000000001 is a root");
  EXPECT_NONFATAL_FAILURE(EXPECT_TRACE(tree.count_is("child", 2)),
                          "    child [internal] 3 ns #0000000000000002\n");
}

void assert_trace_fails() {
  ASSERT_TRACE(small_tree().has_link("child", "parent"));
  ADD_FAILURE() << "not reached: ASSERT_TRACE returns on failure";
}

TEST(GtestAdapters, AssertTraceEndsTheTestOnFailure) {
  EXPECT_FATAL_FAILURE(assert_trace_fails(), "\"child\" #0000000000000002 has no links");
}

context_token leaked_token;

void assert_no_leak_after_leaking() {
  context_leak_checker checker;
  leaked_token = attach(context());
  ASSERT_NO_CONTEXT_LEAK(checker);
}

TEST(GtestAdapters, NoContextLeakMacrosPassWhenBalancedAndFailOnALeak) {
  context_leak_checker checker;
  EXPECT_NO_CONTEXT_LEAK(checker);
  ASSERT_NO_CONTEXT_LEAK(checker);

  EXPECT_FATAL_FAILURE(assert_no_leak_after_leaking(), "still attached:");
  EXPECT_EQ(detach(std::move(leaked_token)), detach_result::ok);

  context_token again;
  EXPECT_NONFATAL_FAILURE(
      {
        context_leak_checker inner;
        again = attach(context());
        CTXFLOW_EXPECT_NO_CONTEXT_LEAK(inner);
      },
      "saw attach depth 0, now 1");
  EXPECT_EQ(detach(std::move(again)), detach_result::ok);
}

}  // namespace
}  // namespace ctxflow::testing
