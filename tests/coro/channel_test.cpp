// SPDX-License-Identifier: Apache-2.0
// channel<T>: producer/consumer tasks, back-pressure, close; each side keeps its context (C5).
#include "ctxflow/coro/channel.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "ctxflow/context/context_var.hpp"
#include "ctxflow/coro/event_loop.hpp"
#include "ctxflow/coro/spawn.hpp"
#include "ctxflow/coro/schedule_on.hpp"
#include "ctxflow/exec/thread_pool.hpp"

namespace ctxflow {
namespace {

using coro::task;
context_var<int> value{"value", 0};

TEST(Channel, ValuesArriveInOrderAndEachSideKeepsItsOwnContext) {  // C5
  coro::channel<int> ch(2);  // bounded: the producer must wait
  int producer_mismatch = 0, consumer_mismatch = 0;
  std::vector<int> received;
  auto producer = [&]() -> task<> {
    auto token = value.set(1);
    for (int i = 0; i < 20; ++i) {
      EXPECT_TRUE(co_await ch.send(i));
      producer_mismatch += value.get() != 1;
    }
    ch.close();
    (void)value.reset(std::move(token));
  };
  auto consumer = [&]() -> task<> {
    auto token = value.set(2);
    while (auto v = co_await ch.receive()) {
      received.push_back(*v);
      consumer_mismatch += value.get() != 2;
    }
    (void)value.reset(std::move(token));
  };
  coro::run([&]() -> task<> {
    auto* loop = coro::event_loop::current();
    auto c = coro::spawn(*loop, consumer());
    auto p = coro::spawn(*loop, producer());
    co_await p;
    co_await c;
  }());
  ASSERT_EQ(received.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(received[static_cast<std::size_t>(i)], i);
  EXPECT_EQ(producer_mismatch, 0);
  EXPECT_EQ(consumer_mismatch, 0);
}

TEST(Channel, SendAfterCloseFailsAndReceiveDrainsThenEnds) {
  coro::channel<int> ch;
  EXPECT_TRUE(ch.try_send(1));
  ch.close();
  EXPECT_FALSE(ch.try_send(2));
  auto body = [&]() -> task<std::vector<std::optional<int>>> {
    std::vector<std::optional<int>> got;
    got.push_back(co_await ch.receive());
    got.push_back(co_await ch.receive());
    bool sent = co_await ch.send(3);
    EXPECT_FALSE(sent);
    co_return got;
  };
  auto got = coro::run(body());
  EXPECT_EQ(got[0], std::optional<int>(1));
  EXPECT_EQ(got[1], std::nullopt);
}

TEST(Channel, ConsumerOnAPoolAndProducerOnTheLoopExchangeEverything) {
  exec::thread_pool pool(2);
  coro::channel<int> ch(4);
  long sum = 0;
  auto consumer = [&]() -> task<> {
    co_await coro::schedule_on(pool);
    while (auto v = co_await ch.receive()) sum += *v;
  };
  coro::run([&]() -> task<> {
    auto c = coro::spawn(*coro::event_loop::current(), consumer());
    for (int i = 1; i <= 1000; ++i) co_await ch.send(i);
    ch.close();
    co_await c;
  }());
  EXPECT_EQ(sum, 500500);
}

}  // namespace
}  // namespace ctxflow
