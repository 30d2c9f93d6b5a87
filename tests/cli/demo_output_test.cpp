// SPDX-License-Identifier: Apache-2.0
// `ctxflow demo --out FILE`: the file holds exactly the spans the demo verified (the child
// process's and the payment service's included), all in one trace, and without
// OTEL_TRACES_EXPORTER nothing is exported anywhere else.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "cli/demo_process.hpp"
#include "otlp/loopback_receiver.hpp"

namespace ctxflow::cli::testing {
namespace {

using namespace std::chrono_literals;

const std::string demo_program = CTXFLOW_DEMO_PROGRAM;

std::set<std::string> services_of(const std::vector<span_record>& spans) {
  std::set<std::string> out;
  for (const auto& s : spans) out.insert(s.service);
  return out;
}

TEST(DemoOutput, TheFileHoldsExactlyTheVerifiedSpansAllInOneTrace) {
  scratch_dir dir;
  ASSERT_TRUE(dir.ok());
  const std::string out = dir.file("spans.jsonl");
  const run_result r = run_program(demo_program, {"demo", "--ascii", "--out", out},
                                   clean_environment(), 60s);
  ASSERT_TRUE(r.exited && r.code == 0) << r.describe();

  const long verified = verified_count(r.out);
  ASSERT_GT(verified, 0) << r.describe();
  bool lines_ok = false;
  const std::vector<span_record> spans = spans_of_file(out, lines_ok);
  EXPECT_TRUE(lines_ok);
  EXPECT_EQ(static_cast<long>(spans.size()), verified) << r.describe();

  std::set<std::string> traces;
  std::set<std::string> ids;
  for (const auto& s : spans) {
    traces.insert(s.trace_id);
    ids.insert(s.span_id);
  }
  EXPECT_EQ(traces.size(), 1u);
  EXPECT_EQ(ids.size(), spans.size()) << "a span is in the file more than once";

  // The child process's span and, with the Asio integration, the payment service's.
  const std::set<std::string> services = services_of(spans);
  EXPECT_TRUE(services.count("order-service"));
  EXPECT_TRUE(services.count("receipt-printer"));
#if CTXFLOW_DEMO_HAS_HOPS
  EXPECT_TRUE(services.count("payment-service"));
  EXPECT_EQ(verified, 20);
#else
  EXPECT_EQ(verified, 14);
#endif
  // The child's temporary file was merged and removed.
  EXPECT_EQ(dir.entries(), 1u);
}

TEST(DemoOutput, WithoutOtelTracesExporterTheSpansGoOnlyToTheFile) {
  // An OTLP endpoint is configured, but no exporter is named: nothing may be sent.
  exporters::otlp::testing::loopback_receiver receiver;
  ASSERT_NE(receiver.port(), 0);
  scratch_dir dir;
  ASSERT_TRUE(dir.ok());
  const std::string out = dir.file("spans.jsonl");
  const run_result r = run_program(
      demo_program, {"demo", "--ascii", "--out", out},
      clean_environment({"OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:" +
                         std::to_string(receiver.port())}),
      60s);
  ASSERT_TRUE(r.exited && r.code == 0) << r.describe();
  EXPECT_EQ(r.out.find("OTEL_TRACES_EXPORTER"), std::string::npos) << r.out;
  EXPECT_EQ(receiver.request_count(), 0u);
  EXPECT_EQ(receiver.connections_accepted(), 0u);
}

TEST(DemoOutput, HelpDescribesTheFileTheExportersAndTheSignals) {
  const run_result r = run_program(demo_program, {"demo", "--help"}, clean_environment(), 20s);
  ASSERT_TRUE(r.exited && r.code == 0) << r.describe();
  EXPECT_NE(r.out.find("OTEL_TRACES_EXPORTER"), std::string::npos);
  EXPECT_NE(r.out.find("SIGTERM"), std::string::npos);
  EXPECT_NE(r.out.find("--out FILE"), std::string::npos);
}

TEST(DemoOutput, AnUnknownOptionIsRefusedWithStatus2) {
  const run_result r = run_program(demo_program, {"demo", "--no-such-option"}, clean_environment(), 20s);
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--no-such-option"), std::string::npos);
}

}  // namespace
}  // namespace ctxflow::cli::testing
