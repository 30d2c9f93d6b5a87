// SPDX-License-Identifier: Apache-2.0
// event_loop and run(): interleaving on one thread (C5), sleeps, schedule_on hops (C5, C7).
#include "ctxflow/coro/event_loop.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "ctxflow/context/context_var.hpp"
#include "ctxflow/coro/schedule_on.hpp"
#include "ctxflow/coro/sleep.hpp"
#include "ctxflow/exec/thread_pool.hpp"

namespace ctxflow {
namespace {

using namespace std::chrono_literals;
using coro::task;
context_var<int> value{"value", 0};

TEST(EventLoop, RunReturnsTheMainTasksResult) {
  EXPECT_EQ(coro::run([]() -> task<int> { co_return 3; }()), 3);
}

TEST(EventLoop, RunRethrowsTheMainTasksException) {
  EXPECT_THROW(coro::run([]() -> task<> {
                 throw std::runtime_error("main failed");
                 co_return;
               }()),
               std::runtime_error);
}

TEST(EventLoop, TwoTasksInterleavedOnOneThreadNeverSeeEachOthersValues) {  // C5
  std::vector<std::string> log;
  int mismatches = 0;
  auto worker = [&](int id) -> task<> {
    auto token = value.set(id);
    for (int step = 0; step < 5; ++step) {
      co_await coro::sleep_for(1ms);  // both tasks are suspended here in turn
      if (value.get() != id) ++mismatches;
      log.push_back(std::to_string(id));
    }
    (void)value.reset(std::move(token));
  };
  auto main_task = [&]() -> task<> {
    exec::thread_pool* none = nullptr;
    (void)none;
    auto loop = coro::event_loop::current();
    auto a = coro::spawn(*loop, worker(1));
    auto b = coro::spawn(*loop, worker(2));
    co_await a;
    co_await b;
  };
  coro::run(main_task());
  EXPECT_EQ(mismatches, 0);
  ASSERT_EQ(log.size(), 10u);
  // They really interleaved: task 2 ran before task 1 finished.
  auto first_two = std::find(log.begin(), log.end(), "2");
  auto last_one = std::find(log.rbegin(), log.rend(), "1").base();
  EXPECT_LT(first_two, last_one);
}

TEST(EventLoop, SleepForWaitsAtLeastTheDuration) {
  auto start = std::chrono::steady_clock::now();
  coro::run([]() -> task<> { co_await coro::sleep_for(20ms); }());
  EXPECT_GE(std::chrono::steady_clock::now() - start, 20ms);
}

TEST(EventLoop, SleepOffTheLoopResumesOnThePoolItCameFrom) {
  exec::thread_pool pool(1);
  auto body = [&]() -> task<bool> {
    co_await coro::schedule_on(pool);
    auto token = value.set(12);
    co_await coro::sleep_for(2ms);
    bool ok = pool.running_in_this_thread() && value.get() == 12;
    (void)value.reset(std::move(token));
    co_return ok;
  };
  EXPECT_TRUE(coro::run(body()));
}

TEST(EventLoop, TaskHoppingBetweenPoolThreadsAndTheLoopSeesItsValueAtEveryResumption) {  // C5
  exec::thread_pool pool(2);
  auto body = [&]() -> task<int> {
    auto* loop = coro::event_loop::current();
    auto token = value.set(77);
    int good = 0;
    for (int i = 0; i < 50; ++i) {
      co_await coro::schedule_on(pool);
      good += pool.running_in_this_thread() && value.get() == 77;
      co_await coro::schedule_on(*loop);
      good += coro::event_loop::current() == loop && value.get() == 77;
    }
    (void)value.reset(std::move(token));
    co_return good;
  };
  EXPECT_EQ(coro::run(body()), 100);
}

TEST(EventLoop, PostedJobsCarryTheSubmittersContext) {  // C4
  int seen = -1;
  coro::run([&]() -> task<> {
    auto token = value.set(31);
    coro::event_loop::current()->post([&] { seen = value.get(); });
    (void)value.reset(std::move(token));
    co_await coro::sleep_for(1ms);
  }());
  EXPECT_EQ(seen, 31);
}

}  // namespace
}  // namespace ctxflow
