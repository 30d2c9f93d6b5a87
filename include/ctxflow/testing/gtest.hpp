// SPDX-License-Identifier: Apache-2.0
// GoogleTest adapters for ctxflow::testing: turn check_result into ::testing::AssertionResult
// and give the EXPECT_/ASSERT_ macros for trace checks and context leaks. The only ctxflow
// header that includes GoogleTest; link GTest::gtest yourself.
//
// The macros are CTXFLOW_EXPECT_TRACE, CTXFLOW_ASSERT_TRACE, CTXFLOW_EXPECT_NO_CONTEXT_LEAK and
// CTXFLOW_ASSERT_NO_CONTEXT_LEAK, plus the short names without `CTXFLOW_` unless
// CTXFLOW_TESTING_NO_SHORT_MACROS is defined before the include (or a short name is taken).
#pragma once

#include <gtest/gtest.h>

#include "ctxflow/testing/check_result.hpp"
#include "ctxflow/testing/context_leak_checker.hpp"

namespace ctxflow::testing {

/// `result` as a GoogleTest assertion result; a failure carries the check's message (for trace
/// checks that includes the recorded tree).
inline ::testing::AssertionResult to_assertion(const check_result& result) {
  if (result.passed) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << result.message;
}

}  // namespace ctxflow::testing

/// Expects a check_result to pass: `CTXFLOW_EXPECT_TRACE(tree.child_of("db", "request"));`
#define CTXFLOW_EXPECT_TRACE(...) EXPECT_TRUE(::ctxflow::testing::to_assertion(__VA_ARGS__))
/// As CTXFLOW_EXPECT_TRACE, but a failure ends the test.
#define CTXFLOW_ASSERT_TRACE(...) ASSERT_TRUE(::ctxflow::testing::to_assertion(__VA_ARGS__))
/// Expects that a context_leak_checker sees no leaked attachment.
#define CTXFLOW_EXPECT_NO_CONTEXT_LEAK(checker) \
  EXPECT_TRUE(::ctxflow::testing::to_assertion((checker).check()))
/// As CTXFLOW_EXPECT_NO_CONTEXT_LEAK, but a failure ends the test.
#define CTXFLOW_ASSERT_NO_CONTEXT_LEAK(checker) \
  ASSERT_TRUE(::ctxflow::testing::to_assertion((checker).check()))

#if !defined(CTXFLOW_TESTING_NO_SHORT_MACROS)
#if !defined(EXPECT_TRACE)
#define EXPECT_TRACE(...) CTXFLOW_EXPECT_TRACE(__VA_ARGS__)
#endif
#if !defined(ASSERT_TRACE)
#define ASSERT_TRACE(...) CTXFLOW_ASSERT_TRACE(__VA_ARGS__)
#endif
#if !defined(EXPECT_NO_CONTEXT_LEAK)
#define EXPECT_NO_CONTEXT_LEAK(checker) CTXFLOW_EXPECT_NO_CONTEXT_LEAK(checker)
#endif
#if !defined(ASSERT_NO_CONTEXT_LEAK)
#define ASSERT_NO_CONTEXT_LEAK(checker) CTXFLOW_ASSERT_NO_CONTEXT_LEAK(checker)
#endif
#endif
