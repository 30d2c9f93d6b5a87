// SPDX-License-Identifier: Apache-2.0
// `OTEL_TRACES_EXPORTER=otlp ctxflow demo`: an OTLP/HTTP collector (the loopback receiver, which
// decodes protobuf with libprotobuf and JSON with nlohmann::json) receives exactly the spans the
// demo verified and wrote to its file, those of the child process and of the payment service
// included, over http/protobuf and over http/json, and over gRPC (the loopback gRPC receiver)
// with OTEL_EXPORTER_OTLP_PROTOCOL=grpc, with the configured headers.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

#include "cli/demo_process.hpp"
#include "otlp/loopback_receiver.hpp"
#if CTXFLOW_DEMO_HAS_OTLP_GRPC
#include "otlp/grpc_receiver.hpp"
#endif

namespace ctxflow::cli::testing {
namespace {

using namespace std::chrono_literals;

const std::string demo_program = CTXFLOW_DEMO_PROGRAM;

struct delivery {
  std::vector<span_record> spans;
  bool all_decoded = true;
  bool content_types_match = true;
  bool headers_present = true;
};

delivery received_spans(const exporters::otlp::testing::loopback_receiver& receiver, bool json) {
  delivery d;
  for (const auto& req : receiver.requests()) {
    const auto ct = req.headers.find("content-type");
    const std::string type = ct == req.headers.end() ? "" : ct->second;
    d.content_types_match =
        d.content_types_match && type == (json ? "application/json" : "application/x-protobuf");
    const auto key = req.headers.find("x-demo-key");
    d.headers_present = d.headers_present && key != req.headers.end() && key->second == "k1";
    const bool ok = json ? spans_of_json(req.payload, d.spans) : spans_of_protobuf(req.payload, d.spans);
    d.all_decoded = d.all_decoded && ok && req.decoded && req.target == "/v1/traces";
  }
  return d;
}

/// Runs the demo exporting to 127.0.0.1:`port` with `protocol`; `out` is its span file.
run_result run_demo_exporting_to(std::uint16_t port, const std::string& protocol,
                                 const std::string& out) {
  return run_program(demo_program, {"demo", "--ascii", "--out", out},
                     clean_environment({"OTEL_TRACES_EXPORTER=otlp",
                                        "OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:" +
                                            std::to_string(port),
                                        "OTEL_EXPORTER_OTLP_PROTOCOL=" + protocol,
                                        "OTEL_EXPORTER_OTLP_HEADERS=x-demo-key=k1",
                                        "OTEL_EXPORTER_OTLP_TIMEOUT=10000"}),
                     90s);
}

/// The demo exited 0 and the collector got exactly the spans it verified and wrote to `out`.
/// `receive` gives what the collector got; the demo has finished exporting, so nothing arrives
/// later.
template <class Receive>
void expect_every_verified_span(const run_result& r, const std::string& out, Receive receive) {
  ASSERT_TRUE(r.exited && r.code == 0) << r.describe();
  EXPECT_NE(r.out.find("exported through OTEL_TRACES_EXPORTER=otlp as well"), std::string::npos)
      << r.out;

  const long verified = verified_count(r.out);
  ASSERT_GT(verified, 0) << r.describe();
  bool lines_ok = false;
  std::vector<span_record> in_file = spans_of_file(out, lines_ok);
  ASSERT_TRUE(lines_ok);
  ASSERT_EQ(static_cast<long>(in_file.size()), verified);

  const delivery d = receive();
  EXPECT_TRUE(d.all_decoded);
  EXPECT_TRUE(d.content_types_match);
  EXPECT_TRUE(d.headers_present);
  std::vector<span_record> received = d.spans;
  ASSERT_EQ(static_cast<long>(received.size()), verified) << r.describe();

  std::sort(in_file.begin(), in_file.end());
  std::sort(received.begin(), received.end());
  for (std::size_t i = 0; i < received.size(); ++i) {
    EXPECT_EQ(received[i].trace_id, in_file[i].trace_id);
    EXPECT_EQ(received[i].span_id, in_file[i].span_id);
    EXPECT_EQ(received[i].parent_span_id, in_file[i].parent_span_id);
    EXPECT_EQ(received[i].name, in_file[i].name);
    EXPECT_EQ(received[i].service, in_file[i].service);
  }
  std::set<std::string> services;
  for (const auto& s : received) services.insert(s.service);
  EXPECT_TRUE(services.count("order-service"));
  EXPECT_TRUE(services.count("receipt-printer"));  // the child process exported its own
#if CTXFLOW_DEMO_HAS_HOPS
  EXPECT_TRUE(services.count("payment-service"));
#endif
}

void expect_collector_gets_every_verified_span(const std::string& protocol) {
  exporters::otlp::testing::loopback_receiver receiver;
  ASSERT_NE(receiver.port(), 0);
  scratch_dir dir;
  ASSERT_TRUE(dir.ok());
  const std::string out = dir.file("spans.jsonl");
  const run_result r = run_demo_exporting_to(receiver.port(), protocol, out);
  expect_every_verified_span(r, out,
                             [&] { return received_spans(receiver, protocol == "http/json"); });
}

TEST(DemoOtlpExport, ACollectorReceivesExactlyTheVerifiedSpansOverHttpProtobuf) {
  expect_collector_gets_every_verified_span("http/protobuf");
}

TEST(DemoOtlpExport, ACollectorReceivesExactlyTheVerifiedSpansOverHttpJson) {
  expect_collector_gets_every_verified_span("http/json");
}

#if CTXFLOW_DEMO_HAS_OTLP_GRPC
// OTEL_EXPORTER_OTLP_PROTOCOL=grpc: the same spans reach an OTLP/gRPC collector, with the
// headers as metadata.
TEST(DemoOtlpExport, ACollectorReceivesExactlyTheVerifiedSpansOverGrpc) {
  exporters::otlp::testing::grpc_receiver receiver;
  scratch_dir dir;
  ASSERT_TRUE(dir.ok());
  const std::string out = dir.file("spans.jsonl");
  const run_result r = run_demo_exporting_to(receiver.port(), "grpc", out);
  expect_every_verified_span(r, out, [&] {
    delivery d;
    for (const auto& call : receiver.requests()) {
      const auto key = call.metadata.find("x-demo-key");
      d.headers_present = d.headers_present && key != call.metadata.end() && key->second == "k1";
      d.all_decoded = spans_of_protobuf(call.request.SerializeAsString(), d.spans) && d.all_decoded;
    }
    return d;
  });
}
#endif

}  // namespace
}  // namespace ctxflow::cli::testing
