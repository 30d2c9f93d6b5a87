// SPDX-License-Identifier: Apache-2.0
// to_thread: the callable runs on a pool with the task's context (C4), changes stay inside (C6),
// and the task resumes where it was.
#include "ctxflow/coro/to_thread.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <thread>

#include "ctxflow/context/context_var.hpp"
#include "ctxflow/coro/event_loop.hpp"

namespace ctxflow {
namespace {

using coro::task;
context_var<int> value{"value", 0};

TEST(ToThread, CallableRunsOnAPoolThreadWithTheTasksContext) {  // C4
  std::thread::id loop_thread, fn_thread;
  auto body = [&]() -> task<int> {
    loop_thread = std::this_thread::get_id();
    auto token = value.set(64);
    int seen = co_await coro::to_thread([&] {
      fn_thread = std::this_thread::get_id();
      return value.get();
    });
    (void)value.reset(std::move(token));
    co_return seen;
  };
  EXPECT_EQ(coro::run(body()), 64);
  EXPECT_NE(loop_thread, fn_thread);
}

TEST(ToThread, TaskResumesOnItsEventLoopWithItsContext) {  // C5
  auto body = []() -> task<bool> {
    auto* loop = coro::event_loop::current();
    auto token = value.set(5);
    co_await coro::to_thread([] {
      auto inside = value.set(6);  // stays inside the call (C6)
    });
    bool ok = coro::event_loop::current() == loop && value.get() == 5;
    (void)value.reset(std::move(token));
    co_return ok;
  };
  EXPECT_TRUE(coro::run(body()));
}

TEST(ToThread, ExceptionFromTheCallableIsRethrownInTheTask) {
  auto body = []() -> task<> {
    co_await coro::to_thread([] { throw std::invalid_argument("blocking call failed"); });
  };
  EXPECT_THROW(coro::run(body()), std::invalid_argument);
}

}  // namespace
}  // namespace ctxflow
