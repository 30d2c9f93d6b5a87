// SPDX-License-Identifier: Apache-2.0
// Stress (runs under ThreadSanitizer in CI): 10,000 concurrent tasks hop at random between the
// threads of a pool, a second pool and the event loop, sleep and exchange messages, and check
// their own value at every resumption (C5); workers must be empty between jobs (C7).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <random>
#include <vector>

#include "ctxflow/context/context_var.hpp"
#include "ctxflow/context/scope.hpp"
#include "ctxflow/coro/channel.hpp"
#include "ctxflow/coro/event_loop.hpp"
#include "ctxflow/coro/schedule_on.hpp"
#include "ctxflow/coro/sleep.hpp"
#include "ctxflow/coro/spawn.hpp"
#include "ctxflow/coro/to_thread.hpp"
#include "ctxflow/exec/thread_pool.hpp"
#include "ctxflow/testing/diagnostics_capture.hpp"

namespace ctxflow {
namespace {

using coro::task;
using namespace std::chrono_literals;

context_var<std::uint64_t> task_id{"task_id", 0};

struct counters {
  std::atomic<std::uint64_t> checks{0};
  std::atomic<std::uint64_t> mismatches{0};
  std::atomic<std::uint64_t> finished{0};
};

void check(counters& c, std::uint64_t expected) {
  c.checks.fetch_add(1, std::memory_order_relaxed);
  if (task_id.get() != expected) c.mismatches.fetch_add(1, std::memory_order_relaxed);
}

task<> worker(std::uint64_t id, exec::thread_pool& a, exec::thread_pool& b, coro::event_loop& loop,
              coro::channel<std::uint64_t>& ch, counters& c) {
  auto token = task_id.set(id);
  std::minstd_rand rng(static_cast<std::uint32_t>(id));
  for (int hop = 0; hop < 8; ++hop) {
    switch (rng() % 5) {
      case 0: co_await coro::schedule_on(a); break;
      case 1: co_await coro::schedule_on(b); break;
      case 2: co_await coro::schedule_on(loop); break;
      case 3: co_await coro::sleep_for(std::chrono::microseconds(rng() % 200)); break;
      case 4: {
        // A nested scope across an await, then back.
        scope s{task_id.with(context::current(), id + 1)};
        co_await coro::schedule_on(a);
        check(c, id + 1);
        break;
      }
    }
    check(c, id);
  }
  // A blocking call on the default pool keeps the value too.
  const std::uint64_t seen = co_await coro::to_thread([] { return task_id.get(); });
  c.checks.fetch_add(1, std::memory_order_relaxed);
  if (seen != id) c.mismatches.fetch_add(1, std::memory_order_relaxed);
  co_await ch.send(id);
  check(c, id);
  (void)task_id.reset(std::move(token));
  c.finished.fetch_add(1, std::memory_order_relaxed);
}

TEST(ContextStress, TenThousandTasksHoppingThreadsAlwaysSeeTheirOwnValueAndWorkersStayEmpty) {
  testing::diagnostics_capture capture;
  constexpr std::uint64_t task_count = 10'000;
  exec::thread_pool pool_a(2);
  exec::thread_pool pool_b(2);
  counters c;
  std::uint64_t sum = 0;
  coro::run([](exec::thread_pool& a, exec::thread_pool& b, counters& cnt,
               std::uint64_t& total) -> task<> {
    auto& loop = *coro::event_loop::current();
    coro::channel<std::uint64_t> ch(64);
    std::vector<coro::join_handle<void>> handles;
    handles.reserve(task_count);
    for (std::uint64_t i = 1; i <= task_count; ++i)
      handles.push_back(coro::spawn(loop, worker(i * 10, a, b, loop, ch, cnt)));
    for (std::uint64_t i = 0; i < task_count; ++i) total += *co_await ch.receive();
    for (auto& h : handles) co_await h;
  }(pool_a, pool_b, c, sum));
  pool_a.join();
  pool_b.join();

  EXPECT_EQ(c.finished.load(), task_count);
  EXPECT_EQ(c.mismatches.load(), 0u);
  EXPECT_GE(c.checks.load(), task_count * 10);
  EXPECT_EQ(sum, 10 * task_count * (task_count + 1) / 2);
  EXPECT_EQ(pool_a.leaks_repaired() + pool_b.leaks_repaired(), 0u);
  EXPECT_EQ(capture.count("exec.worker.context_leak"), 0u);
  EXPECT_TRUE(context::current().empty());
  EXPECT_EQ(attach_depth(), 0u);
}

}  // namespace
}  // namespace ctxflow
