// SPDX-License-Identifier: Apache-2.0
// The batch processor's queue capacity (src/sdk/batch_admission.hpp): runs below half full,
// exact counting above, refusal at capacity, and when the export thread is to be woken.
#include "sdk/batch_admission.hpp"

#include <gtest/gtest.h>

#include <cstdint>

namespace ctxflow::sdk::detail {
namespace {

using verdict = batch_admission::verdict;

TEST(BatchAdmission, TheRunOfAllProducersIsAtMost256ABatchOrAThirtySecondOfTheQueue) {
  EXPECT_EQ(batch_admission(65536, 512).chunk(), 256u);
  EXPECT_EQ(batch_admission(65536, 128).chunk(), 128u);
  EXPECT_EQ(batch_admission(2048, 512).chunk(), 64u);
  EXPECT_EQ(batch_admission(2048, 16).chunk(), 16u);
  EXPECT_EQ(batch_admission(320, 100).chunk(), 10u);
  EXPECT_EQ(batch_admission(8, 8).chunk(), 1u);
}

TEST(BatchAdmission, AProducerOfALargeQueueAddsToTheSharedCountOncePerRun) {
  batch_admission a(65536, 512);  // chunk 256
  a.add_producer();
  a.add_producer();  // two producers: runs of 128 each
  batch_admission::producer_run run;
  ASSERT_EQ(a.admit(run), verdict::queued);  // the first span is added at once
  EXPECT_EQ(a.queued(), 1);
  for (int i = 0; i < 127; ++i) ASSERT_EQ(a.admit(run), verdict::queued);
  EXPECT_EQ(a.queued(), 1) << "the run's spans stay unadded until it ends";
  ASSERT_EQ(a.admit(run), verdict::queued);  // the run's 128th span adds the whole run
  EXPECT_EQ(a.queued(), 129);
}

TEST(BatchAdmission, OneProducerAcceptsExactlyTheCapacityThenRefuses) {
  batch_admission a(100, 10);
  a.add_producer();
  batch_admission::producer_run run;
  std::uint64_t accepted = 0;
  for (int i = 0; i < 150; ++i)
    if (a.admit(run) != verdict::full) ++accepted;
  EXPECT_EQ(accepted, 100u);
  EXPECT_EQ(a.queued(), 100);
}

TEST(BatchAdmission, SpansTakenByTheExportThreadMakeRoomAgain) {
  batch_admission a(64, 8);
  a.add_producer();
  batch_admission::producer_run run;
  for (int i = 0; i < 64; ++i) ASSERT_NE(a.admit(run), verdict::full);
  EXPECT_EQ(a.admit(run), verdict::full);
  a.taken(8);
  for (int i = 0; i < 8; ++i) EXPECT_NE(a.admit(run), verdict::full);
  EXPECT_EQ(a.admit(run), verdict::full);
}

TEST(BatchAdmission, BelowHalfFullTheCounterIsUpdatedOncePerRun) {
  batch_admission a(2048, 512);  // runs of 64 for one producer
  a.add_producer();
  batch_admission::producer_run run;
  EXPECT_EQ(a.admit(run), verdict::queued);  // the first span sets the run length
  EXPECT_EQ(a.queued(), 1);
  for (int i = 0; i < 63; ++i) EXPECT_EQ(a.admit(run), verdict::queued);
  EXPECT_EQ(a.queued(), 1);  // 63 accepted, not yet added
  EXPECT_EQ(a.admit(run), verdict::queued);
  EXPECT_EQ(a.queued(), 65);
}

TEST(BatchAdmission, TwoProducersShareTheRun) {
  batch_admission a(2048, 512);
  a.add_producer();
  a.add_producer();
  batch_admission::producer_run run;
  (void)a.admit(run);
  EXPECT_EQ(run.length, 32u);
}

TEST(BatchAdmission, AskForAWakeUpWhenTheQueuePassesAMultipleOfTheBatch) {
  batch_admission a(100, 10);  // chunk 3: runs of 3
  a.add_producer();
  batch_admission::producer_run run;
  int wakes = 0;
  int wakes_now = 0;
  for (int i = 0; i < 100; ++i) {
    const verdict v = a.admit(run);
    if (v == verdict::queued_wake) ++wakes;
    if (v == verdict::queued_wake_now) ++wakes_now;
  }
  // Ten multiples of 10 passed: those from 80 on (three quarters of 100, at 75) wake even a
  // pacing export thread.
  EXPECT_EQ(wakes + wakes_now, 10);
  EXPECT_EQ(wakes_now, 3);
}

TEST(BatchAdmission, ARetiredProducersUnaddedRunIsSettled) {
  batch_admission a(2048, 512);
  a.add_producer();
  batch_admission::producer_run run;
  for (int i = 0; i < 10; ++i) (void)a.admit(run);
  EXPECT_EQ(a.queued(), 1);
  a.settle(run);
  EXPECT_EQ(a.queued(), 10);
}

}  // namespace
}  // namespace ctxflow::sdk::detail
