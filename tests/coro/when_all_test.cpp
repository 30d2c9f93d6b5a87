// SPDX-License-Identifier: Apache-2.0
// when_all: concurrent children, results in order, isolation between siblings (C6).
#include "ctxflow/coro/when_all.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>

#include "ctxflow/context/context_var.hpp"
#include "ctxflow/coro/event_loop.hpp"
#include "ctxflow/coro/sleep.hpp"

namespace ctxflow {
namespace {

using namespace std::chrono_literals;
using coro::task;
context_var<int> value{"value", 0};

task<int> set_and_read(int v) {
  auto token = value.set(v);
  co_await coro::sleep_for(1ms);  // every sibling is suspended with its own value
  int seen = value.get();
  (void)value.reset(std::move(token));
  co_return seen;
}

TEST(WhenAll, ResultsComeBackInOrderAndSiblingsKeepTheirOwnValues) {  // C6
  auto main_task = []() -> task<std::vector<int>> {
    std::vector<task<int>> tasks;
    for (int i = 1; i <= 5; ++i) tasks.push_back(set_and_read(i));
    co_return co_await coro::when_all(std::move(tasks));
  };
  EXPECT_EQ(coro::run(main_task()), (std::vector<int>{1, 2, 3, 4, 5}));
}

TEST(WhenAll, ChildrenStartFromTheCallersContextAndDoNotChangeIt) {  // C4, C6
  auto main_task = []() -> task<std::tuple<int, int>> {
    auto token = value.set(40);
    auto read = []() -> task<int> { co_return value.get(); };
    auto leak = []() -> task<int> {
      auto t = value.set(-1);
      co_return 0;
    };
    auto result = co_await coro::when_all(read(), leak());
    int after = value.get();
    (void)value.reset(std::move(token));
    co_return std::tuple<int, int>{std::get<0>(result), after};
  };
  auto [child, after] = coro::run(main_task());
  EXPECT_EQ(child, 40);
  EXPECT_EQ(after, 40);
}

TEST(WhenAll, WaitsForEveryChildThenRethrowsTheFirstException) {
  int finished = 0;
  auto main_task = [&]() -> task<> {
    std::vector<task<void>> tasks;
    tasks.push_back([]() -> task<> {
      throw std::runtime_error("first");
      co_return;
    }());
    tasks.push_back([](int& done) -> task<> {  // by parameter: the closure dies first
      co_await coro::sleep_for(2ms);
      ++done;
    }(finished));
    co_await coro::when_all(std::move(tasks));
  };
  EXPECT_THROW(coro::run(main_task()), std::runtime_error);
  EXPECT_EQ(finished, 1);
}

}  // namespace
}  // namespace ctxflow
