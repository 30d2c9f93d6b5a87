// SPDX-License-Identifier: Apache-2.0
// For the tests of OTEL_TRACES_EXPORTER=otlp: sdk::init with the OTLP variables set, two spans,
// a flush, and the variables unset again.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <string>

#include "ctxflow/sdk/init.hpp"
#include "ctxflow/trace/provider.hpp"
#include "ctxflow/trace/tracer.hpp"

namespace ctxflow::exporters::otlp::testing {

/// Runs sdk::init with OTEL_TRACES_EXPORTER=otlp, OTEL_EXPORTER_OTLP_ENDPOINT=`endpoint` and
/// OTEL_EXPORTER_OTLP_PROTOCOL=`protocol`, ends the spans "first" and "second", and flushes.
inline void export_two_spans_through_init(const std::string& endpoint, const char* protocol) {
  ::setenv("OTEL_TRACES_EXPORTER", "otlp", 1);
  ::setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.c_str(), 1);
  ::setenv("OTEL_EXPORTER_OTLP_PROTOCOL", protocol, 1);
  ::setenv("OTEL_BSP_SCHEDULE_DELAY", "10", 1);
  {
    auto guard = sdk::init();
    const trace::tracer tracer = trace::get_tracer("init-export");
    tracer.start_span("first").end();
    tracer.start_span("second").end();
    EXPECT_TRUE(guard.force_flush(std::chrono::milliseconds(10000)));
  }
  for (const char* name : {"OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT",
                           "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_BSP_SCHEDULE_DELAY"})
    ::unsetenv(name);
}

}  // namespace ctxflow::exporters::otlp::testing
