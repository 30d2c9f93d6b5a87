// SPDX-License-Identifier: Apache-2.0
// spawn: C4 (snapshot at spawn), C6 (isolation from spawner and siblings), join semantics.
#include "ctxflow/coro/spawn.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>

#include "coro/manual_resume.hpp"
#include "ctxflow/testing/diagnostics_capture.hpp"
#include "ctxflow/context/context_var.hpp"
#include "ctxflow/coro/event_loop.hpp"
#include "ctxflow/coro/schedule_on.hpp"
#include "ctxflow/coro/sync_wait.hpp"
#include "ctxflow/exec/inline_executor.hpp"
#include "ctxflow/exec/thread_pool.hpp"

namespace ctxflow {
namespace {

using coro::task;
context_var<int> value{"value", 0};

TEST(Spawn, TaskStartsFromTheSpawnersContextAtSpawnTime) {  // C4
  exec::thread_pool pool(2);
  auto outer = [&]() -> task<int> {
    auto token = value.set(4);
    auto handle = coro::spawn(pool, []() -> task<int> { co_return value.get(); }());
    (void)value.reset(std::move(token));  // changing the spawner later does not matter
    co_return co_await handle;
  };
  EXPECT_EQ(coro::sync_wait(outer()), 4);
}

TEST(Spawn, ChangesInASpawnedTaskNeverReachTheSpawner) {  // C6
  exec::thread_pool pool(2);
  auto outer = [&]() -> task<int> {
    auto token = value.set(1);
    co_await coro::spawn(pool, []() -> task<> {
      auto inner = value.set(2);  // left set: must stay inside the spawned task
      co_return;
    }());
    int seen = value.get();
    (void)value.reset(std::move(token));
    co_return seen;
  };
  EXPECT_EQ(coro::sync_wait(outer()), 1);
}

TEST(Spawn, SiblingsDoNotSeeEachOthersChanges) {  // C6
  test::manual_resume gate;
  exec::inline_executor now;
  int second_saw = -1;
  auto outer = [&]() -> task<> {
    // Coroutine state is passed as parameters: a lambda's closure dies before its coroutine.
    auto first = coro::spawn(now, [](test::manual_resume& g) -> task<> {
      auto t = value.set(10);
      co_await g;  // suspended with value == 10 in its own context
      (void)value.reset(std::move(t));
    }(gate));
    auto second = coro::spawn(now, [](int& saw) -> task<> {
      saw = value.get();
      co_return;
    }(second_saw));
    co_await second;
    gate.resume();
    co_await first;
  };
  coro::sync_wait(outer());
  EXPECT_EQ(second_saw, 0);
}

TEST(Spawn, JoinRethrowsTheTasksException) {
  exec::thread_pool pool(1);
  auto outer = [&]() -> task<bool> {
    auto h = coro::spawn(pool, []() -> task<int> {
      throw std::logic_error("spawned failure");
      co_return 1;
    }());
    try {
      co_await h;
    } catch (const std::logic_error&) {
      co_return true;
    }
    co_return false;
  };
  EXPECT_TRUE(coro::sync_wait(outer()));
}

TEST(Spawn, DroppedHandleLetsTheTaskFinishAndFreeItself) {
  exec::thread_pool pool(2);
  std::atomic<int> finished{0};
  for (int i = 0; i < 100; ++i) {
    (void)coro::spawn(pool, [](std::atomic<int>& f) -> task<> {
      ++f;
      co_return;
    }(finished));
  }
  pool.join();  // ASan checks that the detached frames were freed
  EXPECT_EQ(finished.load(), 100);
}

TEST(Spawn, GetBlocksUntilTheResult) {
  exec::thread_pool pool(1);
  auto h = coro::spawn(pool, []() -> task<int> { co_return 6; }());
  EXPECT_EQ(h.get(), 6);
  EXPECT_TRUE(h.done());
}

}  // namespace
}  // namespace ctxflow

namespace ctxflow {
namespace {

TEST(Spawn, WaitingForAnEmptyTaskIsALoggedNoOp) {
  testing::diagnostics_capture capture;
  EXPECT_EQ(coro::sync_wait(task<int>{}), 0);
  coro::join_handle<void> empty;
  empty.wait();
  auto awaiter = []() -> task<> {
    coro::join_handle<int> none;
    EXPECT_EQ(co_await none, 0);
  };
  coro::sync_wait(awaiter());
  EXPECT_EQ(capture.count("coro.task.empty"), 2u);
}

// spawn(task): the current loop, Python's asyncio.create_task.

task<int> read_value() { co_return value.get(); }

task<> leave_value_set(std::thread::id& ran_on) {
  ran_on = std::this_thread::get_id();
  auto token = value.set(9);  // left set: must stay inside the spawned task
  co_return;
}

TEST(SpawnOnTheCurrentLoop, StartsOnTheCallersLoopFromTheContextAtSpawnTime) {  // C4
  std::thread::id ran_on;
  auto main = [](std::thread::id& ran) -> task<int> {
    auto token = value.set(5);
    auto seen = coro::spawn(read_value());
    auto later = value.set(6);  // a change after the spawn does not reach the task
    auto isolated = coro::spawn(leave_value_set(ran));
    const int got = co_await seen;
    co_await isolated;
    const int after = value.get();  // the spawned task's change did not leak back
    (void)value.reset(std::move(later));
    (void)value.reset(std::move(token));
    co_return got * 10 + after;
  };
  EXPECT_EQ(coro::run(main(ran_on)), 56);
  EXPECT_EQ(ran_on, std::this_thread::get_id());  // coro::run's loop runs on this thread
  EXPECT_EQ(value.get(), 0);
}

TEST(SpawnOnTheCurrentLoop, OnAThreadPoolStartsOnThatPool) {
  exec::thread_pool pool(2);
  auto main = [](exec::thread_pool& p) -> task<bool> {
    co_await coro::schedule_on(p);
    auto child = coro::spawn([](exec::thread_pool& q) -> task<bool> {
      co_return exec::current_scheduler() == &q;
    }(p));
    co_return co_await child;
  };
  EXPECT_TRUE(coro::sync_wait(main(pool)));
}

TEST(SpawnOnTheCurrentLoop, OutsideAnyLoopReportsAndRunsTheTaskOnTheDefaultPool) {
  testing::diagnostics_capture capture;
  auto token = value.set(3);
  auto handle = coro::spawn([]() -> task<bool> {
    co_return value.get() == 3 && exec::current_scheduler() == &exec::default_pool();
  }());
  (void)value.reset(std::move(token));
  EXPECT_TRUE(handle.get());
  EXPECT_EQ(capture.count("coro.spawn.no_scheduler"), 1u);
}

}  // namespace
}  // namespace ctxflow
