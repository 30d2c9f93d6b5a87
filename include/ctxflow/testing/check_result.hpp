// SPDX-License-Identifier: Apache-2.0
// check_result: the outcome of a ctxflow::testing assertion (trace-tree checks, leak checks).
// A failed result carries a message meant for a person reading a test log; trace checks append
// the recorded trace tree to it. No test-framework dependency; see gtest.hpp for GoogleTest.
#pragma once

#include <ostream>
#include <string>
#include <utility>

namespace ctxflow::testing {

/// Passed, or failed with an explanation.
///
/// Example:
/// ```
/// auto r = recorder.tree().child_of("query", "handle");
/// if (!r) std::fputs(r.message.c_str(), stderr);
/// ```
struct check_result {
  bool passed = true;
  /// Empty when passed; otherwise what was expected, what was found, and context to debug it.
  std::string message;

  static check_result pass() { return {}; }
  static check_result fail(std::string why) { return {false, std::move(why)}; }

  explicit operator bool() const noexcept { return passed; }

  friend std::ostream& operator<<(std::ostream& os, const check_result& r) {
    return os << (r.passed ? std::string("passed") : r.message);
  }
};

}  // namespace ctxflow::testing
