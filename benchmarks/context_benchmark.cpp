// SPDX-License-Identifier: Apache-2.0
// The cost of the context core and the task model (budgets in benchmarks/README.md): reading
// the current context, attach/detach, context_var set/reset, a bound call, a task resume,
// spawn + await.
#include <benchmark/benchmark.h>

#include <coroutine>

#include "alloc_counter.hpp"
#include "ctxflow/context/context.hpp"
#include "ctxflow/context/context_var.hpp"
#include "ctxflow/context/scope.hpp"
#include "ctxflow/coro/spawn.hpp"
#include "ctxflow/coro/sync_wait.hpp"
#include "ctxflow/coro/task.hpp"
#include "ctxflow/exec/bind_context.hpp"
#include "ctxflow/exec/inline_executor.hpp"

namespace {

using namespace ctxflow;
context_var<int> var{"bench", 0};

/// Runs with a non-empty current context, as real code does.
struct with_context {
  context_token token = var.set(1);
  ~with_context() { (void)var.reset(std::move(token)); }
};

void BM_current_context(benchmark::State& state) {
  with_context w;
  for (auto _ : state) benchmark::DoNotOptimize(context::current_view().impl());
}
BENCHMARK(BM_current_context);

void BM_current_context_copy(benchmark::State& state) {
  with_context w;
  for (auto _ : state) {
    context c = context::current();
    benchmark::DoNotOptimize(c.impl());
  }
}
BENCHMARK(BM_current_context_copy);

void BM_context_var_get(benchmark::State& state) {
  with_context w;
  for (auto _ : state) benchmark::DoNotOptimize(var.get());
}
BENCHMARK(BM_context_var_get);

void BM_attach_detach(benchmark::State& state) {
  with_context w;
  context c = var.with(context{}, 2);
  bench::alloc_scope allocs(state);
  for (auto _ : state) {
    auto token = attach(c);
    benchmark::DoNotOptimize(detach(std::move(token)));
  }
}
BENCHMARK(BM_attach_detach);

/// `scope s{c}` with a context the caller keeps: the scope borrows it (no reference count).
void BM_scope(benchmark::State& state) {
  context c = var.with(context{}, 2);
  bench::alloc_scope allocs(state);
  for (auto _ : state) {
    scope s{c};
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_scope);

/// Attach + detach of a context that is already shared, as BM_attach_detach, through a
/// borrowing scope: no atomic read-modify-write.
void BM_scope_borrowed(benchmark::State& state) {
  with_context w;
  context c = var.with(context{}, 2);
  context other_owner = c;  // shared, as a context usually is
  bench::alloc_scope allocs(state);
  for (auto _ : state) {
    scope s{c};
    benchmark::DoNotOptimize(context::current_view().impl());
  }
}
BENCHMARK(BM_scope_borrowed);

/// A freshly made context (the current one with a new span slot, what start_as_current_span
/// makes) adopted by a scope: made from a view of the current context, moved into the slot,
/// freed at the end without a locked instruction. The node comes from the per-thread cache.
void BM_scope_adopt(benchmark::State& state) {
  with_context w;
  const auto slot_value = detail::make_ref<detail::var_value<int>>(5);
  bench::alloc_scope allocs(state);
  for (auto _ : state) {
    scope s{context::current_view().with_span_slot(slot_value.get())};
    benchmark::DoNotOptimize(context::current_view().impl());
  }
}
BENCHMARK(BM_scope_adopt);

/// The same new context made the way it was before views could build contexts: an owning copy
/// of the current context first (two more read-modify-writes).
void BM_scope_adopt_from_copy(benchmark::State& state) {
  with_context w;
  const auto slot_value = detail::make_ref<detail::var_value<int>>(5);
  bench::alloc_scope allocs(state);
  for (auto _ : state) {
    scope s{context::current().with_span_slot(slot_value.get())};
    benchmark::DoNotOptimize(context::current_view().impl());
  }
}
BENCHMARK(BM_scope_adopt_from_copy);

void BM_context_var_set_reset(benchmark::State& state) {
  with_context w;
  bench::alloc_scope allocs(state);
  int i = 0;
  for (auto _ : state) {
    auto token = var.set(++i);
    benchmark::DoNotOptimize(var.reset(std::move(token)));
  }
}
BENCHMARK(BM_context_var_set_reset);

void BM_bind_context_call(benchmark::State& state) {
  with_context w;
  auto fn = bind_context([] { return var.get(); });
  bench::alloc_scope allocs(state);
  for (auto _ : state) benchmark::DoNotOptimize(fn());
}
BENCHMARK(BM_bind_context_call);

/// An awaitable that suspends and hands the handle to the benchmark loop.
struct park {
  std::coroutine_handle<>* slot;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) const noexcept { *slot = h; }
  void await_resume() const noexcept {}
};

coro::task<> parked_loop(std::coroutine_handle<>* slot, const bool* stop) {
  auto token = var.set(3);
  while (!*stop) {
    co_await park{slot};
    benchmark::DoNotOptimize(var.get());
  }
  (void)var.reset(std::move(token));
}

/// One resume + suspend of a task, including the context unit switch in and out.
void BM_task_resume(benchmark::State& state) {
  with_context w;
  std::coroutine_handle<> h;
  bool stop = false;
  exec::inline_executor now;
  auto jh = coro::spawn(now, parked_loop(&h, &stop));
  bench::alloc_scope allocs(state);
  for (auto _ : state) h.resume();
  stop = true;
  h.resume();
}
BENCHMARK(BM_task_resume);

/// The same resume + suspend with a plain coroutine and no context handling: the baseline that
/// BM_task_resume is compared with.
struct bare_coro {
  struct promise_type {
    bare_coro get_return_object() { return {std::coroutine_handle<promise_type>::from_promise(*this)}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept {}
  };
  std::coroutine_handle<promise_type> h;
};

bare_coro bare_loop(std::coroutine_handle<>* slot, const bool* stop) {
  while (!*stop) {
    co_await park{slot};
    benchmark::DoNotOptimize(var.get());
  }
}

void BM_task_resume_baseline_no_context(benchmark::State& state) {
  with_context w;
  std::coroutine_handle<> h;
  bool stop = false;
  auto c = bare_loop(&h, &stop);
  for (auto _ : state) h.resume();
  stop = true;
  h.resume();
  c.h.destroy();
}
BENCHMARK(BM_task_resume_baseline_no_context);

coro::task<int> child() {
  co_return var.get();
}

coro::task<long> spawn_await_loop(benchmark::State& state) {
  exec::inline_executor now;
  long sum = 0;
  for (auto _ : state) sum += co_await coro::spawn(now, child());
  co_return sum;
}

/// Spawning a task that carries the context (snapshot, own unit) and awaiting it.
void BM_spawn_await(benchmark::State& state) {
  with_context w;
  bench::alloc_scope allocs(state);
  benchmark::DoNotOptimize(coro::sync_wait(spawn_await_loop(state)));
}
BENCHMARK(BM_spawn_await);

coro::task<long> await_loop(benchmark::State& state) {
  long sum = 0;
  for (auto _ : state) sum += co_await child();
  co_return sum;
}

/// Awaiting a task directly (runs inline in the awaiting task's unit).
void BM_task_await_direct(benchmark::State& state) {
  with_context w;
  bench::alloc_scope allocs(state);
  benchmark::DoNotOptimize(coro::sync_wait(await_loop(state)));
}
BENCHMARK(BM_task_await_direct);

}  // namespace
