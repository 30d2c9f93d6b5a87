// SPDX-License-Identifier: Apache-2.0
// The public execution-unit interface (context/execution_unit.hpp): enter, leave, finish, the
// scope type and the runner's checkpoint (C2, C5-C7, R1.4).
#include "ctxflow/context/execution_unit.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "ctxflow/context/context_var.hpp"
#include "ctxflow/testing/diagnostics_capture.hpp"

using namespace ctxflow;

namespace {
context_var<int> number{"number", -1};
}  // namespace

TEST(ExecutionUnit, EnterMakesItsContextCurrentAndLeavePutsTheThreadsBack) {  // C7
  execution_unit unit{number.with(context(), 1), "test unit"};
  auto outer = number.set(2);
  unit.enter();
  EXPECT_TRUE(unit.running_here());
  EXPECT_EQ(number.get(), 1);
  EXPECT_EQ(attach_depth(), 0u);  // the attach stack is the unit's, not the thread's
  unit.leave();
  EXPECT_FALSE(unit.running_here());
  EXPECT_EQ(number.get(), 2);
  EXPECT_EQ(attach_depth(), 1u);
  (void)number.reset(std::move(outer));
}

TEST(ExecutionUnit, WhatAStepLeavesCurrentIsThereAtTheNextEnterOnAnotherThread) {  // C5
  execution_unit unit{context(), "test unit"};
  unit.enter();
  auto token = number.set(3);
  unit.leave();
  EXPECT_EQ(number.get(), -1);
  EXPECT_EQ(number.get(unit.parked_context()), 3);
  int seen = 0;
  std::thread([&] {
    unit.enter();
    seen = number.get();
    unit.leave();
  }).join();
  EXPECT_EQ(seen, 3);
  unit.enter();
  EXPECT_EQ(number.reset(std::move(token)), detach_result::ok);  // same unit, any thread
  unit.leave();
}

TEST(ExecutionUnit, FinishReportsOpenScopesInStrictModeAndEmptiesTheUnit) {  // C3
  ctxflow::testing::diagnostics_capture capture;
  set_strict_mode(true);
  execution_unit unit{number.with(context(), 4), "test unit"};
  unit.enter();
  (void)number.set(5);
  unit.leave();
  unit.finish();
  set_strict_mode(false);
  EXPECT_EQ(capture.count("context.scope.leaked"), 1u);
  EXPECT_TRUE(unit.parked_context().empty());
  EXPECT_STREQ(unit.kind(), "test unit");
}

TEST(ExecutionUnit, SetParkedContextReplacesWhatTheNextEnterSees) {
  execution_unit unit;
  unit.set_parked_context(number.with(context(), 6));
  unit.enter();
  EXPECT_EQ(number.get(), 6);
  unit.leave();
}

TEST(ExecutionUnit, UnitsNestAndEachLeaveRestoresTheOneBelow) {  // C7
  execution_unit a{number.with(context(), 1)};
  execution_unit b{number.with(context(), 2)};
  a.enter();
  b.enter();
  EXPECT_EQ(number.get(), 2);
  b.leave();
  EXPECT_TRUE(a.running_here());
  EXPECT_EQ(number.get(), 1);
  a.leave();
  EXPECT_EQ(number.get(), -1);
}

TEST(ExecutionUnitScope, ChangesInsideStayInsideAndTheCallersContextIsBack) {  // C6, C7
  auto outer = number.set(1);
  {
    execution_unit_scope unit{number.with(context(), 2)};
    EXPECT_EQ(number.get(), 2);
    (void)number.set(3);  // left attached: ends with the scope's unit
    EXPECT_EQ(number.get(), 3);
  }
  EXPECT_EQ(number.get(), 1);
  EXPECT_EQ(attach_depth(), 1u);
  (void)number.reset(std::move(outer));
}

TEST(ContextCheckpoint, RestoreIsFalseWhenTheWorkLeftNothingBehind) {
  context_checkpoint before;
  {
    auto token = number.set(1);
    (void)number.reset(std::move(token));
  }
  EXPECT_FALSE(before.restore());
}

TEST(ContextCheckpoint, RestoreRepairsAnAttachmentLeftBehind) {  // C7
  auto outer = number.set(1);
  {
    context_checkpoint before;
    (void)number.set(3);  // an attachment on the thread's own unit, never detached
    EXPECT_TRUE(before.restore());
  }
  EXPECT_EQ(number.get(), 1);
  EXPECT_EQ(attach_depth(), 1u);
  EXPECT_EQ(number.reset(std::move(outer)), detach_result::ok);
}

TEST(ContextCheckpoint, RestoreRepairsAUnitEnteredAndNeverLeft) {  // C7
  execution_unit unit{number.with(context(), 2)};
  bool repaired = false;
  bool unit_still_running = true;
  int after = 0;
  std::thread([&] {  // a runner with the empty context, as a pool worker has
    context_checkpoint before;
    unit.enter();
    repaired = before.restore();
    unit_still_running = unit.running_here();
    after = number.get();
  }).join();
  EXPECT_TRUE(repaired);
  EXPECT_FALSE(unit_still_running);
  EXPECT_EQ(after, -1);
}

TEST(AttachSite, NamesWhereEachOpenAttachmentWasMade) {
  execution_unit_scope unit{context()};
  auto a = number.set(1);
  const int line = __LINE__ + 1;
  auto b = number.set(2);
  EXPECT_EQ(attach_site(1).line(), static_cast<std::uint_least32_t>(line));
  EXPECT_EQ(attach_site(2).line(), 0u);  // out of range
  (void)number.reset(std::move(b));
  (void)number.reset(std::move(a));
}
