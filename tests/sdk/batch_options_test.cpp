// SPDX-License-Identifier: Apache-2.0
// batch_options from the OTEL_BSP_* environment variables (R10): values read, bad values
// reported by name and ignored.
#include "ctxflow/sdk/batch_options.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "ctxflow/testing/diagnostics_capture.hpp"
#include "sdk/test_exporter.hpp"

namespace ctxflow::sdk {
namespace {

using namespace std::chrono_literals;

TEST(BatchOptions, ReadsTheBspVariables) {  // R10
  test::env_guard a("OTEL_BSP_SCHEDULE_DELAY", "250");
  test::env_guard b("OTEL_BSP_EXPORT_TIMEOUT", "0");
  test::env_guard c("OTEL_BSP_MAX_QUEUE_SIZE", "100");
  test::env_guard d("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "10");
  const batch_options o = batch_options::from_environment();
  EXPECT_EQ(o.schedule_delay, 250ms);
  EXPECT_EQ(o.export_timeout, 0ms);
  EXPECT_EQ(o.max_queue_size, 100u);
  EXPECT_EQ(o.max_export_batch_size, 10u);
}

TEST(BatchOptions, BadValuesAreReportedByNameAndIgnored) {  // R10
  test::env_guard a("OTEL_BSP_SCHEDULE_DELAY", "-5");
  test::env_guard b("OTEL_BSP_MAX_QUEUE_SIZE", "0");
  test::env_guard c("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "lots");
  test::env_guard d("OTEL_BSP_EXPORT_TIMEOUT", "");  // empty means unset, no warning
  testing::diagnostics_capture cap;
  const batch_options o = batch_options::from_environment();
  EXPECT_EQ(o.schedule_delay, 5000ms);
  EXPECT_EQ(o.export_timeout, 30000ms);
  EXPECT_EQ(o.max_queue_size, 2048u);
  EXPECT_EQ(o.max_export_batch_size, 512u);
  ASSERT_EQ(cap.count("sdk.env.invalid"), 3u);
  const auto r = cap.records();
  EXPECT_NE(r[0].message.find("OTEL_BSP_SCHEDULE_DELAY"), std::string::npos);
  EXPECT_NE(r[1].message.find("OTEL_BSP_MAX_QUEUE_SIZE"), std::string::npos);
  EXPECT_NE(r[2].message.find("OTEL_BSP_MAX_EXPORT_BATCH_SIZE"), std::string::npos);
}

TEST(BatchOptions, AZeroBatchSizeIsReportedAndTheDefaultKept) {  // R10
  test::env_guard a("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "0");
  test::env_guard b("OTEL_BSP_EXPORT_TIMEOUT", "not-a-number");
  testing::diagnostics_capture cap;
  const batch_options o = batch_options::from_environment();
  EXPECT_EQ(o.max_export_batch_size, 512u);
  EXPECT_EQ(o.export_timeout, 30000ms);
  ASSERT_EQ(cap.count("sdk.env.invalid"), 2u);
  const auto r = cap.records();
  EXPECT_NE(r[0].message.find("OTEL_BSP_EXPORT_TIMEOUT"), std::string::npos);
  EXPECT_NE(r[1].message.find("OTEL_BSP_MAX_EXPORT_BATCH_SIZE"), std::string::npos);
  EXPECT_NE(r[1].message.find("greater than 0"), std::string::npos);
}

TEST(BatchOptions, WithoutTheVariablesTheDefaultsAreTheSpecs) {  // R7.20
  test::env_guard a("OTEL_BSP_SCHEDULE_DELAY", nullptr);
  test::env_guard b("OTEL_BSP_EXPORT_TIMEOUT", nullptr);
  test::env_guard c("OTEL_BSP_MAX_QUEUE_SIZE", nullptr);
  test::env_guard d("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", nullptr);
  testing::diagnostics_capture cap;
  const batch_options o = batch_options::from_environment();
  EXPECT_EQ(o.schedule_delay, 5000ms);
  EXPECT_EQ(o.export_timeout, 30000ms);
  EXPECT_EQ(o.max_queue_size, 2048u);
  EXPECT_EQ(o.max_export_batch_size, 512u);
  EXPECT_TRUE(cap.records().empty());
}

}  // namespace
}  // namespace ctxflow::sdk
