// SPDX-License-Identifier: Apache-2.0
// integrations::asio::co_spawn and context_executor: the context rules for boost::asio::awaitable
// coroutines (C4-C7 through C9) on single- and multi-threaded io_contexts, with real timers and
// loopback sockets.
#include "ctxflow/integrations/asio/co_spawn.hpp"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/execution.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/require.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "ctxflow/context/context_var.hpp"
#include "ctxflow/testing/span_recorder.hpp"
#include "ctxflow/trace/span.hpp"
#include "integrations/loopback_echo.hpp"

namespace ctxflow {
namespace {

namespace net = boost::asio;
using net::awaitable;
using net::use_awaitable;

context_var<int> value{"asio.value", 0};

awaitable<void> sleep_for(std::chrono::milliseconds d) {
  net::steady_timer t(co_await net::this_coro::executor, d);
  co_await t.async_wait(use_awaitable);
}

// C5: a span made current inside the coroutine stays current across timers and socket I/O.
// The tracer is taken by value: the caller passes a temporary, and the coroutine first runs
// inside io.run(), after that temporary is gone.
awaitable<void> span_across_io(trace::tracer tracer, std::uint16_t port,
                               std::vector<bool>& checks) {
  auto s = tracer.start_as_current_span("work");
  const trace::span_id id = s->context().span;
  auto is_current = [&] { return trace::current_span().context().span == id; };
  checks.push_back(is_current());
  co_await sleep_for(std::chrono::milliseconds(1));
  checks.push_back(is_current());
  net::ip::tcp::socket socket(co_await net::this_coro::executor);
  co_await socket.async_connect({net::ip::make_address("127.0.0.1"), port}, use_awaitable);
  checks.push_back(is_current());
  const std::string ping = "ping";
  co_await net::async_write(socket, net::buffer(ping), use_awaitable);
  checks.push_back(is_current());
  std::array<char, 4> back{};
  co_await net::async_read(socket, net::buffer(back), use_awaitable);
  checks.push_back(is_current() && std::string(back.data(), 4) == "ping");
}

TEST(AsioCoSpawn, SpanMadeCurrentInsideSurvivesTimerAndSocketAwaits) {  // C5, C9
  testing::span_recorder recorder;
  net::io_context io;
  test::loopback_echo echo(io);
  std::vector<bool> checks;
  integrations::asio::co_spawn(io, span_across_io(recorder.tracer(), echo.port(), checks),
                             [&](std::exception_ptr) { echo.stop(); });
  io.run();
  ASSERT_EQ(checks.size(), 5u);
  for (std::size_t i = 0; i < checks.size(); ++i) EXPECT_TRUE(checks[i]) << "check " << i;
  EXPECT_EQ(recorder.size(), 1u);
}

awaitable<void> read_value(int& seen) {
  seen = value.get();
  co_return;
}

TEST(AsioCoSpawn, CoroutineStartsFromTheSpawnersContextAtSpawnTime) {  // C4
  net::io_context io;
  int seen = -1;
  {
    auto token = value.set(7);
    integrations::asio::co_spawn(io, read_value(seen), net::detached);
    (void)value.reset(std::move(token));  // changing it after the spawn does not matter
  }
  auto later = value.set(8);
  io.run();
  (void)value.reset(std::move(later));
  EXPECT_EQ(seen, 7);
}

awaitable<void> ping_pong(int id, int rounds, std::vector<int>& log, int& mismatches) {
  auto token = value.set(id);
  for (int i = 0; i < rounds; ++i) {
    log.push_back(id);
    co_await sleep_for(std::chrono::milliseconds(1));
    if (value.get() != id) ++mismatches;
  }
  (void)value.reset(std::move(token));
}

TEST(AsioCoSpawn, TwoCoroutinesInterleavedOnOneThreadNeverSeeEachOthersContext) {  // C5, C6
  net::io_context io;
  std::vector<int> log;
  int mismatches = 0;
  integrations::asio::co_spawn(io, ping_pong(1, 20, log, mismatches), net::detached);
  integrations::asio::co_spawn(io, ping_pong(2, 20, log, mismatches), net::detached);
  io.run();
  EXPECT_EQ(mismatches, 0);
  // They really interleaved: the log switches between the two many times.
  int switches = 0;
  for (std::size_t i = 1; i < log.size(); ++i) switches += log[i] != log[i - 1];
  EXPECT_GT(switches, 5);
  EXPECT_EQ(value.get(), 0);  // nothing reached the spawner (C6)
}

awaitable<void> set_and_leave(int v) {
  auto token = value.set(v);  // left set on purpose: must stay inside the coroutine
  co_await sleep_for(std::chrono::milliseconds(1));
}

TEST(AsioCoSpawn, TheRunningThreadGetsItsOwnContextBackAfterEveryHandler) {  // C7
  net::io_context io;
  std::vector<int> plain_handler_saw;
  for (int i = 1; i <= 3; ++i)
    integrations::asio::co_spawn(io, set_and_leave(100 + i), net::detached);
  // Plain handlers queued between the coroutines' steps run on the same thread.
  for (int i = 0; i < 5; ++i)
    net::post(io, [&] { plain_handler_saw.push_back(value.get()); });
  auto outer = value.set(-5);  // the io thread's own context while it runs the loop
  io.run();
  EXPECT_EQ(value.get(), -5);
  EXPECT_EQ(value.reset(std::move(outer)), detach_result::ok);
  ASSERT_EQ(plain_handler_saw.size(), 5u);
  for (int v : plain_handler_saw) EXPECT_EQ(v, -5);
}

// Waits (timers) and yields (posts) until it has done `rounds` of them and some coroutine has
// been seen resuming on a different thread, or a bound is reached: a fixed number of rounds
// could all run on one thread when the machine is busy and the second thread is slow to start.
awaitable<void> hop_and_check(int id, int rounds, std::atomic<int>& mismatches,
                              std::atomic<int>& thread_changes) {
  auto token = value.set(id);
  const auto ex = co_await net::this_coro::executor;
  std::thread::id last = std::this_thread::get_id();
  constexpr int bound = 5000;
  for (int i = 0; i < bound && (i < rounds || thread_changes.load() == 0); ++i) {
    if (i % 2 == 0)
      co_await sleep_for(std::chrono::milliseconds(1));
    else
      co_await net::post(ex, use_awaitable);
    if (value.get() != id) mismatches.fetch_add(1);
    if (std::this_thread::get_id() != last) {
      thread_changes.fetch_add(1);
      last = std::this_thread::get_id();
    }
  }
  (void)value.reset(std::move(token));
}

TEST(AsioCoSpawn, CoroutineResumedOnAnotherThreadStillSeesItsOwnContext) {  // C5 (threads)
  net::io_context io;
  std::atomic<int> mismatches{0};
  std::atomic<int> thread_changes{0};
  // Both threads are inside run() before any coroutine starts: each runs one of these
  // handlers, and neither handler returns before the other has begun.
  std::atomic<int> arrived{0};
  for (int i = 0; i < 2; ++i)
    net::post(io, [&arrived] {
      arrived.fetch_add(1);
      while (arrived.load() < 2) std::this_thread::yield();
    });
  for (int id = 1; id <= 40; ++id)
    integrations::asio::co_spawn(io, hop_and_check(id, 10, mismatches, thread_changes), net::detached);
  std::thread second([&] { io.run(); });
  io.run();
  second.join();
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_GT(thread_changes.load(), 0) << "no coroutine ever resumed on the other thread";
  EXPECT_EQ(value.get(), 0);
}

awaitable<int> fail_after_a_wait() {
  auto token = value.set(3);
  co_await sleep_for(std::chrono::milliseconds(1));
  throw std::runtime_error("boom");
}

TEST(AsioCoSpawn, ExceptionsReachTheCompletionHandlerUnchanged) {  // R1.12, C7
  net::io_context io;
  std::string what;
  int value_in_handler = -1;
  integrations::asio::co_spawn(io, fail_after_a_wait(), [&](std::exception_ptr e, int) {
    value_in_handler = value.get();
    try {
      if (e) std::rethrow_exception(e);
    } catch (const std::runtime_error& ex) {
      what = ex.what();
    }
  });
  io.run();
  EXPECT_EQ(what, "boom");
  EXPECT_EQ(value_in_handler, 3);  // the completion runs on the coroutine's executor
  EXPECT_EQ(value.get(), 0);
}

awaitable<void> child(int& child_saw_at_start, int& child_saw_after) {
  child_saw_at_start = value.get();
  auto token = value.set(50);  // left set: must not reach the parent
  co_await sleep_for(std::chrono::milliseconds(2));
  child_saw_after = value.get();
}

awaitable<void> parent(int& child_start, int& child_after, int& parent_after) {
  auto token = value.set(10);
  integrations::asio::co_spawn(co_await net::this_coro::executor, child(child_start, child_after), net::detached);
  co_await sleep_for(std::chrono::milliseconds(5));
  parent_after = value.get();
  (void)value.reset(std::move(token));
}

TEST(AsioCoSpawn, ACoroutineSpawnedFromACoroutineGetsACellOfItsOwn) {  // C4, C6
  net::io_context io;
  int child_start = -1, child_after = -1, parent_after = -1;
  integrations::asio::co_spawn(io, parent(child_start, child_after, parent_after), net::detached);
  io.run();
  EXPECT_EQ(child_start, 10);
  EXPECT_EQ(child_after, 50);
  EXPECT_EQ(parent_after, 10);
}

awaitable<void> on_strand(int id, int& mismatches) {
  auto token = value.set(id);
  for (int i = 0; i < 5; ++i) {
    co_await sleep_for(std::chrono::milliseconds(1));
    if (value.get() != id) ++mismatches;
  }
  (void)value.reset(std::move(token));
}

TEST(AsioCoSpawn, WorksOnAStrandAndWithAnExplicitStartContext) {  // C4, C9
  net::io_context io;
  int mismatches = 0;
  auto strand = net::make_strand(io);
  integrations::asio::co_spawn(strand, on_strand(1, mismatches), net::detached);
  int seen = -1;
  auto start = value.with(context(), 42);
  integrations::asio::co_spawn(io.get_executor(), start, read_value(seen), net::detached);
  std::thread second([&] { io.run(); });
  io.run();
  second.join();
  EXPECT_EQ(mismatches, 0);
  EXPECT_EQ(seen, 42);
}

awaitable<void> count_off_strand(net::strand<net::any_io_executor> strand, int& off) {
  net::steady_timer timer(co_await net::this_coro::executor);
  for (int i = 0; i < 50; ++i) {
    if (!strand.running_in_this_thread()) ++off;
    timer.expires_after(std::chrono::microseconds(50));
    co_await timer.async_wait(use_awaitable);
  }
  if (!strand.running_in_this_thread()) ++off;
}

// An any_io_executor holding a strand is not a context_executor: the coroutine keeps the strand
// (Boost 1.74's any_executor::target<T>() casts without checking the type).
TEST(AsioCoSpawn, AStrandInsideAnAnyIoExecutorStaysTheCoroutinesExecutor) {  // C9
  net::io_context io;
  auto strand = net::make_strand(net::any_io_executor(io.get_executor()));
  const net::any_io_executor any = strand;
  EXPECT_TRUE(integrations::asio::unwrap_executor(any) == any);
  std::array<int, 4> off{};
  for (int& o : off) integrations::asio::co_spawn(any, count_off_strand(strand, o), net::detached);
  std::thread second([&] { io.run(); });
  io.run();
  second.join();
  EXPECT_EQ(off, (std::array<int, 4>{}));
}

TEST(AsioCoSpawn, WrappedExecutorForwardsPropertiesAndComparesByCell) {  // C9
  net::io_context io;
  integrations::asio::context_executor<net::io_context::executor_type> a(io.get_executor());
  auto b = a;
  integrations::asio::context_executor<net::io_context::executor_type> c(io.get_executor());
  EXPECT_TRUE(a == b);
  EXPECT_FALSE(a == c);
  EXPECT_EQ(&net::query(a, net::execution::context), &io);
  auto never = net::require(a, net::execution::blocking.never);
  EXPECT_EQ(net::query(never, net::execution::blocking), net::execution::blocking.never);
  EXPECT_TRUE(never.cell() == a.cell());
  net::any_io_executor any = a;
  EXPECT_NE(any.target<decltype(a)>(), nullptr);
  EXPECT_EQ(integrations::asio::unwrap_executor(any).target<net::io_context::executor_type>() != nullptr,
            true);
  static_assert(net::execution::is_executor<decltype(a)>::value);
  static_assert(net::is_executor<decltype(a)>::value);
}

// any_io_executor keeps an executor of at most two pointers inline; a bigger one is allocated
// on every copy, and a coroutine's executor is copied several times per resumption.
template <class E>
constexpr bool fits_any_io_executor_inline = sizeof(E) <= 2 * sizeof(void*) &&
                                            alignof(E) <= alignof(void*) &&
                                            std::is_nothrow_copy_constructible_v<E>;

TEST(AsioCoSpawn, TheWrapperOfAnIoContextExecutorFitsInsideAnAnyIoExecutor) {  // C9
  using io_ex = net::io_context::executor_type;
  using tracked_ex = std::decay_t<decltype(net::prefer(
      std::declval<io_ex>(), net::execution::outstanding_work.tracked))>;
  static_assert(fits_any_io_executor_inline<integrations::asio::context_executor<io_ex>>);
  static_assert(fits_any_io_executor_inline<integrations::asio::context_executor<tracked_ex>>);

  net::io_context io;
  integrations::asio::context_executor<io_ex> a(io.get_executor());
  auto never = net::require(a, net::execution::blocking.never);
  auto cont = net::prefer(never, net::execution::relationship.continuation);
  EXPECT_EQ(net::query(cont, net::execution::blocking), net::execution::blocking.never);
  EXPECT_EQ(net::query(cont, net::execution::relationship),
            net::execution::relationship.continuation);
  EXPECT_EQ(&net::query(cont, net::execution::context), &io);
  EXPECT_EQ(net::query(a, net::execution::blocking), net::execution::blocking.possibly);
  EXPECT_TRUE(cont.cell() == a.cell());
  EXPECT_FALSE(cont == never);
  EXPECT_TRUE(net::require(cont, net::execution::blocking.never) == cont);
  EXPECT_TRUE(cont.get_inner_executor() ==
              net::prefer(net::require(io.get_executor(), net::execution::blocking.never),
                          net::execution::relationship.continuation));
  EXPECT_EQ(net::query(a, net::execution::outstanding_work),
            net::execution::outstanding_work.untracked);
}

TEST(AsioCoSpawn, ATrackedWrapperKeepsTheIoContextRunningUntilItIsDestroyed) {  // C9
  net::io_context io;
  integrations::asio::context_executor<net::io_context::executor_type> a(io.get_executor());
  std::optional<decltype(net::prefer(a, net::execution::outstanding_work.tracked))> work;
  work.emplace(net::prefer(a, net::execution::outstanding_work.tracked));
  EXPECT_EQ(net::query(*work, net::execution::outstanding_work),
            net::execution::outstanding_work.tracked);
  auto copy = *work;  // a copy counts as work of its own
  auto moved = std::move(copy);
  std::vector<int> seen;
  net::post(a, [&] {
    seen.push_back(1);
    work.reset();
    net::post(a, [&, m = std::move(moved)]() mutable {
      seen.push_back(2);
      auto gone = std::move(m);  // the last work: run() returns once the queue is empty
    });
  });
  io.run();  // would block forever if the wrapper's work were never released
  EXPECT_EQ(seen, (std::vector<int>{1, 2}));
  EXPECT_TRUE(io.stopped());
}

TEST(AsioCoSpawn, FunctionsPostedThroughTheWrapperRunInItsCell) {  // C5, C7
  net::io_context io;
  integrations::asio::context_executor<net::io_context::executor_type> ex(io.get_executor(),
                                                                         value.with(context(), 9));
  std::vector<int> seen;
  net::post(ex, [&] {
    seen.push_back(value.get());
    auto t = value.set(11);  // stays in the cell for the next function
  });
  net::post(ex, [&] { seen.push_back(value.get()); });
  net::post(io, [&] { seen.push_back(value.get()); });  // not wrapped: the thread's own
  io.run();
  EXPECT_EQ(seen, (std::vector<int>{9, 11, 0}));
  EXPECT_EQ(value.get(), 0);
}

// Functions handed to a coroutine's executor from inside the coroutine with blocking.possibly:
// the io_context runs them at once, on this thread, inside the coroutine's unit (C5). One of
// them sets the variable and resets it; another is queued with blocking.never and runs later.
awaitable<void> execute_from_inside(std::vector<std::string>& log) {
  auto token = value.set(3);
  const auto ex = co_await net::this_coro::executor;
  const auto possibly = net::prefer(ex, net::execution::blocking.possibly);
  net::execution::execute(possibly,
                          [&] { log.push_back("inline " + std::to_string(value.get())); });
  log.push_back("after inline");
  net::execution::execute(possibly, [&] {
    auto inner = value.set(4);
    net::execution::execute(possibly,
                            [&] { log.push_back("nested " + std::to_string(value.get())); });
    (void)value.reset(std::move(inner));
  });
  net::execution::execute(net::require(ex, net::execution::blocking.never),
                          [&] { log.push_back("queued " + std::to_string(value.get())); });
  log.push_back("after queued " + std::to_string(value.get()));
  co_await sleep_for(std::chrono::milliseconds(1));
  (void)value.reset(std::move(token));
}

TEST(AsioCoSpawn, AFunctionExecutedFromInsideTheCoroutineRunsAtOnceInItsContext) {  // C5, C7
  net::io_context io;
  std::vector<std::string> log;
  integrations::asio::co_spawn(io, execute_from_inside(log), net::detached);
  io.run();
  EXPECT_EQ(log, (std::vector<std::string>{"inline 3", "after inline", "nested 4", "after queued 3",
                                            "queued 3"}));
  EXPECT_EQ(value.get(), 0);
}

// Coroutine A, running, hands a function to coroutine B's executor with blocking.possibly. The
// io_context runs it at once on this thread, but in B's context, not in A's, and A's context is
// back afterwards (C6, C7).
awaitable<void> wait_for_executor(std::optional<net::any_io_executor>& out, int v,
                                  std::atomic<bool>& done) {
  auto token = value.set(v);
  out = co_await net::this_coro::executor;
  while (!done) co_await sleep_for(std::chrono::milliseconds(1));
  (void)value.reset(std::move(token));
}

awaitable<void> execute_on_other(std::optional<net::any_io_executor>& other,
                                 std::vector<int>& seen, std::atomic<bool>& done) {
  auto token = value.set(1);
  while (!other) co_await sleep_for(std::chrono::milliseconds(1));
  net::execution::execute(net::prefer(*other, net::execution::blocking.possibly),
                          [&] { seen.push_back(value.get()); });
  seen.push_back(value.get());
  done = true;
  (void)value.reset(std::move(token));
}

TEST(AsioCoSpawn, AFunctionExecutedOnAnotherCoroutinesExecutorRunsInThatCoroutinesContext) {
  net::io_context io;
  std::optional<net::any_io_executor> other;
  std::vector<int> seen;
  std::atomic<bool> done{false};
  integrations::asio::co_spawn(io, wait_for_executor(other, 2, done), net::detached);
  integrations::asio::co_spawn(io, execute_on_other(other, seen, done), net::detached);
  io.run();
  EXPECT_EQ(seen, (std::vector<int>{2, 1}));
  EXPECT_EQ(value.get(), 0);
}

// Copies of a coroutine's executor handed to other threads, which drop them while the piece of
// the coroutine that made them still runs: the cell's count must not reach zero early.
awaitable<void> hand_out_executor_copies(int copies, std::vector<int>& seen) {
  auto token = value.set(5);
  auto ex = co_await net::this_coro::executor;
  {
    std::vector<std::thread> threads;
    for (int i = 0; i < copies; ++i) threads.emplace_back([c = ex] { (void)c; });
    for (auto& t : threads) t.join();
  }
  seen.push_back(value.get());
  co_await sleep_for(std::chrono::milliseconds(1));
  seen.push_back(value.get());
  (void)value.reset(std::move(token));
}

TEST(AsioCoSpawn, ExecutorCopiesDroppedOnOtherThreadsWhileTheCoroutineRunsKeepItsCellAlive) {
  net::io_context io;
  std::vector<int> seen;
  integrations::asio::co_spawn(io, hand_out_executor_copies(16, seen), net::detached);
  io.run();
  EXPECT_EQ(seen, (std::vector<int>{5, 5}));
}

}  // namespace
}  // namespace ctxflow
