// SPDX-License-Identifier: Apache-2.0
// scope: RAII attach/detach.
#include "ctxflow/context/scope.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "ctxflow/context/context_var.hpp"

namespace ctxflow {
namespace {

context_var<int> level{"level", 0};

TEST(Scope, MakesTheContextCurrentForTheBlock) {
  context c = level.with(context::current(), 3);
  {
    scope s{c};
    EXPECT_EQ(level.get(), 3);
    {
      scope inner{level.with(context::current(), 4)};
      EXPECT_EQ(level.get(), 4);
    }
    EXPECT_EQ(level.get(), 3);
  }
  EXPECT_EQ(level.get(), 0);
  EXPECT_EQ(attach_depth(), 0u);
}

TEST(Scope, RestoresThePreviousContextWhenAnExceptionPassesThrough) {  // C7
  EXPECT_THROW(
      {
        scope s{level.with(context::current(), 9)};
        throw std::runtime_error("boom");
      },
      std::runtime_error);
  EXPECT_EQ(level.get(), 0);
  EXPECT_EQ(attach_depth(), 0u);
}

}  // namespace
}  // namespace ctxflow
