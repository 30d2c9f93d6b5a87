// SPDX-License-Identifier: Apache-2.0
// context_executor: wraps a foreign executor so jobs carry the submitter's context (C4, C7).
#include "ctxflow/exec/context_executor.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <stdexcept>

#include "ctxflow/context/context_var.hpp"
#include "ctxflow/exec/unique_function.hpp"

namespace ctxflow {
namespace {

context_var<int> value{"value", 0};

/// A foreign executor that knows nothing about contexts: it queues and runs on demand.
struct queue_executor {
  std::deque<exec::unique_function>* jobs;
  void execute(exec::unique_function f) { jobs->push_back(std::move(f)); }
};

TEST(ContextExecutor, WrappedForeignExecutorRunsJobsWithTheSubmittersContext) {  // C4
  std::deque<exec::unique_function> jobs;
  exec::context_executor ex{queue_executor{&jobs}};
  int seen = -1;
  {
    auto token = value.set(21);
    ex.post([&] { seen = value.get(); });
    (void)value.reset(std::move(token));
  }
  ASSERT_EQ(jobs.size(), 1u);
  jobs.front()();
  EXPECT_EQ(seen, 21);
  EXPECT_EQ(value.get(), 0);
}

TEST(ContextExecutor, RunnerContextIsRestoredAfterAThrowingJob) {  // C7
  std::deque<exec::unique_function> jobs;
  exec::context_executor ex{queue_executor{&jobs}};
  {
    auto token = value.set(1);
    ex.execute([] { throw std::runtime_error("x"); });
    (void)value.reset(std::move(token));
  }
  auto runner = value.set(2);
  EXPECT_THROW(jobs.front()(), std::runtime_error);  // user exceptions pass through unchanged
  EXPECT_EQ(value.get(), 2);
  (void)value.reset(std::move(runner));
}

}  // namespace
}  // namespace ctxflow
