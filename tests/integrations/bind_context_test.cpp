// SPDX-License-Identifier: Apache-2.0
// integrations::asio::bind_context: callback handlers run with the context bound at the call (C4),
// privately (C6), restore the thread's context (C7), and keep every characteristic Asio
// associates with the wrapped handler (C9).
#include "ctxflow/integrations/asio/bind_context.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <thread>
#include <type_traits>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/version.hpp>
#if BOOST_VERSION >= 107700
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#endif

#include "ctxflow/context/context_var.hpp"

namespace ctxflow {
namespace {

namespace net = boost::asio;

context_var<int> value{"bind.value", 0};

TEST(AsioBindContext, HandlerRunsWithTheContextBoundAtTheCall) {  // C4
  net::io_context io;
  net::steady_timer timer(io, std::chrono::milliseconds(1));
  int seen = -1;
  {
    auto token = value.set(5);
    timer.async_wait(integrations::asio::bind_context([&](boost::system::error_code) {
      seen = value.get();
    }));
    (void)value.reset(std::move(token));
  }
  io.run();
  EXPECT_EQ(seen, 5);
}

TEST(AsioBindContext, ChangesStayInsideAndTheThreadsContextIsBack) {  // C6, C7
  net::io_context io;
  int second_saw = -1;
  {
    auto token = value.set(1);
    net::post(io, integrations::asio::bind_context([] {
      auto inner = value.set(2);  // left set: must stay in this call
    }));
    (void)value.reset(std::move(token));
  }
  net::post(io, [&] { second_saw = value.get(); });
  io.run();
  EXPECT_EQ(second_saw, 0);
  EXPECT_EQ(value.get(), 0);
}

TEST(AsioBindContext, ContextIsRestoredWhenTheHandlerThrows) {  // C7, R1.12
  auto token = value.set(3);
  auto h = integrations::asio::bind_context(value.with(context(), 4), [] {
    EXPECT_EQ(value.get(), 4);
    throw std::logic_error("handler failure");
  });
  EXPECT_THROW(std::move(h)(), std::logic_error);
  EXPECT_EQ(value.get(), 3);
  EXPECT_EQ(value.reset(std::move(token)), detach_result::ok);
}

TEST(AsioBindContext, KeepsTheAssociatedExecutor) {  // C9
  net::io_context io;
  auto strand = net::make_strand(io);
  auto bound = integrations::asio::bind_context(net::bind_executor(strand, [] {}));
  auto ex = net::get_associated_executor(bound, io.get_executor());
  static_assert(std::is_same_v<decltype(ex), decltype(strand)>);
  EXPECT_TRUE(ex == strand);

  // And an operation really completes on the strand.
  net::steady_timer timer(io, std::chrono::milliseconds(1));
  bool on_strand = false;
  int seen = -1;
  auto token = value.set(6);
  timer.async_wait(integrations::asio::bind_context(
      net::bind_executor(strand, [&](boost::system::error_code) {
        on_strand = strand.running_in_this_thread();
        seen = value.get();
      })));
  (void)value.reset(std::move(token));
  std::thread second([&] { io.run(); });
  io.run();
  second.join();
  EXPECT_TRUE(on_strand);
  EXPECT_EQ(seen, 6);
}

/// A handler with its own allocator (counts the allocations Asio makes through it).
struct counting_state {
  int allocations = 0;
};
template <class T>
struct counting_allocator {
  using value_type = T;
  counting_state* state;
  explicit counting_allocator(counting_state* s) noexcept : state(s) {}
  template <class U>
  counting_allocator(const counting_allocator<U>& o) noexcept : state(o.state) {}
  T* allocate(std::size_t n) {
    ++state->allocations;
    return std::allocator<T>().allocate(n);
  }
  void deallocate(T* p, std::size_t n) noexcept { std::allocator<T>().deallocate(p, n); }
  template <class U>
  bool operator==(const counting_allocator<U>& o) const noexcept {
    return state == o.state;
  }
};
struct handler_with_allocator {
  counting_state* state;
  bool* called;
  using allocator_type = counting_allocator<void>;
  allocator_type get_allocator() const noexcept { return allocator_type(state); }
  void operator()(boost::system::error_code) const { *called = true; }
};

TEST(AsioBindContext, KeepsTheAssociatedAllocator) {  // C9
  counting_state state;
  bool called = false;
  auto bound = integrations::asio::bind_context(handler_with_allocator{&state, &called});
  auto a = net::get_associated_allocator(bound);
  static_assert(std::is_same_v<decltype(a), counting_allocator<void>>);
  EXPECT_EQ(a.state, &state);

  net::io_context io;
  net::steady_timer timer(io, std::chrono::milliseconds(1));
  timer.async_wait(std::move(bound));
  io.run();
  EXPECT_TRUE(called);
  EXPECT_GT(state.allocations, 0);  // Asio allocated the operation through the handler's allocator
}

TEST(AsioBindContext, KeepsTheAssociatedCancellationSlot) {  // C9
#if BOOST_VERSION >= 107700
  net::cancellation_signal signal;
  auto bound = integrations::asio::bind_context(
      net::bind_cancellation_slot(signal.slot(), [](boost::system::error_code) {}));
  EXPECT_TRUE(net::get_associated_cancellation_slot(bound) == signal.slot());
#else
  GTEST_SKIP() << "Boost " << BOOST_LIB_VERSION
               << " has no per-operation cancellation (added in 1.77); nothing to keep";
#endif
}

// The former namespace stays for one release as a deprecated alias of the new one.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
TEST(AsioLegacyNamespace, OldNamespaceNamesTheSameFunctionsAndTypes) {
  auto old_handler = ctxflow::asio_integration::bind_context([] {});
  using old_type = decltype(old_handler);
  static_assert(std::is_same_v<old_type, ctxflow::integrations::asio::context_bound_handler<
                                             old_type::inner_handler_type>>);
  auto value_in = value.set(12);
  int seen = 0;
  ctxflow::asio_integration::bind_context([&] { seen = value.get(); })();
  EXPECT_EQ(seen, 12);
  (void)value.reset(std::move(value_in));
}
#pragma GCC diagnostic pop

#ifdef CTXFLOW_CONFIGURED_BOOST_VERSION
// The headers compiled against are those of the Boost that CMake found.
static_assert(BOOST_VERSION == CTXFLOW_CONFIGURED_BOOST_VERSION,
              "the Boost headers in use are not the ones find_package(Boost) found");
TEST(BoostHeaders, AreTheOnesCMakeFound) {
  std::printf("[ boost ] headers %s, BOOST_VERSION %d\n", BOOST_LIB_VERSION, BOOST_VERSION);
  EXPECT_EQ(BOOST_VERSION, CTXFLOW_CONFIGURED_BOOST_VERSION);
}
#endif

}  // namespace
}  // namespace ctxflow
