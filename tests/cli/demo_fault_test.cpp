// SPDX-License-Identifier: Apache-2.0
// The demo under faults: SIGTERM and SIGINT while the payment service runs stop it promptly
// with status 128 + the signal after a graceful stop and a flush; a collector that cannot be
// reached fails the run without losing the file.
#include <gtest/gtest.h>

#include <signal.h>

#include <set>
#include <string>

#include "cli/demo_process.hpp"
#include "otlp/loopback_receiver.hpp"

namespace ctxflow::cli::testing {
namespace {

using namespace std::chrono_literals;

const std::string demo_program = CTXFLOW_DEMO_PROGRAM;
constexpr std::string_view holding_marker = "holding for";

void expect_signal_stops_the_demo(int sig, int status) {
  scratch_dir dir;
  ASSERT_TRUE(dir.ok());
  const std::string out = dir.file("spans.jsonl");
  running_program demo(demo_program, {"demo", "--ascii", "--hold", "60000", "--out", out},
                       clean_environment());
  ASSERT_TRUE(demo.started());
  ASSERT_TRUE(demo.wait_for_output(holding_marker, 60s)) << demo.finish(1s).describe();
  const auto sent = std::chrono::steady_clock::now();
  ASSERT_TRUE(demo.send(sig));
  const run_result r = demo.finish(20s);
  const auto took = std::chrono::steady_clock::now() - sent;
  ASSERT_FALSE(r.timed_out) << r.describe();
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.code, status) << r.describe();
  EXPECT_LT(took, 10s) << "the demo did not stop promptly";
  EXPECT_NE(r.err.find(sig == SIGTERM ? "stopped by SIGTERM" : "stopped by SIGINT"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.out.find("verified:"), std::string::npos);

  // The spans were flushed before the exit: the whole order, the child's and the payment
  // service's spans included, in one trace.
  bool lines_ok = false;
  const std::vector<span_record> spans = spans_of_file(out, lines_ok);
  EXPECT_TRUE(lines_ok);
  std::set<std::string> traces;
  std::set<std::string> services;
  for (const auto& s : spans) {
    traces.insert(s.trace_id);
    services.insert(s.service);
  }
  EXPECT_EQ(traces.size(), 1u);
  EXPECT_TRUE(services.count("receipt-printer"));
#if CTXFLOW_DEMO_HAS_HOPS
  EXPECT_TRUE(services.count("payment-service"));
  EXPECT_EQ(spans.size(), 20u);
#else
  EXPECT_EQ(spans.size(), 14u);
#endif
  EXPECT_EQ(dir.entries(), 1u);
}

TEST(DemoSignals, SigtermWhileThePaymentServiceRunsStopsTheDemoWithStatus143AndFlushesTheSpans) {
  expect_signal_stops_the_demo(SIGTERM, 128 + SIGTERM);
}

TEST(DemoSignals, SigintWhileThePaymentServiceRunsStopsTheDemoWithStatus130AndFlushesTheSpans) {
  expect_signal_stops_the_demo(SIGINT, 128 + SIGINT);
}

TEST(DemoSignals, WithoutASignalTheHoldEndsAndTheDemoVerifiesAsUsual) {
  scratch_dir dir;
  ASSERT_TRUE(dir.ok());
  const run_result r = run_program(
      demo_program, {"demo", "--ascii", "--hold", "200", "--out", dir.file("spans.jsonl")},
      clean_environment(), 60s);
  ASSERT_TRUE(r.exited && r.code == 0) << r.describe();
  EXPECT_GT(verified_count(r.out), 0);
}

#if CTXFLOW_DEMO_HAS_OTLP
TEST(DemoOtlpFaults, AnUnreachableCollectorFailsTheRunButTheFileStillHoldsEveryVerifiedSpan) {
  // A port that refuses connections: a receiver taken down keeps its port number.
  exporters::otlp::testing::loopback_receiver receiver;
  ASSERT_NE(receiver.port(), 0);
  receiver.go_down();
  scratch_dir dir;
  ASSERT_TRUE(dir.ok());
  const std::string out = dir.file("spans.jsonl");
  const run_result r = run_program(
      demo_program, {"demo", "--ascii", "--out", out},
      clean_environment({"OTEL_TRACES_EXPORTER=otlp",
                         "OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:" +
                             std::to_string(receiver.port()),
                         "OTEL_EXPORTER_OTLP_TIMEOUT=1000"}),
      90s);
  ASSERT_FALSE(r.timed_out) << r.describe();
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.code, 1) << r.describe();
  EXPECT_NE(r.err.find("OTEL_TRACES_EXPORTER=otlp"), std::string::npos) << r.err;
  const long verified = verified_count(r.out);
  ASSERT_GT(verified, 0) << r.describe();
  bool lines_ok = false;
  EXPECT_EQ(static_cast<long>(spans_of_file(out, lines_ok).size()), verified);
  EXPECT_TRUE(lines_ok);
}
#endif

TEST(DemoOtlpFaults, AnExporterNameThisBuildLacksIsReportedAndTheFileIsStillWritten) {
  scratch_dir dir;
  ASSERT_TRUE(dir.ok());
  const std::string out = dir.file("spans.jsonl");
  const run_result r = run_program(demo_program, {"demo", "--ascii", "--out", out},
                                   clean_environment({"OTEL_TRACES_EXPORTER=zipkin"}), 60s);
  ASSERT_TRUE(r.exited && r.code == 0) << r.describe();
  EXPECT_NE(r.err.find("\"zipkin\""), std::string::npos) << r.err;
  bool lines_ok = false;
  EXPECT_EQ(static_cast<long>(spans_of_file(out, lines_ok).size()), verified_count(r.out));
}

}  // namespace
}  // namespace ctxflow::cli::testing
