// SPDX-License-Identifier: Apache-2.0
// ctxflow/integrations/asio/asio.hpp, included first and alone: it brings Boost.Asio and the whole
// Asio integration, whatever the Boost release, so co_spawn and use_task work with nothing else.
#include "ctxflow/integrations/asio/asio.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "ctxflow/context/context_var.hpp"

namespace ctxflow {
namespace {

namespace net = boost::asio;

context_var<int> request{"asio_header.request", 0};

// A task awaiting an Asio timer through use_task: returns what it saw before and after the wait.
coro::task<int> wait_then_read(net::any_io_executor ex) {
  const int before = request.get();
  net::steady_timer timer(ex, std::chrono::milliseconds(1));
  co_await timer.async_wait(integrations::asio::use_task);
  co_return before * 100 + request.get();
}

net::awaitable<void> run_task(int& result) {
  const auto ex = integrations::asio::unwrap_executor(co_await net::this_coro::executor);
  result = co_await integrations::asio::async_run(wait_then_read(ex), net::use_awaitable);
}

TEST(AsioHeader, IncludedAloneItRunsATaskAwaitingATimerWithUseTaskInsideACoSpawnedCoroutine) {
  net::io_context io;
  int result = 0;
  {
    auto token = request.set(7);
    integrations::asio::co_spawn(io, run_task(result), net::detached);
    (void)request.reset(std::move(token));
  }
  io.run();
  EXPECT_EQ(result, 707);  // the spawner's value, before and after the timer
  EXPECT_EQ(request.get(), 0);
}

}  // namespace
}  // namespace ctxflow
