// SPDX-License-Identifier: Apache-2.0
// The diagnostics channel: replaceable handler, rate limit, and a throwing handler.
#include "ctxflow/context/diagnostics.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <vector>

#include "ctxflow/testing/diagnostics_capture.hpp"

namespace ctxflow {
namespace {

TEST(Diagnostics, AReplacedHandlerReceivesReportsAndThePreviousComesBack) {
  std::vector<std::string> codes;
  auto previous = set_diagnostics_handler([&](const diagnostic& d) { codes.emplace_back(d.code); });
  report(severity::warning, "test.one", "first");
  reportf(severity::error, "test.two", "value %d", 2);
  set_diagnostics_handler(std::move(previous));
  ASSERT_EQ(codes.size(), 2u);
  EXPECT_EQ(codes[0], "test.one");
  EXPECT_EQ(codes[1], "test.two");
}

TEST(Diagnostics, ReportsBeyondTheRateLimitAreCountedNotDelivered) {
  std::atomic<int> delivered{0};
  auto previous = set_diagnostics_handler([&](const diagnostic&) { ++delivered; });
  set_diagnostics_rate_limit(5);
  const auto before = diagnostics_stats();
  for (int i = 0; i < 50; ++i) report(severity::warning, "test.flood", "flood");
  const auto after = diagnostics_stats();
  set_diagnostics_rate_limit(100);
  set_diagnostics_handler(std::move(previous));
  EXPECT_LE(delivered.load(), 6);  // 5 in the window, plus at most one suppression summary
  EXPECT_GE(after.suppressed - before.suppressed, 44u);
}

TEST(Diagnostics, AThrowingHandlerDoesNotEscapeIntoTheCaller) {
  auto previous = set_diagnostics_handler(
      [](const diagnostic&) { throw std::runtime_error("handler failed"); });
  EXPECT_NO_THROW(report(severity::warning, "test.throwing", "x"));
  set_diagnostics_handler(std::move(previous));
}

TEST(Diagnostics, LongFormattedMessagesAreTruncatedNotOverflowed) {
  testing::diagnostics_capture capture;
  std::string huge(4000, 'x');
  reportf(severity::warning, "test.long", "%s", huge.c_str());
  auto records = capture.records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_LT(records[0].message.size(), 512u);
}

}  // namespace
}  // namespace ctxflow
