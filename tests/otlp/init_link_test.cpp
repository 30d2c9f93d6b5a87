// SPDX-License-Identifier: Apache-2.0
// Linking ctxflow::otlp_http is enough for OTEL_TRACES_EXPORTER=otlp in sdk::init: this program
// never calls ctxflow::exporters::otlp::register_exporter() nor names anything else of the
// library, so only the library's link interface brings the exporter in (R10).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>

#include "ctxflow/sdk/exporter_registry.hpp"
#include "ctxflow/sdk/init.hpp"
#include "ctxflow/trace/provider.hpp"
#include "ctxflow/testing/diagnostics_capture.hpp"
#include "ctxflow/trace/tracer.hpp"
#include "init_export.hpp"
#include "loopback_receiver.hpp"

namespace ctxflow::exporters::otlp {
namespace {

using namespace std::chrono_literals;
using ctxflow::exporters::otlp::testing::export_two_spans_through_init;
using ctxflow::exporters::otlp::testing::loopback_receiver;

TEST(OtlpInit, InitWithOtelTracesExporterOtlpSendsSpansWithoutARegistrationCall) {  // R10
  loopback_receiver rx;
  const std::string base = "http://127.0.0.1:" + std::to_string(rx.port());
  export_two_spans_through_init(base, "http/json");
  ASSERT_TRUE(rx.wait_for_requests(1, 5000ms));
  EXPECT_EQ(rx.span_count(), 2u);
  EXPECT_EQ(rx.requests()[0].target, "/v1/traces");
}

// R8.16: without ctxflow::otlp_grpc linked, protocol grpc is reported and OTLP/HTTP used.
TEST(OtlpInit, ProtocolGrpcWithoutTheGrpcExporterFallsBackToHttpWithAWarning) {
  ctxflow::testing::diagnostics_capture diags;
  ::setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc", 1);
  EXPECT_FALSE(sdk::has_exporter_factory("otlp/grpc"));
  EXPECT_NE(sdk::make_exporter("otlp"), nullptr);
  ::unsetenv("OTEL_EXPORTER_OTLP_PROTOCOL");
  EXPECT_EQ(diags.count("otlp.config.invalid"), 1u);
}

std::atomic<int> own_factory_calls{0};

TEST(OtlpInit, AFactoryTheApplicationRegisteredUnderOtlpIsNotReplaced) {
  ctxflow::testing::diagnostics_capture diags;
  sdk::register_exporter_factory("otlp", []() -> std::unique_ptr<sdk::span_exporter> {
    own_factory_calls.fetch_add(1);
    return nullptr;
  });
  EXPECT_TRUE(sdk::has_exporter_factory("otlp"));
  EXPECT_EQ(sdk::make_exporter("otlp"), nullptr);
  EXPECT_EQ(own_factory_calls.load(), 1);
  EXPECT_EQ(diags.count("sdk.exporter.factory_failed"), 1u);
}

}  // namespace
}  // namespace ctxflow::exporters::otlp
