// SPDX-License-Identifier: Apache-2.0
// context_var<T>: typed get/set/reset over the current context (C1-C3).
#include "ctxflow/context/context_var.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "ctxflow/testing/diagnostics_capture.hpp"

namespace ctxflow {
namespace {

context_var<int> request_id{"request_id", -1};
context_var<std::string> user{"user", "anonymous"};

TEST(ContextVar, GetReturnsTheDefaultWhenUnset) {
  EXPECT_EQ(request_id.get(), -1);
  EXPECT_FALSE(request_id.is_set());
  EXPECT_EQ(request_id.name(), "request_id");
}

TEST(ContextVar, SetIsVisibleUntilReset) {
  auto token = request_id.set(42);
  EXPECT_EQ(request_id.get(), 42);
  EXPECT_TRUE(request_id.is_set());
  EXPECT_EQ(request_id.reset(std::move(token)), detach_result::ok);
  EXPECT_EQ(request_id.get(), -1);
}

TEST(ContextVar, TwoVariablesDoNotInterfere) {
  auto t1 = request_id.set(1);
  auto t2 = user.set("alice");
  EXPECT_EQ(request_id.get(), 1);
  EXPECT_EQ(user.get(), "alice");
  EXPECT_EQ(user.reset(std::move(t2)), detach_result::ok);
  EXPECT_EQ(user.get(), "anonymous");
  EXPECT_EQ(request_id.get(), 1);
  EXPECT_EQ(request_id.reset(std::move(t1)), detach_result::ok);
}

TEST(ContextVar, WithBuildsAContextWithoutChangingTheCurrentOne) {
  context c = request_id.with(context::current(), 7);
  EXPECT_EQ(request_id.get(c), 7);
  EXPECT_EQ(request_id.get(), -1);
}

TEST(ContextVar, ValueSetOnOneThreadIsNotSeenOnAnother) {  // C2, C8
  auto token = request_id.set(5);
  int seen = 0;
  std::thread([&] { seen = request_id.get(); }).join();
  EXPECT_EQ(seen, -1);
  EXPECT_EQ(request_id.reset(std::move(token)), detach_result::ok);
}

TEST(ContextVar, ResetOutOfOrderRestoresTheValueFromBeforeThatSet) {  // C3
  testing::diagnostics_capture capture;
  auto t1 = request_id.set(1);
  auto t2 = request_id.set(2);
  EXPECT_EQ(request_id.reset(std::move(t1)), detach_result::out_of_order);
  EXPECT_EQ(request_id.get(), -1);
  EXPECT_EQ(request_id.reset(std::move(t2)), detach_result::unknown_token);
  EXPECT_EQ(capture.count("context.detach.out_of_order"), 1u);
  EXPECT_EQ(capture.count("context.detach.unknown_token"), 1u);
}

}  // namespace
}  // namespace ctxflow
