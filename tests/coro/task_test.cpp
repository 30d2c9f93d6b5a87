// SPDX-License-Identifier: Apache-2.0
// task<T>: laziness, results, exceptions, symmetric transfer, and the task-local context rules
// C5 (persists across suspensions), C6 (awaited directly = same task), C7 (resumer restored).
#include "ctxflow/coro/task.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "coro/manual_resume.hpp"
#include "ctxflow/context/context_var.hpp"
#include "ctxflow/context/scope.hpp"
#include "ctxflow/coro/sync_wait.hpp"
#include "ctxflow/testing/diagnostics_capture.hpp"

namespace ctxflow {
namespace {

using coro::task;
context_var<int> value{"value", 0};

task<int> forty_two() { co_return 42; }

TEST(Task, DoesNotStartUntilAwaited) {
  bool started = false;
  auto make = [&]() -> task<> {
    started = true;
    co_return;
  };
  task<> t = make();
  EXPECT_FALSE(started);
  coro::sync_wait(std::move(t));
  EXPECT_TRUE(started);
}

TEST(Task, ReturnsItsValueToTheAwaiter) {
  auto outer = []() -> task<int> { co_return co_await forty_two() + 1; };
  EXPECT_EQ(coro::sync_wait(outer()), 43);
}

TEST(Task, MoveOnlyResultsAreMovedOut) {
  auto make = []() -> task<std::unique_ptr<int>> { co_return std::make_unique<int>(5); };
  EXPECT_EQ(*coro::sync_wait(make()), 5);
}

TEST(Task, ExceptionIsRethrownAtTheAwait) {
  auto failing = []() -> task<int> {
    throw std::runtime_error("inner");
    co_return 0;
  };
  auto outer = [&]() -> task<std::string> {
    try {
      co_await failing();
    } catch (const std::runtime_error& e) {
      co_return e.what();
    }
    co_return "none";
  };
  EXPECT_EQ(coro::sync_wait(outer()), "inner");
}

task<int> depth(int n) {
  if (n == 0) co_return 0;
  co_return 1 + co_await depth(n - 1);
}

// Symmetric transfer turns each hand-over into a tail call. GCC performs that tail call only when
// optimising with sibling calls (-O2) and not under the sanitizers, which keep the frames; those
// builds test a shallower chain (docs/design/context.md §6).
#if (defined(__OPTIMIZE__) || defined(__clang__)) && !defined(__SANITIZE_THREAD__) && \
    !defined(__SANITIZE_ADDRESS__)
constexpr int chain_depth = 1'000'000;
#else
constexpr int chain_depth = 5'000;
#endif

TEST(Task, AMillionDeepAwaitChainNeitherOverflowsNorLeaks) {
  EXPECT_EQ(coro::sync_wait(depth(chain_depth)), chain_depth);
}

TEST(Task, AMillionSynchronouslyCompletingAwaitsInALoopDoNotOverflow) {
  auto loop = []() -> task<long> {
    long sum = 0;
    for (int i = 0; i < chain_depth; ++i) sum += co_await forty_two();
    co_return sum;
  };
  EXPECT_EQ(coro::sync_wait(loop()), 42L * chain_depth);
}

TEST(Task, AwaitingAnEmptyTaskIsALoggedNoOp) {
  testing::diagnostics_capture capture;
  auto outer = []() -> task<int> {
    task<int> empty;
    co_return co_await std::move(empty);
  };
  EXPECT_EQ(coro::sync_wait(outer()), 0);
  EXPECT_EQ(capture.count("coro.task.empty"), 1u);
}

TEST(TaskContext, DirectlyAwaitedCoroutineSeesTheAwaitersContext) {  // C6
  auto inner = []() -> task<int> { co_return value.get(); };
  auto outer = [&]() -> task<int> {
    auto token = value.set(17);
    int seen = co_await inner();
    (void)value.reset(std::move(token));
    co_return seen;
  };
  EXPECT_EQ(coro::sync_wait(outer()), 17);
}

TEST(TaskContext, WhatADirectlyAwaitedCoroutineLeavesSetIsVisibleToTheAwaiter) {  // C6
  auto inner = []() -> task<> {
    auto token = value.set(3);  // left set on purpose: runs as part of the awaiting task
    co_return;
  };
  auto outer = [&]() -> task<int> {
    co_await inner();
    co_return value.get();
  };
  EXPECT_EQ(coro::sync_wait(outer()), 3);
  EXPECT_EQ(value.get(), 0);  // ...but never the caller of sync_wait
}

TEST(TaskContext, TaskStartsFromTheCallersContext) {  // C4
  auto token = value.set(8);
  auto read = []() -> task<int> { co_return value.get(); };
  EXPECT_EQ(coro::sync_wait(read()), 8);
  (void)value.reset(std::move(token));
}

TEST(TaskContext, ValueSetInsideATaskPersistsAcrossSuspensionAndTheResumerGetsItsOwnBack) {
  // C5 + C7: the task suspends; the thread that resumes it has its own context, which is not
  // visible inside the task, and which is current again after the task suspends or ends.
  test::manual_resume gate1, gate2;
  int after_first = -1, after_second = -1;
  auto body = [&]() -> task<> {
    auto token = value.set(100);
    co_await gate1;
    after_first = value.get();
    co_await gate2;
    after_second = value.get();
    (void)value.reset(std::move(token));
  };
  auto handle_holder = std::make_unique<std::thread>([&] {
    auto runner_ctx = value.set(-5);
    coro::sync_wait(body());
    (void)value.reset(std::move(runner_ctx));
  });
  while (!gate1.waiting()) std::this_thread::yield();
  {
    auto resumer = value.set(7);
    gate1.resume();  // resumes the task on this thread, up to gate2
    EXPECT_EQ(value.get(), 7);  // C7: the resumer's context is back after the suspension
    (void)value.reset(std::move(resumer));
  }
  std::thread other([&] {
    while (!gate2.waiting()) std::this_thread::yield();
    auto resumer = value.set(9);
    gate2.resume();  // the task finishes on a third thread
    EXPECT_EQ(value.get(), 9);
    (void)value.reset(std::move(resumer));
  });
  other.join();
  handle_holder->join();
  EXPECT_EQ(after_first, 100);   // C5
  EXPECT_EQ(after_second, 100);  // C5, on another thread
  EXPECT_EQ(value.get(), 0);
}

TEST(TaskContext, ScopeOpenedBeforeAnAwaitIsStillCurrentAfterItOnAnotherThread) {  // C5
  test::manual_resume gate;
  int seen = -1;
  auto body = [&]() -> task<> {
    scope s{value.with(context::current(), 55)};
    co_await gate;
    seen = value.get();
  };
  std::thread runner([&] { coro::sync_wait(body()); });
  while (!gate.waiting()) std::this_thread::yield();
  std::thread([&] { gate.resume(); }).join();
  runner.join();
  EXPECT_EQ(seen, 55);
}

TEST(TaskContext, ABorrowingScopeInATaskStaysCurrentAcrossAnAwaitOnAnotherThread) {  // C5
  test::manual_resume gate;
  int seen = -1;
  context snapshot;
  auto body = [&]() -> task<> {
    const context mine = value.with(context::current(), 56);
    scope s{mine};  // borrowed: the unit parks and resumes the borrowed pointer
    co_await gate;
    seen = value.get();
    snapshot = context::current();  // owns its reference: outlives `mine`
  };
  std::thread runner([&] { coro::sync_wait(body()); });
  while (!gate.waiting()) std::this_thread::yield();
  std::thread([&] { gate.resume(); }).join();
  runner.join();
  EXPECT_EQ(seen, 56);
  EXPECT_EQ(value.get(snapshot), 56);
  EXPECT_EQ(value.get(), 0);
}

TEST(TaskContext, TokenFromAnotherTaskIsUnknownAndChangesNothing) {  // C3, R1.7
  testing::diagnostics_capture capture;
  context_token foreign;
  auto make_token = [](context_token& out) -> task<> {
    out = value.set(1);  // attached in this task's unit, which then ends
    co_return;
  };
  auto use_token = [](context_token& t) -> task<std::pair<detach_result, int>> {
    auto mine = value.set(2);
    auto r = value.reset(std::move(t));
    int after = value.get();
    (void)value.reset(std::move(mine));
    co_return std::pair{r, after};
  };
  coro::sync_wait(make_token(foreign));
  auto [result, after] = coro::sync_wait(use_token(foreign));
  EXPECT_EQ(result, detach_result::unknown_token);
  EXPECT_EQ(after, 2);
  EXPECT_EQ(capture.count("context.detach.unknown_token"), 1u);
}

TEST(TaskContext, StrictModeReportsAScopeLeakedByATaskWhenItEnds) {  // C3 strict
  testing::diagnostics_capture capture;
  set_strict_mode(true);
  auto leaky = []() -> task<> {
    auto token = value.set(1);
    co_return;
  };
  coro::sync_wait(leaky());
  set_strict_mode(false);
  EXPECT_EQ(capture.count("context.scope.leaked"), 1u);
  EXPECT_EQ(value.get(), 0);
}

}  // namespace
}  // namespace ctxflow
