// SPDX-License-Identifier: Apache-2.0
// thread_pool: C4 (capture at submission, not at worker creation), C7 (empty between jobs).
#include "ctxflow/exec/thread_pool.hpp"
#include "ctxflow/exec/executor.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <latch>
#include <stdexcept>

#include "ctxflow/context/context_var.hpp"
#include "ctxflow/testing/diagnostics_capture.hpp"

namespace ctxflow {
namespace {

context_var<int> value{"value", 0};

TEST(ThreadPool, JobSeesTheContextCurrentAtSubmission) {  // C4
  exec::thread_pool pool(2);
  auto token = value.set(3);
  std::promise<int> seen;
  pool.post([&] { seen.set_value(value.get()); });
  (void)value.reset(std::move(token));
  EXPECT_EQ(seen.get_future().get(), 3);
}

TEST(ThreadPool, ContextIsCapturedAtSubmissionNotWhenWorkersStarted) {  // C4
  auto early = value.set(1);
  exec::thread_pool pool(2);  // workers created while value == 1
  (void)value.reset(std::move(early));
  auto later = value.set(2);
  std::promise<int> seen;
  pool.post([&] { seen.set_value(value.get()); });
  EXPECT_EQ(seen.get_future().get(), 2);
  (void)value.reset(std::move(later));
}

TEST(ThreadPool, WorkerSlotIsEmptyBetweenJobs) {  // C7
  exec::thread_pool pool(1);
  auto token = value.set(8);
  pool.post([] { EXPECT_EQ(value.get(), 8); });
  (void)value.reset(std::move(token));
  std::promise<bool> empty;
  pool.post(exec::as_is,
            [&] { empty.set_value(context::current().empty() && attach_depth() == 0); });
  EXPECT_TRUE(empty.get_future().get());
}

TEST(ThreadPool, ThrowingJobIsReportedAndTheWorkerKeepsAnEmptySlot) {  // C7
  testing::diagnostics_capture capture;
  exec::thread_pool pool(1);
  auto token = value.set(4);
  pool.post([] { throw std::runtime_error("job failed"); });
  (void)value.reset(std::move(token));
  std::promise<int> seen;
  pool.post(exec::as_is, [&] { seen.set_value(value.get()); });
  EXPECT_EQ(seen.get_future().get(), 0);
  pool.join();
  EXPECT_EQ(capture.count("exec.job.exception"), 1u);
}

TEST(ThreadPool, RawJobThatLeaksAnAttachIsRepairedAndReported) {  // C7
  testing::diagnostics_capture capture;
  exec::thread_pool pool(1);
  pool.post(exec::as_is, [] {
    auto leaked = value.set(13);  // a raw job on the worker's own unit, never reset
  });
  std::promise<int> seen;
  pool.post(exec::as_is, [&] { seen.set_value(value.get()); });
  EXPECT_EQ(seen.get_future().get(), 0);
  pool.join();
  EXPECT_EQ(pool.leaks_repaired(), 1u);
  EXPECT_EQ(capture.count("exec.worker.context_leak"), 1u);
}

TEST(ThreadPool, ManyJobsFromTwoThreadsEachSeeTheirOwnValue) {
  exec::thread_pool pool(2);
  std::atomic<int> mismatches{0};
  std::atomic<int> done{0};
  constexpr int per_thread = 2000;
  auto producer = [&](int base) {
    for (int i = 0; i < per_thread; ++i) {
      auto token = value.set(base + i);
      pool.post([&, expected = base + i] {
        if (value.get() != expected) ++mismatches;
        ++done;
      });
      (void)value.reset(std::move(token));
    }
  };
  std::thread a(producer, 1'000'000);
  std::thread b(producer, 2'000'000);
  a.join();
  b.join();
  pool.join();
  EXPECT_EQ(done.load(), 2 * per_thread);
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(ThreadPool, DestructorRunsQueuedJobsBeforeJoining) {
  std::atomic<int> ran{0};
  {
    exec::thread_pool pool(1);
    for (int i = 0; i < 100; ++i) pool.post([&] { ++ran; });
  }
  EXPECT_EQ(ran.load(), 100);
}

TEST(ThreadPool, PostAsIsRunsTheJobWithoutTheSubmittersContext) {
  exec::thread_pool pool(1);
  auto token = value.set(6);
  std::promise<int> seen;
  pool.post(exec::as_is, [&] { seen.set_value(value.get()); });
  EXPECT_EQ(seen.get_future().get(), 0);
  (void)value.reset(std::move(token));
}

TEST(ThreadPool, FreePostUsesThePoolsOwnPostAndSoBindsTheContext) {  // C4
  exec::thread_pool pool(1);
  auto token = value.set(9);
  std::promise<int> seen;
  exec::post(pool, [&] { seen.set_value(value.get()); });
  EXPECT_EQ(seen.get_future().get(), 9);
  (void)value.reset(std::move(token));
}

// The former names stay for one release; they must keep doing what post does.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
TEST(ThreadPool, DeprecatedPostJobAndSubmitStillRunTheirJobs) {
  exec::thread_pool pool(1);
  auto token = value.set(11);
  std::promise<int> raw;
  std::promise<int> bound;
  pool.post_job([&] { raw.set_value(value.get()); });
  exec::submit(pool, [&] { bound.set_value(value.get()); });
  EXPECT_EQ(raw.get_future().get(), 0);
  EXPECT_EQ(bound.get_future().get(), 11);
  (void)value.reset(std::move(token));
}
#pragma GCC diagnostic pop

}  // namespace
}  // namespace ctxflow
