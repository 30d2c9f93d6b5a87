// SPDX-License-Identifier: Apache-2.0
// yield(): a task goes to the back of its scheduler's queue and comes back with its own context
// (C5, C7); off any scheduler it does not suspend.
#include "ctxflow/coro/yield.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "ctxflow/context/context_var.hpp"
#include "ctxflow/coro/event_loop.hpp"
#include "ctxflow/coro/spawn.hpp"
#include "ctxflow/coro/sync_wait.hpp"
#include "ctxflow/coro/task.hpp"

namespace ctxflow {
namespace {

using coro::task;
context_var<int> value{"yield.value", 0};

// Appends "<name><step>" three times, yielding after each, and checks at every step that its
// own value is current.
task<bool> take_turns(char name, int own, std::string& order) {
  auto token = value.set(own);
  bool kept = true;
  for (int step = 0; step < 3; ++step) {
    order += name;
    order += static_cast<char>('0' + step);
    co_await coro::yield();
    kept = kept && value.get() == own;
  }
  (void)value.reset(std::move(token));
  co_return kept;
}

task<bool> two_tasks(std::string& order) {
  auto a = coro::spawn(take_turns('a', 1, order));
  auto b = coro::spawn(take_turns('b', 2, order));
  const bool a_kept = co_await a;
  const bool b_kept = co_await b;
  co_return a_kept && b_kept && value.get() == 0;
}

TEST(Yield, TwoTasksOnOneLoopInterleaveAndEachKeepsItsOwnContext) {  // C5, C6
  std::string order;
  EXPECT_TRUE(coro::run(two_tasks(order)));
  EXPECT_EQ(order, "a0b0a1b1a2b2");
}

task<int> yield_on_loop(std::thread::id& resumed_on) {
  auto token = value.set(4);
  co_await coro::yield();
  resumed_on = std::this_thread::get_id();
  const int seen = value.get();
  (void)value.reset(std::move(token));
  co_return seen;
}

TEST(Yield, ResumesOnTheSameLoopWithTheTasksContext) {  // C5, C7
  std::thread::id resumed_on;
  EXPECT_EQ(coro::run(yield_on_loop(resumed_on)), 4);
  EXPECT_EQ(resumed_on, std::this_thread::get_id());
  EXPECT_EQ(value.get(), 0);
}

task<bool> yield_on_plain_thread() {
  const auto before = std::this_thread::get_id();
  co_await coro::yield();
  co_return std::this_thread::get_id() == before;
}

TEST(Yield, OffAnySchedulerItContinuesAtOnce) {
  EXPECT_TRUE(coro::sync_wait(yield_on_plain_thread()));
}

}  // namespace
}  // namespace ctxflow
