// SPDX-License-Identifier: Apache-2.0
// context_leak_checker: passes when attachments are balanced, names the attach site of a leaked
// attach, and reports an unchecked leak as a diagnostic (C7, R1.11).
#include "ctxflow/testing/context_leak_checker.hpp"

#include <gtest/gtest.h>

#include <string>

#include "ctxflow/context/context_var.hpp"
#include "ctxflow/context/scope.hpp"
#include "ctxflow/exec/bind_context.hpp"
#include "ctxflow/testing/diagnostics_capture.hpp"

namespace ctxflow::testing {
namespace {

context_var<int> level{"level", 0};

TEST(ContextLeakChecker, PassesWhenEveryAttachIsUndone) {
  context_leak_checker checker;
  {
    scope s{level.with(context::current(), 1)};
    EXPECT_TRUE(checker.leaked());
  }
  EXPECT_FALSE(checker.leaked());
  EXPECT_TRUE(checker.check());
}

TEST(ContextLeakChecker, DetectsALeakedAttachAndNamesItsSite) {
  context_leak_checker checker;
  const int line = __LINE__ + 1;
  context_token token = attach(level.with(context::current(), 5));
  const check_result r = checker.check();
  EXPECT_FALSE(r);
  EXPECT_NE(r.message.find("saw attach depth 0, now 1"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("a different context is current"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("attached at " + std::string(__FILE__) + ":" + std::to_string(line)),
            std::string::npos)
      << r.message;
  EXPECT_EQ(detach(std::move(token)), detach_result::ok);
  EXPECT_TRUE(checker.check());
}

TEST(ContextLeakChecker, DetectsAContextUnwoundBelowWhereItStarted) {
  context_token outer = attach(level.with(context::current(), 1));
  context_leak_checker checker;
  EXPECT_EQ(detach(std::move(outer)), detach_result::ok);
  const check_result r = checker.check();
  EXPECT_FALSE(r);
  EXPECT_NE(r.message.find("replaced by the empty context"), std::string::npos) << r.message;
}

TEST(ContextLeakChecker, ReportsAnUncheckedLeakWhenDestroyed) {
  diagnostics_capture diags;
  context_token token;
  {
    context_leak_checker checker;
    token = attach(level.with(context::current(), 2));
  }
  ASSERT_EQ(diags.count("testing.context_leak"), 1u);
  const auto rec = diags.records().back();
  EXPECT_EQ(rec.level, severity::error);
  EXPECT_EQ(rec.file, __FILE__);
  EXPECT_EQ(detach(std::move(token)), detach_result::ok);
}

TEST(ContextLeakChecker, StaysQuietWhenDestroyedAfterACheck) {
  diagnostics_capture diags;
  context_token token;
  {
    context_leak_checker checker;
    token = attach(level.with(context::current(), 2));
    EXPECT_FALSE(checker.check());
  }
  EXPECT_EQ(diags.count("testing.context_leak"), 0u);
  EXPECT_EQ(detach(std::move(token)), detach_result::ok);
}

TEST(ContextLeakChecker, AroundChecksACallable) {
  EXPECT_TRUE(context_leak_checker::around([] { scope s{level.with(context::current(), 3)}; }));
  context_token leaked;
  EXPECT_FALSE(
      context_leak_checker::around([&] { leaked = attach(level.with(context::current(), 3)); }));
  EXPECT_EQ(detach(std::move(leaked)), detach_result::ok);
}

TEST(ContextLeakChecker, OnThreadDetectsAThreadThatEndsWithAContextAttached) {  // C7, C8
  EXPECT_TRUE(context_leak_checker::on_thread([] {
    scope s{level.with(context::current(), 4)};
    EXPECT_EQ(level.get(), 4);
  }));
  const check_result r = context_leak_checker::on_thread([] {
    // Left attached on purpose: the token is dropped, the attachment stays. The empty context
    // is attached so that nothing is left allocated when the thread ends.
    (void)attach(context());
  });
  EXPECT_FALSE(r);
  EXPECT_NE(r.message.find("now 1"), std::string::npos) << r.message;
}

TEST(ContextLeakChecker, MeasuresTheRunningExecutionUnit) {
  // Inside a bound call (its own unit) a leak is seen, and the caller stays clean.
  context_leak_checker outer;
  check_result inner_result;
  auto job = bind_context(level.with(context::current(), 7), [&] {
    context_leak_checker inner;
    context_token t = attach(level.with(context::current(), 8));
    inner_result = inner.check();
    (void)detach(std::move(t));
  });
  job();
  EXPECT_FALSE(inner_result);
  EXPECT_TRUE(outer.check());
}

}  // namespace
}  // namespace ctxflow::testing
