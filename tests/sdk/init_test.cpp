// SPDX-License-Identifier: Apache-2.0
// sdk::init from options and the environment (R10), the exporter registry, the global
// propagator (R5.7) and continuing a parent process's trace (C10).
#include "ctxflow/sdk/init.hpp"

#include <gtest/gtest.h>

#include "ctxflow/propagation/global.hpp"
#include "ctxflow/sdk/exporter_registry.hpp"
#include "ctxflow/sdk/resource.hpp"
#include "ctxflow/testing/diagnostics_capture.hpp"
#include "ctxflow/trace/provider.hpp"
#include "sdk/test_exporter.hpp"

namespace ctxflow::sdk {
namespace {

using namespace std::chrono_literals;

std::shared_ptr<test::recorded> registered_recorder() {
  static auto rec = [] {
    auto r = std::make_shared<test::recorded>();
    register_exporter_factory("test-recorder",
                              [r] { return std::make_unique<test::recording_exporter>(r); });
    return r;
  }();
  return rec;
}

// Clears the OTEL_* variables init reads, so the machine's environment cannot leak in.
struct clean_env {
  test::env_guard a{"OTEL_SDK_DISABLED", nullptr}, b{"OTEL_TRACES_EXPORTER", nullptr},
      c{"OTEL_SERVICE_NAME", nullptr}, d{"OTEL_RESOURCE_ATTRIBUTES", nullptr},
      e{"OTEL_TRACES_SAMPLER", nullptr}, f{"OTEL_PROPAGATORS", nullptr},
      g{"TRACEPARENT", nullptr}, h{"TRACESTATE", nullptr}, i{"BAGGAGE", nullptr};
};

TEST(Init, ExportsThroughARegisteredExporterNamedInTheEnvironment) {  // R10
  clean_env env;
  auto rec = registered_recorder();
  rec->spans.clear();
  test::env_guard x("OTEL_TRACES_EXPORTER", "Test-Recorder");
  test::env_guard s("OTEL_SERVICE_NAME", "checkout");
  {
    init_guard g = init();
    ASSERT_NE(g.provider(), nullptr);
    trace::get_tracer("app").start_span("work").end();
  }  // the guard flushes and shuts down
  const auto spans = rec->snapshot();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(find_string_attribute(*spans[0].resource_ptr, "service.name"), "checkout");
  // The no-op provider is back.
  EXPECT_FALSE(trace::get_tracer("app").start_span("after").is_recording());
}

TEST(Init, ExplicitOptionsWinOverTheEnvironment) {  // R10 code-level equivalents
  clean_env env;
  test::env_guard s("OTEL_SERVICE_NAME", "from-env");
  test::env_guard x("OTEL_TRACES_EXPORTER", "none");
  auto rec = std::make_shared<test::recorded>();
  init_options o;
  o.service_name = "from-code";
  o.exporters.push_back(std::make_unique<test::recording_exporter>(rec));
  o.simple = true;
  o.sampler_ptr = make_always_on_sampler();
  init_guard g = init(std::move(o));
  trace::get_tracer("app").start_span("work").end();
  ASSERT_EQ(rec->size(), 1u);
  EXPECT_EQ(find_string_attribute(*rec->snapshot()[0].resource_ptr, "service.name"), "from-code");
  EXPECT_EQ(g.provider()->get_sampler().description(), "AlwaysOnSampler");
}

TEST(Init, AnUnknownExporterIsReportedByVariableName) {  // R10 enums
  clean_env env;
  test::env_guard x("OTEL_TRACES_EXPORTER", "zipkin");
  testing::diagnostics_capture cap;
  init_guard g = init();
  bool named = false;
  for (const auto& r : cap.records())
    named = named || (r.code == "sdk.env.invalid" &&
                      r.message.find("OTEL_TRACES_EXPORTER") != std::string::npos &&
                      r.message.find("zipkin") != std::string::npos);
  EXPECT_TRUE(named);
  ASSERT_NE(g.provider(), nullptr);
}

TEST(Init, NoneInstallsAProviderWithoutProcessors) {  // R10
  clean_env env;
  test::env_guard x("OTEL_TRACES_EXPORTER", "none");
  init_guard g = init();
  ASSERT_NE(g.provider(), nullptr);
  EXPECT_FALSE(trace::get_tracer("app").enabled());  // R7.25
}

TEST(Init, SdkDisabledInstallsNoProviderButStillThePropagator) {  // R10, R5.7
  clean_env env;
  test::env_guard x("OTEL_SDK_DISABLED", "TRUE");
  test::env_guard p("OTEL_PROPAGATORS", "baggage");
  init_guard g = init();
  EXPECT_EQ(g.provider(), nullptr);
  EXPECT_FALSE(trace::get_tracer("app").start_span("x").is_recording());
  const auto fields = propagation::global_propagator()->fields();
  ASSERT_EQ(fields.size(), 1u);
  EXPECT_EQ(fields[0], "baggage");
  propagation::set_global_propagator(nullptr);
}

TEST(Init, BadBooleanIsReportedAndTreatedAsFalse) {  // R10 booleans
  clean_env env;
  test::env_guard x("OTEL_SDK_DISABLED", "yes");
  test::env_guard e("OTEL_TRACES_EXPORTER", "none");
  testing::diagnostics_capture cap;
  init_guard g = init();
  EXPECT_NE(g.provider(), nullptr);
  bool named = false;
  for (const auto& r : cap.records())
    named = named || r.message.find("OTEL_SDK_DISABLED") != std::string::npos;
  EXPECT_TRUE(named);
}

TEST(Init, AChildProcessContinuesTheTraceFromTraceparent) {  // C10, R6.4
  clean_env env;
  test::env_guard tp("TRACEPARENT", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  test::env_guard x("OTEL_TRACES_EXPORTER", "none");
  {
    init_guard g = init();
    EXPECT_FALSE(g.parent_context().empty());
    const trace::span_context parent = trace::span_context_from(context::current());
    EXPECT_TRUE(parent.remote);
    EXPECT_EQ(parent.trace, trace::trace_id::from_hex("4bf92f3577b34da6a3ce929d0e0e4736"));
    auto s = trace::get_tracer("child").start_span("work");
    EXPECT_EQ(s.context().trace, parent.trace);
    EXPECT_TRUE(s.context().sampled());
    s.end();
  }
  EXPECT_TRUE(context::current().empty());  // detached with the guard
  propagation::set_global_propagator(nullptr);
}

TEST(ExporterRegistry, NamesAreCaseInsensitiveAndFactoriesThatThrowAreReported) {
  register_exporter_factory("Thrower", []() -> std::unique_ptr<span_exporter> {
    throw std::runtime_error("no");
  });
  EXPECT_TRUE(has_exporter_factory("THROWER"));
  testing::diagnostics_capture cap;
  EXPECT_EQ(make_exporter("thrower"), nullptr);
  EXPECT_EQ(cap.count("sdk.exporter.factory_failed"), 1u);
  EXPECT_EQ(make_exporter("never-registered"), nullptr);
}

}  // namespace
}  // namespace ctxflow::sdk
