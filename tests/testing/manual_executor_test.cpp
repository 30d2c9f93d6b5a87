// SPDX-License-Identifier: Apache-2.0
// manual_executor: jobs run only when stepped, in order, with the context each mode promises
// (C4 capture at submission, C6 isolation, C7 restore, C8 empty worker).
#include "ctxflow/testing/manual_executor.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "ctxflow/context/context_var.hpp"
#include "ctxflow/context/scope.hpp"
#include "ctxflow/exec/context_executor.hpp"
#include "ctxflow/exec/executor.hpp"
#include "ctxflow/testing/context_leak_checker.hpp"

namespace ctxflow::testing {
namespace {

context_var<int> request_id{"request_id", 0};

static_assert(exec::executor<manual_executor>);

TEST(ManualExecutor, RunsNothingUntilSteppedThenRunsInSubmissionOrder) {
  manual_executor ex;
  std::vector<int> ran;
  ex.post([&] { ran.push_back(1); });
  ex.execute([&] { ran.push_back(2); });
  ex.post([&] { ran.push_back(3); });
  EXPECT_TRUE(ran.empty());
  EXPECT_EQ(ex.pending(), 3u);
  EXPECT_TRUE(ex.run_one());
  EXPECT_EQ(ran, (std::vector<int>{1}));
  EXPECT_EQ(ex.run(1), 1u);
  EXPECT_EQ(ran, (std::vector<int>{1, 2}));
  EXPECT_EQ(ex.run_all(), 1u);
  EXPECT_EQ(ran, (std::vector<int>{1, 2, 3}));
  EXPECT_FALSE(ex.run_one());
  EXPECT_TRUE(ex.empty());
}

TEST(ManualExecutor, RunAllAlsoRunsJobsPostedByJobs) {
  manual_executor ex;
  int depth = 0;
  ex.post([&] {
    ++depth;
    ex.post([&] {
      ++depth;
      ex.post([&] { ++depth; });
    });
  });
  EXPECT_EQ(ex.run_all(), 3u);
  EXPECT_EQ(depth, 3);
}

TEST(ManualExecutor, AcceptsMoveOnlyJobs) {
  manual_executor ex;
  auto value = std::make_unique<int>(41);
  int seen = 0;
  ex.post([v = std::move(value), &seen] { seen = *v + 1; });
  ex.run_all();
  EXPECT_EQ(seen, 42);
}

TEST(ManualExecutor, CapturedJobsSeeTheContextFromSubmission) {  // C4
  manual_executor ex;
  int seen = -1;
  {
    scope s{request_id.with(context::current(), 7)};
    ex.post([&] { seen = request_id.get(); });
  }
  {
    scope s{request_id.with(context::current(), 99)};
    ex.run_all();
  }
  EXPECT_EQ(seen, 7);
}

TEST(ManualExecutor, CapturedJobsCannotLeakIntoTheRunner) {  // C6, C7
  manual_executor ex;
  ex.post([] { (void)request_id.set(5); });  // attached and never reset
  context_leak_checker leaks;
  ex.run_all();
  EXPECT_TRUE(leaks.check()) << leaks.check().message;
  EXPECT_EQ(request_id.get(), 0);
}

TEST(ManualExecutor, EmptyModeRunsJobsLikeAPlainWorkerThread) {  // C8
  manual_executor ex(job_context::empty);
  int seen = -1;
  scope s{request_id.with(context::current(), 7)};
  ex.post([&] { seen = request_id.get(); });
  ex.run_all();
  EXPECT_EQ(seen, 0);
  EXPECT_EQ(ex.mode(), job_context::empty);
}

TEST(ManualExecutor, RunnerModeRunsJobsInTheCallersContextWithoutIsolation) {
  manual_executor ex(job_context::runner);
  int seen = -1;
  {
    scope s{request_id.with(context::current(), 7)};
    ex.post([&] { seen = request_id.get(); });
  }
  scope s{request_id.with(context::current(), 9)};
  ex.run_all();
  EXPECT_EQ(seen, 9);
}

TEST(ManualExecutor, AContextExecutorOverARunnerModeExecutorCapturesAtSubmission) {  // C4
  manual_executor ex(job_context::runner);
  exec::context_executor<manual_executor> wrapped{ex};  // copies share the queue
  int seen = -1;
  {
    scope s{request_id.with(context::current(), 3)};
    wrapped.post([&] { seen = request_id.get(); });
  }
  EXPECT_EQ(ex.pending(), 1u);
  ex.run_all();
  EXPECT_EQ(seen, 3);
  EXPECT_TRUE(manual_executor(ex) == ex);
}

TEST(ManualExecutor, AJobsExceptionPassesThroughAndTheRestStaysQueued) {
  manual_executor ex;
  int after = 0;
  ex.post([] { throw std::runtime_error("job failed"); });
  ex.post([&] { ++after; });
  EXPECT_THROW(ex.run_one(), std::runtime_error);
  EXPECT_EQ(request_id.get(), 0);
  EXPECT_EQ(attach_depth(), 0u);
  EXPECT_EQ(ex.pending(), 1u);
  ex.run_all();
  EXPECT_EQ(after, 1);
}

TEST(ManualExecutorConcurrency, JobsPostedFromOtherThreadsAllRun) {
  manual_executor ex;
  std::atomic<int> ran{0};
  std::vector<std::thread> posters;
  for (int t = 0; t < 4; ++t)
    posters.emplace_back([ex, &ran]() mutable {
      for (int i = 0; i < 250; ++i)
        ex.post([&ran] { ran.fetch_add(1, std::memory_order_relaxed); });
    });
  std::size_t steps = 0;
  while (ran.load() < 1000) {
    steps += ex.run_all();
    std::this_thread::yield();
  }
  for (auto& p : posters) p.join();
  steps += ex.run_all();
  EXPECT_EQ(steps, 1000u);
  EXPECT_EQ(ran.load(), 1000);
}

}  // namespace
}  // namespace ctxflow::testing
