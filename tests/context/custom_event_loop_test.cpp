// SPDX-License-Identifier: Apache-2.0
// The worked example of docs/usage/executors.md (examples/custom_event_loop/mini_loop.hpp): a
// third-party event loop carries the context through the public execution-unit interface only
// (C4, C5, C7).
#include "custom_event_loop/mini_loop.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "ctxflow/context/context_var.hpp"
#include "ctxflow/testing/diagnostics_capture.hpp"

namespace {

ctxflow::context_var<int> request{"request", -1};
ctxflow::context_var<int> steps{"steps", 0};

}  // namespace

TEST(CustomEventLoop, PostedJobSeesTheContextOfThePostNotOfTheRun) {  // C4
  mini::event_loop loop;
  int seen = 0;
  {
    auto token = request.set(7);
    loop.post([&] { seen = request.get(); });
    (void)request.reset(std::move(token));
  }
  auto runner = request.set(99);
  loop.run();
  EXPECT_EQ(seen, 7);
  EXPECT_EQ(request.get(), 99);  // the loop's own context is back (C7)
  (void)request.reset(std::move(runner));
}

TEST(CustomEventLoop, WorkPostedFromAnotherThreadCarriesThatThreadsContext) {  // C4
  mini::event_loop loop;
  int seen = 0;
  std::thread([&] {
    auto token = request.set(3);
    loop.post([&] { seen = request.get(); });
    (void)request.reset(std::move(token));
  }).join();
  loop.run();
  EXPECT_EQ(seen, 3);
}

TEST(CustomEventLoop, WhatAJobAttachesNeverReachesTheNextJobOrTheLoop) {  // C6, C7
  mini::event_loop loop;
  int second = 0;
  loop.post([] { (void)request.set(5); });  // token dropped: stays in that job's unit only
  loop.post([&] { second = request.get(); });
  loop.run();
  EXPECT_EQ(second, -1);
  EXPECT_EQ(request.get(), -1);
  EXPECT_EQ(ctxflow::attach_depth(), 0u);
}

TEST(CustomEventLoop, StepsOfOneTaskShareItsContextAndInterleavedTasksStaySeparate) {  // C5
  mini::event_loop loop;
  std::vector<std::pair<int, int>> seen;  // (request, steps before this one)
  auto step = [&] {
    const int done = steps.get();
    seen.emplace_back(request.get(), done);
    (void)steps.set(done + 1);  // stays with the task until its next step
    return done + 1 < 2;
  };
  for (int r : {1, 2}) {
    auto token = request.set(r);
    loop.spawn(step);
    (void)request.reset(std::move(token));
  }
  loop.run();
  const std::vector<std::pair<int, int>> expected{{1, 0}, {2, 0}, {1, 1}, {2, 1}};
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(steps.get(), 0);
}

TEST(CustomEventLoop, StrictModeReportsAScopeATaskLeftOpenWhenTheTaskEnds) {  // C3
  ctxflow::testing::diagnostics_capture capture;
  ctxflow::set_strict_mode(true);
  {
    mini::event_loop loop;
    loop.post([] { (void)request.set(1); });
    loop.run();
  }
  ctxflow::set_strict_mode(false);
  EXPECT_EQ(capture.count("context.scope.leaked"), 1u);
}

#if CTXFLOW_HAS_EXCEPTIONS
TEST(CustomEventLoop, ContextOfTheLoopIsBackWhenAJobThrows) {  // C7
  mini::event_loop loop;
  loop.post([] {
    (void)request.set(4);
    throw std::runtime_error("job failed");
  });
  auto runner = request.set(8);
  EXPECT_THROW(loop.run(), std::runtime_error);
  EXPECT_EQ(request.get(), 8);
  EXPECT_EQ(ctxflow::attach_depth(), 1u);
  (void)request.reset(std::move(runner));
}
#endif
