// SPDX-License-Identifier: Apache-2.0
// What the Asio integration costs: a handler posted through context_executor versus the plain
// io_context executor, and one resumption of an awaitable coroutine (a post + resume through
// its executor) spawned with integrations::asio::co_spawn versus boost::asio::co_spawn. The
// difference is the per-handler enter/leave of the coroutine's context cell (its budget is in
// benchmarks/README.md, "Asio integration").
#include <benchmark/benchmark.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "ctxflow/context/context_var.hpp"
#include "ctxflow/integrations/asio/co_spawn.hpp"

namespace {

namespace net = boost::asio;

ctxflow::context_var<int> value{"bench.value", 0};

constexpr int batch = 1000;

void BM_PostHandler_PlainExecutor(benchmark::State& state) {
  net::io_context io;
  int sum = 0;
  for (auto _ : state) {
    for (int i = 0; i < batch; ++i) net::post(io.get_executor(), [&] { sum += value.get(); });
    io.restart();
    io.run();
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_PostHandler_PlainExecutor);

void BM_PostHandler_ContextExecutor(benchmark::State& state) {
  net::io_context io;
  ctxflow::integrations::asio::context_executor<net::io_context::executor_type> ex(
      io.get_executor(), value.with(ctxflow::context(), 1));
  int sum = 0;
  for (auto _ : state) {
    for (int i = 0; i < batch; ++i) net::post(ex, [&] { sum += value.get(); });
    io.restart();
    io.run();
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_PostHandler_ContextExecutor);

net::awaitable<void> yield_many(int n, int& sum) {
  for (int i = 0; i < n; ++i) {
    co_await net::post(co_await net::this_coro::executor, net::use_awaitable);
    sum += value.get();
  }
}

void BM_AwaitableResume_AsioCoSpawn(benchmark::State& state) {
  net::io_context io;
  int sum = 0;
  for (auto _ : state) {
    net::co_spawn(io, yield_many(batch, sum), net::detached);
    io.restart();
    io.run();
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_AwaitableResume_AsioCoSpawn);

void BM_AwaitableResume_CtxflowCoSpawn(benchmark::State& state) {
  net::io_context io;
  int sum = 0;
  auto token = value.set(1);
  for (auto _ : state) {
    ctxflow::integrations::asio::co_spawn(io, yield_many(batch, sum), net::detached);
    io.restart();
    io.run();
  }
  (void)value.reset(std::move(token));
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_AwaitableResume_CtxflowCoSpawn);

}  // namespace
