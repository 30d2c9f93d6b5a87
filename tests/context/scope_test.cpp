// SPDX-License-Identifier: Apache-2.0
// scope: RAII attach/detach.
#include "ctxflow/context/scope.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "ctxflow/context/context_var.hpp"
#include "ctxflow/context/execution_unit.hpp"
#include "ctxflow/testing/diagnostics_capture.hpp"

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

/// A value that says when it is freed (with the context node that holds it).
class watched final : public detail::ref_counted {
 public:
  explicit watched(bool* freed) noexcept : freed_(freed) {}
  ~watched() override { *freed_ = true; }

 private:
  bool* freed_;
};
const context_key watched_key{"watched"};

TEST(Scope, ABorrowingScopeMakesAKeptContextCurrentWithoutTakingAReference) {
  context c = level.with(context::current(), 3);
  ASSERT_EQ(c.impl()->use_count(), 1u);
  {
    scope s{c};
    EXPECT_EQ(level.get(), 3);
    EXPECT_EQ(context::current_view().impl(), c.impl());
    EXPECT_EQ(c.impl()->use_count(), 1u);
  }
  EXPECT_EQ(level.get(), 0);
  EXPECT_EQ(c.impl()->use_count(), 1u);
  EXPECT_EQ(attach_depth(), 0u);
}

TEST(Scope, AnAdoptingScopeOwnsAMovedContextAndFreesItAtTheEnd) {
  bool freed = false;
  context c = context{}.with_value(watched_key, detail::make_ref<watched>(&freed).get());
  const detail::context_impl* node = c.impl();
  {
    scope s{std::move(c)};
    EXPECT_TRUE(c.empty());  // NOLINT(bugprone-use-after-move): moved into the slot
    EXPECT_EQ(context::current_view().impl(), node);
    EXPECT_EQ(node->use_count(), 1u);
    EXPECT_FALSE(freed);
  }
  EXPECT_TRUE(freed);
  EXPECT_TRUE(context::current().empty());
}

TEST(Scope, ASnapshotTakenInsideABorrowingScopeOwnsItsReferenceAndOutlivesBoth) {  // C4
  context snapshot;
  {
    context c = level.with(context::current(), 5);
    scope s{c};
    snapshot = context::current();
    EXPECT_EQ(c.impl()->use_count(), 2u);
  }
  EXPECT_EQ(level.get(snapshot), 5);
  EXPECT_EQ(snapshot.impl()->use_count(), 1u);
}

TEST(Scope, ABorrowingScopeWhoseContextWasAssignedReportsItAtTheEnd) {
  testing::diagnostics_capture capture;
  context c = level.with(context::current(), 6);
  const context keep = c;  // keeps the borrowed node alive for this test
  {
    scope s{c};
    c = level.with(context{}, 7);
  }
  EXPECT_EQ(capture.count("context.scope.source_changed"), 1u);
  EXPECT_EQ(level.get(), 0);
  EXPECT_EQ(attach_depth(), 0u);
}

TEST(Scope, ABorrowingScopeLeftUnchangedReportsNothing) {
  testing::diagnostics_capture capture;
  context c = level.with(context::current(), 6);
  { scope s{c}; }
  EXPECT_EQ(capture.size(), 0u);
}

TEST(Scope, ABorrowedContextIsBackAfterAUnitEnteredAndLeftInsideTheScope) {  // C7
  context c = level.with(context::current(), 8);
  {
    scope s{c};
    execution_unit unit{level.with(context{}, 9), "job"};
    unit.enter();
    EXPECT_EQ(level.get(), 9);
    unit.leave();
    EXPECT_EQ(level.get(), 8);
    EXPECT_EQ(context::current_view().impl(), c.impl());
  }
  EXPECT_EQ(c.impl()->use_count(), 1u);
}

TEST(Scope, AnOwningCopyOfABorrowedCurrentContextKeepsItForATaskUnit) {  // C4
  context c = level.with(context::current(), 4);
  execution_unit later{context{}, "job"};
  {
    scope s{c};
    later.set_parked_context(context::current());
  }
  c = context{};
  later.enter();
  EXPECT_EQ(level.get(), 4);
  later.leave();
}

TEST(Scope, CheckpointRestoreOverABorrowedContextPutsBackAnOwnedReference) {  // C7
  context c = level.with(context::current(), 2);
  {
    scope s{c};
    context_checkpoint before;
    EXPECT_EQ(c.impl()->use_count(), 2u);
    context_token leaked = attach(level.with(context{}, 3));
    EXPECT_TRUE(before.restore());
    EXPECT_EQ(level.get(), 2);
    // The slot now owns the checkpoint's reference; the scope's detach releases it.
    EXPECT_EQ(c.impl()->use_count(), 2u);
  }
  EXPECT_EQ(c.impl()->use_count(), 1u);
  EXPECT_EQ(level.get(), 0);
}

TEST(Attach, AnLvalueIsCopiedIntoTheSlotAndAnRvalueIsMoved) {  // C3
  context c = level.with(context::current(), 1);
  const detail::context_impl* node = c.impl();
  context_token copied = attach(c);
  EXPECT_EQ(node->use_count(), 2u);
  EXPECT_EQ(detach(std::move(copied)), detach_result::ok);
  EXPECT_EQ(node->use_count(), 1u);
  context_token moved = attach(std::move(c));
  EXPECT_TRUE(c.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(node->use_count(), 1u);
  EXPECT_EQ(level.get(), 1);
  EXPECT_EQ(detach(std::move(moved)), detach_result::ok);
  EXPECT_EQ(level.get(), 0);
}

TEST(Scope, ATokenAttachedOverABorrowingScopeAndUnwoundDoesNotReleaseTheBorrowedContext) {  // C3
  testing::diagnostics_capture capture;
  context c = level.with(context::current(), 3);
  context_token later;
  {
    scope s{c};
    later = attach(level.with(context{}, 4));
  }  // out of order: unwinds `later`, whose saved context is the borrowed one
  EXPECT_EQ(capture.count("context.detach.out_of_order"), 1u);
  EXPECT_EQ(level.get(), 0);
  EXPECT_EQ(detach(std::move(later)), detach_result::unknown_token);
  EXPECT_EQ(c.impl()->use_count(), 1u);
}

}  // namespace
}  // namespace ctxflow
