// SPDX-License-Identifier: Apache-2.0
// `ctxflow serve` as a child process, fed by real clients: ctxflow's own OTLP/HTTP exporter
// (protobuf, JSON, gzip), curl and `ctxflow demo`; what they sent comes back field for field
// through the JSON API. Then the bounds and the misbehaving clients: too large, malformed, half
// a request, bad and unknown ids, wrong methods, retention, a --db file shared by two servers.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "ctxflow/exporters/otlp/http_exporter.hpp"
#include "ctxflow/exporters/otlp/proto_encoder.hpp"
#include "ctxflow/exporters/otlp/response.hpp"
#include "viewer/serve_program.hpp"
#include "viewer/serve_test_support.hpp"

namespace ctxflow::viewer {
namespace {

using namespace std::chrono_literals;
using cli::testing::clean_environment;
using testing::http_call;
using testing::rich_span;
using testing::service_resource;
using testing::fetch_trace;
using testing::hex_of;
using testing::trace_number;

using server = testing::serve_program;

nlohmann::json list(std::uint16_t port, const std::string& query = "") {
  return testing::list_traces(port, query);
}

const std::string program = CTXFLOW_PROGRAM;

std::vector<sdk::span_data> demo_trace(std::uint64_t t, std::uint64_t start = 1'700'000'000'000'000'000ull) {
  const auto shop = service_resource("shop");
  return {rich_span(t, t * 100 + 1, 0, "GET /orders", shop, start, start + 9'000'000),
          rich_span(t, t * 100 + 2, t * 100 + 1, "charge", service_resource("payments"),
                    start + 1'000'000, start + 4'000'000, true),
          rich_span(t, t * 100 + 3, t * 100 + 1, "SELECT orders", service_resource("db"),
                    start + 5'000'000, start + 6'000'000)};
}

std::string protobuf_of(const std::vector<sdk::span_data>& spans) {
  std::vector<const sdk::span_data*> ptrs;
  for (const auto& s : spans) ptrs.push_back(&s);
  std::string out;
  exporters::otlp::encode_protobuf(ptrs, out);
  return out;
}

void export_with_ctxflow(std::uint16_t port, exporters::otlp::http_protocol protocol, bool gzip,
                         const std::vector<sdk::span_data>& spans) {
  exporters::otlp::http_exporter_options o;
  o.endpoint = "http://127.0.0.1:" + std::to_string(port) + "/v1/traces";
  o.protocol = protocol;
  o.compression = gzip ? exporters::otlp::otlp_compression::gzip : exporters::otlp::otlp_compression::none;
  o.timeout = 10s;
  exporters::otlp::http_exporter exporter(o);
  std::vector<const sdk::span_data*> ptrs;
  for (const auto& s : spans) ptrs.push_back(&s);
  EXPECT_EQ(exporter.export_spans(ptrs), sdk::export_result::success);
  exporter.shutdown(5s);
}

TEST(Serve, PrintsWhereItListensAsItsFirstLineAndExitsZeroOnSigterm) {
  server s(program);
  ASSERT_NE(s.port(), 0) << s.process().output();
  const auto r = s.stop(SIGTERM);
  EXPECT_TRUE(r.exited && r.code == 0) << r.describe();
  EXPECT_EQ(r.out.rfind("listening on http://127.0.0.1:", 0), 0u) << r.out;
}

TEST(Serve, ExitsZeroOnSigintToo) {
  server s(program);
  ASSERT_NE(s.port(), 0);
  const auto r = s.stop(SIGINT);
  EXPECT_TRUE(r.exited && r.code == 0) << r.describe();
}

TEST(Serve, CtxflowsExporterOverProtobufDeliversEveryFieldToTheApi) {
  server s(program, {"--quiet"});
  ASSERT_NE(s.port(), 0);
  const auto spans = demo_trace(1);
  export_with_ctxflow(s.port(), exporters::otlp::http_protocol::http_protobuf, false, spans);
  EXPECT_EQ(testing::differences(spans, fetch_trace(s.port(), trace_number(1))), "");
}

TEST(Serve, CtxflowsExporterOverJsonWithGzipDeliversEveryFieldToTheApi) {
  server s(program, {"--quiet"});
  ASSERT_NE(s.port(), 0);
  const auto spans = demo_trace(2);
  export_with_ctxflow(s.port(), exporters::otlp::http_protocol::http_json, true, spans);
  EXPECT_EQ(testing::differences(spans, fetch_trace(s.port(), trace_number(2))), "");
}

TEST(Serve, TheListAnswersTheContractAndFilters) {
  server s(program, {"--quiet"});
  ASSERT_NE(s.port(), 0);
  export_with_ctxflow(s.port(), exporters::otlp::http_protocol::http_protobuf, false, demo_trace(1, 1'000'000'000));
  auto second = demo_trace(2, 2'000'000'000);
  second[0].resource_ptr = service_resource("cart");
  second[0].end_time_unix_nano = second[0].start_time_unix_nano + 50'000'000;
  export_with_ctxflow(s.port(), exporters::otlp::http_protocol::http_protobuf, false, second);

  const auto all = list(s.port());
  ASSERT_EQ(all["traces"].size(), 2u) << all;
  const auto& newest = all["traces"][0];
  EXPECT_EQ(newest["traceId"], hex_of(trace_number(2)));
  EXPECT_EQ(newest["name"], "GET /orders");
  EXPECT_EQ(newest["service"], "cart");
  EXPECT_EQ(newest["services"], nlohmann::json::array({"cart", "db", "payments"}));
  EXPECT_EQ(newest["startTimeUnixNano"], "2000000000");
  EXPECT_EQ(newest["durationNano"], "50000000");
  EXPECT_EQ(newest["spanCount"], 3);
  EXPECT_EQ(newest["errorCount"], 1);
  EXPECT_EQ(list(s.port(), "?service=cart")["traces"].size(), 1u);
  EXPECT_EQ(list(s.port(), "?service=payments")["traces"].size(), 2u);
  EXPECT_EQ(list(s.port(), "?name=SELECT%20orders")["traces"].size(), 2u);
  EXPECT_EQ(list(s.port(), "?name=nothing+like+it")["traces"].size(), 0u);
  EXPECT_EQ(list(s.port(), "?min_duration=20000000")["traces"].size(), 1u);
  const auto limited = list(s.port(), "?limit=1");
  ASSERT_EQ(limited["traces"].size(), 1u);
  EXPECT_EQ(limited["traces"][0]["traceId"], hex_of(trace_number(2)));
  EXPECT_EQ(http_call(s.port(), "GET", "/api/traces?limit=ten").status, 400);
  EXPECT_EQ(http_call(s.port(), "GET", "/api/traces?min_duration=-5").status, 400);
  EXPECT_EQ(http_call(s.port(), "GET", "/api/traces?name=%zz").status, 400);
}

TEST(Serve, CurlPostingJsonIsStoredAndServedBack) {
#ifndef CTXFLOW_CURL_PROGRAM
  GTEST_SKIP() << "curl was not found at configure time";
#else
  server s(program, {"--quiet"});
  ASSERT_NE(s.port(), 0);
  const std::string trace = "5b8efff798038103d269b633813fc60c";
  const std::string body = R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"curl-client"}}]},"scopeSpans":[{"scope":{"name":"manual"},"spans":[{"traceId":")" +
                           trace + R"(","spanId":"eee19b7ec3c1b174","name":"posted by curl","kind":2,"startTimeUnixNano":"1544712660000000000","endTimeUnixNano":"1544712661000000000","attributes":[{"key":"n","value":{"intValue":"7"}}],"status":{"code":2,"message":"boom"}}]}]}]})";
  const auto r = cli::testing::run_program(
      CTXFLOW_CURL_PROGRAM,
      {"-sS", "--max-time", "10", "-o", "-", "-w", "\n%{http_code}", "-H",
       "Content-Type: application/json", "--data-binary", body,
       "http://127.0.0.1:" + std::to_string(s.port()) + "/v1/traces"},
      clean_environment(), 20s);
  ASSERT_TRUE(r.exited && r.code == 0) << r.describe();
  EXPECT_EQ(r.out, "{}\n200");
  const auto spans = fetch_trace(s.port(), trace::trace_id::from_hex(trace));
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].name, "posted by curl");
  EXPECT_EQ(spans[0].kind, trace::span_kind::server);
  EXPECT_EQ(spans[0].start_time_unix_nano, 1544712660000000000ull);
  EXPECT_EQ(spans[0].status.code, trace::status_code::error);
  EXPECT_EQ(spans[0].status.message, "boom");
  ASSERT_EQ(spans[0].attributes.size(), 1u);
  EXPECT_EQ(spans[0].attributes[0].value, sdk::attribute_value(std::int64_t{7}));
  const auto l = list(s.port());
  ASSERT_EQ(l["traces"].size(), 1u);
  EXPECT_EQ(l["traces"][0]["service"], "curl-client");
#endif
}

TEST(Serve, TheDemoExportingToItStoresItsWholeTrace) {
  server s(program, {"--quiet"});
  ASSERT_NE(s.port(), 0);
  cli::testing::scratch_dir dir;
  ASSERT_TRUE(dir.ok());
  const std::string out = dir.file("demo.jsonl");
  const auto r = cli::testing::run_program(
      program, {"demo", "--ascii", "--out", out},
      clean_environment({"OTEL_TRACES_EXPORTER=otlp",
                         "OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:" + std::to_string(s.port())}),
      90s);
  ASSERT_TRUE(r.exited && r.code == 0) << r.describe();
  bool lines_ok = false;
  const auto in_file = cli::testing::spans_of_file(out, lines_ok);
  ASSERT_TRUE(lines_ok);
  ASSERT_GT(in_file.size(), 3u);
  std::set<std::string> traces, expected;
  for (const auto& sp : in_file) {
    traces.insert(sp.trace_id);
    expected.insert(sp.trace_id + "/" + sp.span_id);
  }
  ASSERT_EQ(traces.size(), 1u);
  std::set<std::string> stored;
  for (const auto& sp : fetch_trace(s.port(), trace::trace_id::from_hex(*traces.begin()))) {
    const auto t = sp.context.trace.to_hex();
    const auto i = sp.context.span.to_hex();
    stored.insert(std::string(t.data(), t.size()) + "/" + std::string(i.data(), i.size()));
  }
  EXPECT_EQ(stored, expected);
  const auto l = list(s.port());
  ASSERT_EQ(l["traces"].size(), 1u);
  EXPECT_EQ(l["traces"][0]["spanCount"], static_cast<int>(in_file.size()));
}

TEST(Serve, PrintsEachTraceAsAWaterfallOnceItHasBeenQuiet) {
  server s(program, {"--quiet-after", "300ms"});
  ASSERT_NE(s.port(), 0);
  const auto posted = std::chrono::steady_clock::now();
  const auto a = http_call(s.port(), "POST", "/v1/traces", {{"Content-Type", "application/x-protobuf"}},
                           protobuf_of(demo_trace(3)));
  ASSERT_EQ(a.status, 200);
  const std::string header = "trace " + hex_of(trace_number(3));
  ASSERT_TRUE(s.process().wait_for_output(header, 10s)) << s.process().output();
  EXPECT_GE(std::chrono::steady_clock::now() - posted, 250ms);
  const auto r = s.stop();
  EXPECT_TRUE(r.exited && r.code == 0) << r.describe();
  // Once, with its three spans, in ASCII, drawn as `ctxflow view` draws it: kinds, and the
  // services since the trace crosses three.
  const std::size_t at = r.out.find(header);
  EXPECT_EQ(r.out.find(header, at + 1), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("GET /orders"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("SELECT orders"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find('#'), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("GET /orders [server]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("payments"), std::string::npos) << r.out;
}

TEST(Serve, QuietPrintsNothingButWhereItListens) {
  server s(program, {"--quiet", "--quiet-after", "10ms"});
  ASSERT_NE(s.port(), 0);
  ASSERT_EQ(http_call(s.port(), "POST", "/v1/traces", {{"Content-Type", "application/x-protobuf"}},
                      protobuf_of(demo_trace(3))).status, 200);
  std::this_thread::sleep_for(300ms);
  const auto r = s.stop();
  EXPECT_TRUE(r.exited && r.code == 0) << r.describe();
  EXPECT_EQ(r.out, "listening on http://127.0.0.1:" + std::to_string(s.port()) + "\n");
}

TEST(Serve, ABodyOverMaxBodyIs413AndTheServerGoesOn) {
  server s(program, {"--quiet", "--max-body", "1500"});
  ASSERT_NE(s.port(), 0);
  const std::string big = protobuf_of(demo_trace(4));
  ASSERT_GT(big.size(), 1500u);
  EXPECT_EQ(http_call(s.port(), "POST", "/v1/traces", {{"Content-Type", "application/x-protobuf"}}, big).status, 413);
  // Small on the wire, large inflated: 413 as well.
  const std::string bomb = testing::gzip(std::string(1 << 20, '\0'));
  ASSERT_LT(bomb.size(), 1500u);
  const auto b = http_call(s.port(), "POST", "/v1/traces",
                           {{"Content-Type", "application/x-protobuf"}, {"Content-Encoding", "gzip"}}, bomb);
  EXPECT_EQ(b.status, 413);
  EXPECT_EQ(list(s.port())["traces"].size(), 0u);
}

TEST(Serve, AMalformedBodyIs400WithAStatusAndWrongTypesAre415) {
  server s(program, {"--quiet"});
  ASSERT_NE(s.port(), 0);
  const auto a = http_call(s.port(), "POST", "/v1/traces", {{"Content-Type", "application/json"}}, "{\"resourceSpans\":[{]}");
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.header("Content-Type"), "application/json");
  EXPECT_TRUE(exporters::otlp::parse_rpc_status_json(a.body)) << a.body;
  const auto p = http_call(s.port(), "POST", "/v1/traces", {{"Content-Type", "application/x-protobuf"}}, "\x0a\x7f");
  EXPECT_EQ(p.status, 400);
  EXPECT_TRUE(exporters::otlp::parse_rpc_status_protobuf(p.body));
  EXPECT_EQ(http_call(s.port(), "POST", "/v1/traces", {{"Content-Type", "text/plain"}}, "hello").status, 415);
}

TEST(Serve, AClientThatSendsHalfARequestIsClosedByTheHeadDeadlineAndOthersAreServed) {
  server s(program, {"--quiet", "--head-timeout", "500ms"});
  ASSERT_NE(s.port(), 0);
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(s.port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string half = "POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: appl";
  ASSERT_EQ(::send(fd, half.data(), half.size(), MSG_NOSIGNAL), static_cast<ssize_t>(half.size()));
  const auto started = std::chrono::steady_clock::now();
  // Another client is answered while the first one hangs.
  EXPECT_EQ(http_call(s.port(), "POST", "/v1/traces", {{"Content-Type", "application/x-protobuf"}},
                      protobuf_of(demo_trace(5)), 2s).status, 200);
  // The half request is closed without an answer once its head deadline passes.
  pollfd p{fd, POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1);
  char buf[256];
  EXPECT_LE(::recv(fd, buf, sizeof buf, 0), 0);
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_GE(waited, 400ms);
  EXPECT_LT(waited, 4s);
  ::close(fd);
}

TEST(Serve, BadIdsAre400UnknownOnes404WrongMethods405AndOtherPaths404) {
  server s(program, {"--quiet"});
  ASSERT_NE(s.port(), 0);
  for (const char* bad : {"xyz", "0123", "00000000000000000000000000000000",
                          "5b8efff798038103d269b633813fc60g", "5b8efff798038103d269b633813fc60c00"}) {
    const auto a = http_call(s.port(), "GET", std::string("/api/traces/") + bad);
    EXPECT_EQ(a.status, 400) << bad;
    EXPECT_TRUE(nlohmann::json::parse(a.body, nullptr, false).contains("error")) << a.body;
  }
  const auto unknown = http_call(s.port(), "GET", "/api/traces/5b8efff798038103d269b633813fc60c");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_TRUE(nlohmann::json::parse(unknown.body, nullptr, false).contains("error")) << unknown.body;
  const auto get_traces = http_call(s.port(), "GET", "/v1/traces");
  EXPECT_EQ(get_traces.status, 405);
  EXPECT_EQ(get_traces.header("Allow"), "POST");
  EXPECT_EQ(http_call(s.port(), "POST", "/api/traces", {{"Content-Type", "application/json"}}, "{}").status, 405);
  EXPECT_EQ(http_call(s.port(), "DELETE", "/api/traces/5b8efff798038103d269b633813fc60c").status, 405);
  const auto page = http_call(s.port(), "GET", "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("<!DOCTYPE html>"), std::string::npos) << page.body.substr(0, 200);
  EXPECT_NE(page.body.find("api/"), std::string::npos);
  EXPECT_EQ(http_call(s.port(), "POST", "/", {{"Content-Type", "text/plain"}}, "x").status, 405);
  EXPECT_EQ(http_call(s.port(), "GET", "/v2/anything").status, 404);
}

TEST(Serve, RetentionKeepsTheLastNTracesReceived) {
  server s(program, {"--quiet", "--retention", "3"});
  ASSERT_NE(s.port(), 0);
  for (std::uint64_t t = 1; t <= 5; ++t)
    ASSERT_EQ(http_call(s.port(), "POST", "/v1/traces", {{"Content-Type", "application/x-protobuf"}},
                        protobuf_of(demo_trace(t))).status, 200);
  EXPECT_EQ(list(s.port())["traces"].size(), 3u);
  for (std::uint64_t t = 1; t <= 5; ++t) {
    int status = 0;
    (void)fetch_trace(s.port(), trace_number(t), &status);
    EXPECT_EQ(status, t <= 2 ? 404 : 200) << t;
  }
}

TEST(Serve, ADbFileKeepsTracesAcrossRestartsAndASecondServerOnItFailsClearly) {
  cli::testing::scratch_dir dir;
  ASSERT_TRUE(dir.ok());
  const std::string db = dir.file("traces.db");
  {
    server s(program, {"--quiet", "--db", db});
    ASSERT_NE(s.port(), 0);
    ASSERT_EQ(http_call(s.port(), "POST", "/v1/traces", {{"Content-Type", "application/x-protobuf"}},
                        protobuf_of(demo_trace(6))).status, 200);
    const auto second = cli::testing::run_program(program, {"serve", "--listen", "127.0.0.1:0", "--db", db},
                                                  clean_environment(), 20s);
    EXPECT_TRUE(second.exited && second.code == 1) << second.describe();
    EXPECT_NE(second.err.find("locked"), std::string::npos) << second.err;
    const auto r = s.stop();
    EXPECT_TRUE(r.exited && r.code == 0) << r.describe();
  }
  server again(program, {"--quiet", "--db", db});
  ASSERT_NE(again.port(), 0);
  EXPECT_EQ(testing::differences(demo_trace(6), fetch_trace(again.port(), trace_number(6))), "");
}

TEST(Serve, TheServersOwnRequestsLeaveNoSpanInItsStore) {
  // Even told by the environment to export its spans to itself, the server traces nothing.
  std::uint16_t port = 0;
  {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    port = ntohs(addr.sin_port);
    ::close(fd);
  }
  const std::string self = "http://127.0.0.1:" + std::to_string(port);
  server s(program, {"--quiet"},
           {"OTEL_TRACES_EXPORTER=otlp", "OTEL_EXPORTER_OTLP_ENDPOINT=" + self, "OTEL_BSP_SCHEDULE_DELAY=10"},
           "127.0.0.1:" + std::to_string(port));
  ASSERT_EQ(s.port(), port) << s.process().output();
  ASSERT_EQ(http_call(s.port(), "POST", "/v1/traces", {{"Content-Type", "application/x-protobuf"}},
                      protobuf_of(demo_trace(7))).status, 200);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(http_call(s.port(), "GET", "/api/traces").status, 200);
    EXPECT_EQ(http_call(s.port(), "GET", "/api/traces/" + hex_of(trace_number(7))).status, 200);
  }
  std::this_thread::sleep_for(300ms);
  const auto l = list(s.port());
  ASSERT_EQ(l["traces"].size(), 1u) << l;
  EXPECT_EQ(l["traces"][0]["traceId"], hex_of(trace_number(7)));
  EXPECT_EQ(l["traces"][0]["spanCount"], 3);
}

TEST(Serve, HelpPrintsTheOptionsAndExitsZeroWithoutListening) {
  const auto r = cli::testing::run_program(program, {"serve", "--help"}, clean_environment(), 10s);
  EXPECT_TRUE(r.exited && r.code == 0) << r.describe();
  EXPECT_NE(r.out.find("usage: ctxflow serve"), std::string::npos) << r.out;
  for (const char* option : {"--listen", "--db", "--retention", "--max-body", "--quiet-after", "--head-timeout"})
    EXPECT_NE(r.out.find(option), std::string::npos) << option;
  EXPECT_NE(r.out.rfind("listening on", 0), 0u) << r.out;
  const auto top = cli::testing::run_program(program, {"--help"}, clean_environment(), 10s);
  EXPECT_NE(top.out.find("  serve "), std::string::npos) << top.out;
}

TEST(Serve, APortInUseExitsOneSayingSo) {
  server first(program, {"--quiet"});
  ASSERT_NE(first.port(), 0);
  const auto r = cli::testing::run_program(
      program, {"serve", "--listen", "127.0.0.1:" + std::to_string(first.port())}, clean_environment(), 10s);
  EXPECT_TRUE(r.exited && r.code == 1) << r.describe();
  EXPECT_NE(r.err.find("cannot listen on 127.0.0.1:" + std::to_string(first.port())), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("in use"), std::string::npos) << r.err;
}

TEST(Serve, BadOptionsExitTwoWithAMessage) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"serve", "--bogus"}, {"serve", "--listen", "nowhere"},
        {"serve", "--retention", "many"}, {"serve", "--quiet-after", "soon"}, {"serve", "--max-body", "0"}}) {
    const auto r = cli::testing::run_program(program, args, clean_environment(), 10s);
    EXPECT_TRUE(r.exited && r.code == 2) << r.describe();
    EXPECT_NE(r.err.find("ctxflow serve"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace ctxflow::viewer
