// SPDX-License-Identifier: Apache-2.0
// The diagnostics channel: replaceable handler, rate limit, and a throwing handler.
#include "ctxflow/context/diagnostics.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <chrono>
#include <ctime>
#include <mutex>
#include <string>
#include <thread>
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

TEST(Diagnostics, EveryReportFromSeveralThreadsIsEitherDeliveredOrCountedAsSuppressed) {
  std::atomic<std::uint64_t> delivered{0};
  auto previous = set_diagnostics_handler([&](const diagnostic& d) {
    if (d.code == "test.threads") ++delivered;
  });
  set_diagnostics_rate_limit(3);
  const auto before = diagnostics_stats();
  constexpr int threads = 4, per_thread = 5000;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([] {
      for (int i = 0; i < per_thread; ++i) report(severity::debug, "test.threads", "flood");
    });
  for (auto& t : pool) t.join();  // the exited threads' counts must survive them
  const auto after = diagnostics_stats();
  set_diagnostics_rate_limit(100);
  set_diagnostics_handler(std::move(previous));
  const std::uint64_t total = std::uint64_t{threads} * per_thread;
  const std::uint64_t suppressed = after.suppressed - before.suppressed;
  EXPECT_GE(suppressed, total - 3 * 8);  // a few windows at most while the threads ran
  EXPECT_EQ(delivered.load() + suppressed, total);
}

TEST(Diagnostics, TheSuppressedCountArrivesWithTheNextDeliveredReport) {
  std::mutex mu;
  std::vector<std::string> messages;
  auto previous = set_diagnostics_handler([&](const diagnostic& d) {
    std::lock_guard lock(mu);
    if (d.code == "diagnostics.suppressed") messages.emplace_back(d.message);
  });
  set_diagnostics_rate_limit(2);
  // The first report of a later window is delivered, preceded by the summary. A full window
  // lasts at most two seconds.
  auto next_window = [] {
    std::this_thread::sleep_for(std::chrono::milliseconds(2100));
    report(severity::debug, "test.summary", "after");
  };
  next_window();  // delivers the summary of what earlier tests left
  {
    std::lock_guard lock(mu);
    messages.clear();
  }
  for (int i = 0; i < 50; ++i) report(severity::debug, "test.summary", "flood");
  next_window();
  set_diagnostics_rate_limit(100);
  set_diagnostics_handler(std::move(previous));
  std::lock_guard lock(mu);
  ASSERT_EQ(messages.size(), 1u);
  const unsigned long count = std::stoul(messages[0]);
  EXPECT_GE(count, 48u);  // the flood but the reports the window still had room for
  EXPECT_LE(count, 50u);
}

TEST(Diagnostics, SuppressReportSaysWhetherAReportWouldBeDropped) {
  auto previous = set_diagnostics_handler([](const diagnostic&) {});
  set_diagnostics_rate_limit(1);  // also starts a fresh window
  EXPECT_FALSE(suppress_report());
  report(severity::debug, "test.check", "fills the window");
  report(severity::debug, "test.check", "suppressed under the lock; the flood path is armed");
  const auto before = diagnostics_stats();
  EXPECT_TRUE(suppress_report());
  const auto after = diagnostics_stats();
  set_diagnostics_rate_limit(100);
  set_diagnostics_handler(std::move(previous));
  EXPECT_EQ(after.suppressed - before.suppressed, 1u);  // counted as a suppressed report
}

TEST(Diagnostics, AFullWindowSuppressesForMoreThanASecondAndForTwoAtMost) {
  auto previous = set_diagnostics_handler([](const diagnostic&) {});
  set_diagnostics_rate_limit(1);
  // Any window an earlier report opened has ended, so the next report opens one.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  const auto start = std::chrono::steady_clock::now();
  const std::time_t opened_before = std::time(nullptr);
  report(severity::debug, "test.window", "opens and fills the window");
  const std::time_t opened_after = std::time(nullptr);
  report(severity::debug, "test.window", "suppressed under the lock; the flood path is armed");
  bool suppressing = true;
  while (suppressing && std::chrono::steady_clock::now() - start < std::chrono::seconds(4)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    suppressing = suppress_report();
  }
  const auto lasted = std::chrono::steady_clock::now() - start;
  const std::time_t ended = std::time(nullptr);
  set_diagnostics_rate_limit(100);
  set_diagnostics_handler(std::move(previous));
  EXPECT_FALSE(suppressing);
  // More than a second (less a little for the wall clock's slew against the steady clock)...
  EXPECT_GE(lasted, std::chrono::milliseconds(995));
  // ...and over once the wall clock enters the second after the window's first.
  EXPECT_LE(lasted, std::chrono::milliseconds(2100));
  EXPECT_GE(ended, opened_before + 1);
  EXPECT_LE(ended, opened_after + 2);
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
