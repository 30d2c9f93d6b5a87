// SPDX-License-Identifier: Apache-2.0
// C8: a raw std::thread starts empty; ctxflow::jthread carries the creator's snapshot.
#include "ctxflow/exec/jthread.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "ctxflow/context/context_var.hpp"

namespace ctxflow {
namespace {

context_var<int> value{"value", 0};

TEST(Threads, RawStdThreadStartsWithTheEmptyContext) {  // C8
  auto token = value.set(5);
  int seen = -1;
  bool empty = false;
  std::thread([&] {
    seen = value.get();
    empty = context::current().empty();
  }).join();
  EXPECT_EQ(seen, 0);
  EXPECT_TRUE(empty);
  (void)value.reset(std::move(token));
}

TEST(Threads, CtxflowJthreadCarriesTheCreatorsContext) {  // C8, C4
  auto token = value.set(5);
  int seen = -1;
  { ctxflow::jthread t([&] { seen = value.get(); }); }
  EXPECT_EQ(seen, 5);
  (void)value.reset(std::move(token));
}

TEST(Threads, JthreadPassesArgumentsAndStopToken) {
  auto token = value.set(2);
  int seen = -1;
  {
    ctxflow::jthread t([&](std::stop_token st, int add) {
      while (!st.stop_requested()) std::this_thread::yield();
      seen = value.get() + add;
    }, 40);
    t.request_stop();
  }
  EXPECT_EQ(seen, 42);
  (void)value.reset(std::move(token));
}

}  // namespace
}  // namespace ctxflow
