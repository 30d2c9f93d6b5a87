// SPDX-License-Identifier: Apache-2.0
// unique_function: inline and heap storage, moves, move-only captures.
#include "ctxflow/exec/unique_function.hpp"

#include <gtest/gtest.h>

#include <array>
#include <memory>

namespace ctxflow {
namespace {

TEST(UniqueFunction, HoldsMoveOnlyCallables) {
  auto p = std::make_unique<int>(3);
  int out = 0;
  exec::unique_function f([p = std::move(p), &out] { out = *p; });
  exec::unique_function g = std::move(f);
  EXPECT_FALSE(static_cast<bool>(f));  // NOLINT(bugprone-use-after-move)
  g();
  EXPECT_EQ(out, 3);
}

TEST(UniqueFunction, LargeCallablesLiveOnTheHeapAndStillMove) {
  std::array<int, 64> big{};
  big[63] = 9;
  int out = 0;
  exec::unique_function f([big, &out] { out = big[63]; });
  exec::unique_function g;
  g = std::move(f);
  g();
  EXPECT_EQ(out, 9);
}

TEST(UniqueFunction, DestroysItsCallable) {
  auto shared = std::make_shared<int>(1);
  {
    exec::unique_function f([shared] {});
    EXPECT_EQ(shared.use_count(), 2);
  }
  EXPECT_EQ(shared.use_count(), 1);
}

}  // namespace
}  // namespace ctxflow
