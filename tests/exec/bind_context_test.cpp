// SPDX-License-Identifier: Apache-2.0
// bind_context: C4 (snapshot at bind time), C6 (changes stay inside), C7 (restored, also on throw).
#include "ctxflow/exec/bind_context.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <thread>

#include "ctxflow/context/context_var.hpp"
#include "ctxflow/context/scope.hpp"

namespace ctxflow {
namespace {

context_var<int> value{"value", 0};

TEST(BindContext, CallableRunsWithTheContextCurrentWhenItWasBound) {  // C4
  auto token = value.set(7);
  auto fn = bind_context([] { return value.get(); });
  (void)value.reset(std::move(token));
  EXPECT_EQ(value.get(), 0);
  EXPECT_EQ(fn(), 7);
  int seen = 0;
  std::thread([&] { seen = fn(); }).join();
  EXPECT_EQ(seen, 7);
}

TEST(BindContext, SnapshotIsTakenAtBindTimeNotAtCallTime) {  // C4
  auto t1 = value.set(1);
  auto fn = bind_context([] { return value.get(); });
  auto t2 = value.set(2);
  EXPECT_EQ(fn(), 1);
  (void)value.reset(std::move(t2));
  (void)value.reset(std::move(t1));
}

TEST(BindContext, ExplicitContextIsUsed) {
  context c = value.with(context{}, 11);
  EXPECT_EQ(bind_context(c, [] { return value.get(); })(), 11);
}

TEST(BindContext, ChangesInsideTheCallDoNotReachTheCaller) {  // C6, C7
  auto fn = bind_context([] {
    auto leaked = value.set(99);  // deliberately never reset
    return value.get();
  });
  EXPECT_EQ(fn(), 99);
  EXPECT_EQ(value.get(), 0);
  EXPECT_EQ(attach_depth(), 0u);
}

TEST(BindContext, CallerContextIsRestoredWhenTheCallableThrows) {  // C7
  auto caller = value.set(5);
  auto fn = bind_context(value.with(context{}, 6), []() -> int {
    EXPECT_EQ(value.get(), 6);
    throw std::runtime_error("user error");
  });
  EXPECT_THROW(fn(), std::runtime_error);
  EXPECT_EQ(value.get(), 5);
  EXPECT_EQ(attach_depth(), 1u);
  (void)value.reset(std::move(caller));
}

TEST(BindContext, ArgumentsAndResultsPassThrough) {
  auto fn = bind_context([](int a, int b) { return a * b + value.get(); });
  EXPECT_EQ(fn(6, 7), 42);
}

}  // namespace
}  // namespace ctxflow
