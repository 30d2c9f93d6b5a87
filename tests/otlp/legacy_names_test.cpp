// SPDX-License-Identifier: Apache-2.0
// The names the OTLP exporters had before their namespace matched the folder (ctxflow::otlp, and
// the JSON-lines exporter's header and names under ctxflow/exporters/) still compile for one
// release and name the same entities; using them warns (deprecated), which this file silences.
#include "ctxflow/exporters/jsonl_exporter.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string_view>
#include <type_traits>

#include "ctxflow/exporters/otlp/json_encoder.hpp"
#include "ctxflow/exporters/otlp/response.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace {

static_assert(std::is_same_v<ctxflow::otlp::jsonl_exporter,
                             ctxflow::exporters::otlp::jsonl_exporter>);
static_assert(std::is_same_v<ctxflow::exporters::jsonl_exporter,
                             ctxflow::exporters::otlp::jsonl_exporter>);
static_assert(std::is_same_v<ctxflow::otlp::rpc_status, ctxflow::exporters::otlp::rpc_status>);

TEST(OtlpLegacyNames, FunctionsNamedThroughTheOldNamespaceAreTheNewOnes) {
  EXPECT_EQ(&ctxflow::otlp::encode_json, &ctxflow::exporters::otlp::encode_json);
  EXPECT_EQ(&ctxflow::otlp::parse_rpc_status_json,
            &ctxflow::exporters::otlp::parse_rpc_status_json);
  const auto status = ctxflow::otlp::parse_rpc_status_json(R"({"code":3,"message":"bad"})");
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->message, "bad");
}

TEST(OtlpLegacyNames, TheOldJsonlExporterNameWritesThroughTheNewClass) {
  ctxflow::exporters::jsonl_exporter exporter([](std::string_view) { return true; });
  EXPECT_TRUE(exporter.is_open());
  EXPECT_TRUE(exporter.shutdown(std::chrono::milliseconds(0)));
  EXPECT_FALSE(exporter.is_open());
}

}  // namespace

#pragma GCC diagnostic pop
