// SPDX-License-Identifier: Apache-2.0
// Which context operations take no atomic read-modify-write on a reference count: checked in
// the counting build (CMake option CTXFLOW_COUNT_REFCOUNT_OPS, on in the asan preset), skipped
// elsewhere.
#include <gtest/gtest.h>

#include "ctxflow/config.hpp"
#include "ctxflow/context/context.hpp"
#include "ctxflow/context/context_var.hpp"
#include "ctxflow/context/ref_counted.hpp"
#include "ctxflow/context/scope.hpp"

namespace ctxflow {
namespace {

context_var<int> number{"number", 0};

#if CTXFLOW_COUNT_REFCOUNT_OPS
#define CTXFLOW_REQUIRE_COUNTING_BUILD() (void)0
detail::refcount_rmw_counts counts() { return detail::refcount_rmws(); }
#else
#define CTXFLOW_REQUIRE_COUNTING_BUILD() \
  GTEST_SKIP() << "needs a build with -DCTXFLOW_COUNT_REFCOUNT_OPS=ON (the asan preset)"
struct no_counts {
  std::uint64_t all = 0;
  std::uint64_t context_nodes = 0;
};
no_counts counts() { return {}; }
#endif

TEST(RefcountOps, AnOwningCopyOfTheCurrentContextCountsAnIncrementAndADecrement) {
  CTXFLOW_REQUIRE_COUNTING_BUILD();
  context c = number.with(context{}, 1);
  const context other_owner = c;  // shared: the copy's release must decrement
  scope s{c};
  const auto before = counts();
  {
    context copy = context::current();
    EXPECT_EQ(number.get(copy), 1);
  }
  const auto after = counts();
  EXPECT_EQ(after.context_nodes - before.context_nodes, 2u);
  EXPECT_EQ(after.all - before.all, 2u);
}

TEST(RefcountOps, ABorrowingScopeOfASharedContextDoesNone) {
  CTXFLOW_REQUIRE_COUNTING_BUILD();
  context c = number.with(context{}, 2);
  const context other_owner = c;
  const auto before = counts();
  {
    scope s{c};
    EXPECT_EQ(number.get(), 2);
    {
      scope inner{other_owner};
      EXPECT_EQ(number.get(), 2);
    }
  }
  const auto after = counts();
  EXPECT_EQ(after.all - before.all, 0u);
}

TEST(RefcountOps, AFreshContextAdoptedByAScopeIsMadeAndFreedWithoutOneOnAContextNode) {
  CTXFLOW_REQUIRE_COUNTING_BUILD();
  context outer = number.with(context{}, 3);
  scope s{outer};
  const auto before = counts();
  {
    scope inner{context::current_view().with_value(number.key(), nullptr)};
    EXPECT_EQ(number.get(), 0);
  }
  const auto after = counts();
  EXPECT_EQ(after.context_nodes - before.context_nodes, 0u);
  EXPECT_EQ(number.get(), 3);
}

TEST(RefcountOps, AContextVarSetAndResetDoNoneOnAContextNode) {
  CTXFLOW_REQUIRE_COUNTING_BUILD();
  context outer = number.with(context{}, 4);
  scope s{outer};
  const auto before = counts();
  {
    context_token t = number.set(5);
    EXPECT_EQ(number.get(), 5);
    EXPECT_EQ(number.reset(std::move(t)), detach_result::ok);
  }
  const auto after = counts();
  EXPECT_EQ(after.context_nodes - before.context_nodes, 0u);
  EXPECT_EQ(number.get(), 4);
}

}  // namespace
}  // namespace ctxflow
