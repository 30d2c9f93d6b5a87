// SPDX-License-Identifier: Apache-2.0
// Stress (run under ThreadSanitizer in CI): thousands of coroutines spawned with
// integrations::asio::co_spawn on a two-thread io_context, each doing real loopback socket I/O
// against an echo server and checking, at every resumption, that its own span and its own
// context_var value are current (C5, C6, C7, C9; docs/requirements.md §11).
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "ctxflow/context/context_var.hpp"
#include "ctxflow/integrations/asio/co_spawn.hpp"
#include "ctxflow/testing/span_recorder.hpp"
#include "ctxflow/trace/span.hpp"
#include "integrations/loopback_echo.hpp"

namespace ctxflow {
namespace {

namespace net = boost::asio;

context_var<int> worker_id{"stress.worker", -1};

struct counters {
  std::atomic<int> active{0};
  std::atomic<int> finished{0};
  std::atomic<int> resumptions{0};
  std::atomic<int> mismatches{0};
  std::atomic<int> failures{0};
};

net::awaitable<void> echo_worker(int id, std::uint16_t port, trace::tracer tracer, counters& c) {
  auto token = worker_id.set(id);
  auto s = tracer.start_as_current_span("worker");
  const trace::trace_id mine = s->context().trace;
  auto check = [&] {
    c.resumptions.fetch_add(1, std::memory_order_relaxed);
    if (worker_id.get() != id || trace::current_span().context().trace != mine)
      c.mismatches.fetch_add(1, std::memory_order_relaxed);
  };
  try {
    net::ip::tcp::socket socket(co_await net::this_coro::executor);
    co_await socket.async_connect({net::ip::make_address("127.0.0.1"), port}, net::use_awaitable);
    check();
    const std::string message = "worker " + std::to_string(id);
    std::array<char, 32> back{};
    for (int round = 0; round < 4; ++round) {
      co_await net::async_write(socket, net::buffer(message), net::use_awaitable);
      check();
      co_await net::async_read(socket, net::buffer(back.data(), message.size()),
                               net::use_awaitable);
      check();
      if (std::string(back.data(), message.size()) != message)
        c.failures.fetch_add(1, std::memory_order_relaxed);
    }
  } catch (const std::exception&) {
    c.failures.fetch_add(1, std::memory_order_relaxed);
  }
  c.active.fetch_sub(1, std::memory_order_relaxed);
  c.finished.fetch_add(1, std::memory_order_release);
}

/// Spawns `total` workers, at most `concurrency` at a time (file descriptors are limited).
net::awaitable<void> launcher(int total, int concurrency, std::uint16_t port,
                              trace::tracer tracer, counters& c) {
  net::steady_timer timer(co_await net::this_coro::executor);
  for (int id = 0; id < total;) {
    if (c.active.load(std::memory_order_relaxed) < concurrency) {
      c.active.fetch_add(1, std::memory_order_relaxed);
      integrations::asio::co_spawn(co_await net::this_coro::executor,
                                 echo_worker(id, port, tracer, c), net::detached);
      ++id;
      continue;
    }
    timer.expires_after(std::chrono::milliseconds(1));
    co_await timer.async_wait(net::use_awaitable);
  }
  while (c.finished.load(std::memory_order_acquire) < total) {
    timer.expires_after(std::chrono::milliseconds(2));
    co_await timer.async_wait(net::use_awaitable);
  }
}

TEST(AsioStress, ThousandsOfCoroutinesOnTwoThreadsKeepTheirOwnContext) {  // C5-C7, C9
  testing::span_recorder recorder;
  constexpr int total = 2000;
  net::io_context io;
  test::loopback_echo echo(io);
  counters c;
  integrations::asio::co_spawn(io, launcher(total, 100, echo.port(), recorder.tracer(), c),
                             [&](std::exception_ptr) { echo.stop(); });
  std::thread second([&] { io.run(); });
  io.run();
  second.join();
  EXPECT_EQ(c.finished.load(), total);
  EXPECT_EQ(c.failures.load(), 0);
  EXPECT_EQ(c.mismatches.load(), 0);
  EXPECT_EQ(c.resumptions.load(), total * 9);
  EXPECT_EQ(recorder.size(), static_cast<std::size_t>(total));
  EXPECT_EQ(worker_id.get(), -1);
}

// Boost.Asio 1.81 counts the copies of a large type-erased executor (a strand inside an
// any_io_executor, as every HTTP server connection's socket holds) with a release decrement and
// an acquire fence, and ThreadSanitizer does not model fences: the last copy dying on one thread
// after another copy died on another was reported as a race on the executor's memory. The tsan
// preset defines BOOST_ASIO_DISABLE_STD_ATOMIC, so Asio counts with read-modify-writes TSan
// follows (docs/usage/building.md, "ThreadSanitizer and Boost.Asio"). The two releases are
// ordered only by the count itself here: the flag between the threads is relaxed on purpose.
TEST(AsioStress, AStrandExecutorWhoseCopiesDieOnTwoThreadsIsNotReportedAsARace) {
#if defined(__SANITIZE_THREAD__) && !defined(BOOST_ASIO_DISABLE_STD_ATOMIC)
  ADD_FAILURE() << "a ThreadSanitizer build must define BOOST_ASIO_DISABLE_STD_ATOMIC";
#endif
  net::io_context io;
  std::optional<net::any_io_executor> mine{
      net::make_strand(net::any_io_executor(io.get_executor()))};
  std::atomic<bool> released{false};
  std::atomic<bool> ran{false};
  std::thread other([copy = *mine, &released, &ran]() mutable {
    net::post(copy, [&ran] { ran.store(true, std::memory_order_relaxed); });
    copy = net::any_io_executor();  // this thread's copy dies first
    released.store(true, std::memory_order_relaxed);
  });
  while (!released.load(std::memory_order_relaxed)) std::this_thread::yield();
  io.run();  // the posted handler holds a copy too; it dies here
  EXPECT_TRUE(ran.load(std::memory_order_relaxed));
  mine.reset();  // the last copy: the executor's target is deleted on this thread
  other.join();
}

}  // namespace
}  // namespace ctxflow
