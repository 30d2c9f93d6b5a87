// SPDX-License-Identifier: Apache-2.0
// Interop between ctxflow tasks and Asio: a task awaits Asio operations through use_task, and an
// Asio coroutine awaits a task through async_run, each keeping its own context (C4-C7, C9).
#include "ctxflow/integrations/asio/use_task.hpp"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "ctxflow/context/context_var.hpp"
#include "ctxflow/coro/event_loop.hpp"
#include "ctxflow/coro/schedule_on.hpp"
#include "ctxflow/coro/sync_wait.hpp"
#include "ctxflow/coro/task.hpp"
#include "ctxflow/exec/thread_pool.hpp"
#include "ctxflow/integrations/asio/async_run.hpp"
#include "ctxflow/integrations/asio/co_spawn.hpp"
#include "integrations/loopback_echo.hpp"

namespace ctxflow {
namespace {

namespace net = boost::asio;
using integrations::asio::use_task;
using coro::task;

context_var<int> value{"interop.value", 0};

/// An io_context running on a thread of its own for the duration of a test.
struct io_thread {
  net::io_context io;
  net::executor_work_guard<net::io_context::executor_type> work{io.get_executor()};
  std::thread thread{[this] { io.run(); }};
  ~io_thread() {
    work.reset();
    io.stop();
    thread.join();
  }
};

task<int> wait_on_timer(net::io_context& io, std::thread::id& resumed_on) {
  auto token = value.set(21);
  net::steady_timer timer(io, std::chrono::milliseconds(2));
  co_await timer.async_wait(use_task);
  resumed_on = std::this_thread::get_id();
  const int seen = value.get();
  (void)value.reset(std::move(token));
  co_return seen;
}

TEST(AsioUseTask, TaskAwaitsATimerAndResumesOnItsLoopWithItsContext) {  // C5, C7
  io_thread asio;
  std::thread::id resumed_on;
  const int seen = coro::run(wait_on_timer(asio.io, resumed_on));
  EXPECT_EQ(seen, 21);
  EXPECT_EQ(resumed_on, std::this_thread::get_id());  // back on the event loop's thread
  EXPECT_EQ(value.get(), 0);
}

task<std::string> echo_once(net::io_context& io, std::uint16_t port) {
  net::ip::tcp::socket socket(io);
  co_await socket.async_connect({net::ip::make_address("127.0.0.1"), port}, use_task);
  const std::string ping = "hello";
  const std::size_t written = co_await net::async_write(socket, net::buffer(ping), use_task);
  std::array<char, 16> buffer{};
  std::size_t got = 0;
  while (got < written)
    got += co_await socket.async_read_some(net::buffer(buffer.data() + got, buffer.size() - got),
                                           use_task);
  co_return std::string(buffer.data(), got);
}

TEST(AsioUseTask, ReturnsTheCompletionValues) {
  io_thread asio;
  test::loopback_echo echo(asio.io);
  EXPECT_EQ(coro::sync_wait(echo_once(asio.io, echo.port())), "hello");
}

task<bool> refused_connect(net::io_context& io) {
  net::ip::tcp::socket socket(io);
  try {
    // Nothing listens on port 1: the operation completes with an error code.
    co_await socket.async_connect({net::ip::make_address("127.0.0.1"), 1}, use_task);
  } catch (const boost::system::system_error& e) {
    co_return e.code() == net::error::connection_refused;
  }
  co_return false;
}

TEST(AsioUseTask, AnErrorCodeIsThrownAtTheAwait) {  // Errors contract
  io_thread asio;
  EXPECT_TRUE(coro::sync_wait(refused_connect(asio.io)));
}

net::awaitable<int> asio_lookup() {
  net::steady_timer timer(co_await net::this_coro::executor, std::chrono::milliseconds(1));
  co_await timer.async_wait(net::use_awaitable);
  co_return value.get() + 1;  // the coroutine starts from the task's context
}

task<int> await_an_awaitable(net::io_context& io) {
  auto token = value.set(5);
  const int got = co_await integrations::asio::co_spawn(io, asio_lookup(), use_task);
  const int after = value.get();
  (void)value.reset(std::move(token));
  co_return got * 10 + after;
}

TEST(AsioUseTask, TaskAwaitsAnAsioAwaitableSpawnedWithUseTaskAndKeepsItsContext) {  // C4, C5
  io_thread asio;
  EXPECT_EQ(coro::run(await_an_awaitable(asio.io)), 65);
  EXPECT_EQ(value.get(), 0);
}

task<int> doubled_on_pool(exec::thread_pool& pool, int& seen_in_task) {
  seen_in_task = value.get();
  co_await coro::schedule_on(pool);  // completes on another thread
  auto token = value.set(999);       // left set: stays inside the task (foreign await = root)
  co_return seen_in_task * 2;
}

net::awaitable<void> await_a_task(exec::thread_pool& pool, int& result, int& seen_in_task,
                                  int& after) {
  auto token = value.set(8);
  result = co_await integrations::asio::async_run(doubled_on_pool(pool, seen_in_task),
                                                net::use_awaitable);
  after = value.get();
  (void)value.reset(std::move(token));
}

TEST(AsioAsyncRun, AnAsioCoroutineAwaitsATaskWithItsContextIntact) {  // C4, C5, C6
  exec::thread_pool pool(2);
  net::io_context io;
  int result = -1, seen_in_task = -1, after = -1;
  integrations::asio::co_spawn(io, await_a_task(pool, result, seen_in_task, after), net::detached);
  io.run();
  EXPECT_EQ(seen_in_task, 8);  // the task started from the coroutine's context
  EXPECT_EQ(result, 16);
  EXPECT_EQ(after, 8);  // the task's own change did not leak into the coroutine
  EXPECT_EQ(value.get(), 0);
}

task<int> failing_task() {
  throw std::domain_error("task failure");
  co_return 0;
}

net::awaitable<void> await_failing(std::string& what) {
  try {
    (void)co_await integrations::asio::async_run(failing_task(), net::use_awaitable);
  } catch (const std::domain_error& e) {
    what = e.what();
  }
}

TEST(AsioAsyncRun, TheTasksExceptionIsRethrownInTheCoroutine) {
  net::io_context io;
  std::string what;
  integrations::asio::co_spawn(io, await_failing(what), net::detached);
  io.run();
  EXPECT_EQ(what, "task failure");
}

task<int> seven() { co_return value.get() + 7; }

TEST(AsioAsyncRun, WorksWithACallbackToken) {  // C4
  exec::thread_pool pool(1);
  std::atomic<int> got{-1};
  auto token = value.set(1);
  integrations::asio::async_run(pool, seven(), [&](std::exception_ptr e, int v) {
    got.store(e ? -2 : v);
  });
  (void)value.reset(std::move(token));
  // The callback's associated executor is the system executor: wait for it to run.
  for (int i = 0; i < 1000 && got.load() < 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EXPECT_EQ(got.load(), 8);
}

}  // namespace
}  // namespace ctxflow
