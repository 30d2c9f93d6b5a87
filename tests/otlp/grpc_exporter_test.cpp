// SPDX-License-Identifier: Apache-2.0
// The OTLP/gRPC exporter against a real loopback gRPC receiver (tests/otlp/grpc_receiver.hpp,
// libprotobuf-decoded): the request field by field, metadata, gzip, the retry rules of R8.19
// (the retryable codes, RESOURCE_EXHAUSTED with and without RetryInfo), partial success, a
// dead collector, the timeout, the shutdown bound, and the selection by
// OTEL_EXPORTER_OTLP_PROTOCOL=grpc.
#include "ctxflow/exporters/otlp/grpc_exporter.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <future>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "ctxflow/exporters/otlp/response.hpp"
#include "ctxflow/sdk/exporter_registry.hpp"
#include "ctxflow/sdk/init.hpp"
#include "ctxflow/testing/diagnostics_capture.hpp"
#include "ctxflow/trace/provider.hpp"
#include "ctxflow/trace/tracer.hpp"
#include "grpc_receiver.hpp"
#include "init_export.hpp"
#include "proto_checks.hpp"
#include "span_fixtures.hpp"

namespace ctxflow::exporters::otlp {
namespace {

using namespace ctxflow::exporters::otlp::testing;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

// grpc::StatusCode values, spelled out so that the test names the codes of R8.19.
constexpr int cancelled = 1, invalid_argument = 3, deadline_exceeded = 4, permission_denied = 7,
              resource_exhausted = 8, aborted = 10, out_of_range = 11, unimplemented = 12,
              unavailable = 14, data_loss = 15;

/// Options for fast tests: short backoff, a bounded export timeout.
grpc_exporter_options fast_options(const std::string& endpoint) {
  grpc_exporter_options o;
  o.endpoint = endpoint;
  o.timeout = 5000ms;
  o.retry.max_attempts = 5;
  o.retry.initial_backoff = 20ms;
  o.retry.max_backoff = 100ms;
  return o;
}

/// Accepts after `delay`.
grpc_script slow(std::chrono::milliseconds delay) {
  return [delay](std::size_t) {
    grpc_answer a;
    a.delay = delay;
    return a;
  };
}

grpc_answer answer(int code, std::optional<std::chrono::milliseconds> retry_info = {}) {
  grpc_answer a;
  a.code = code;
  a.message = "scripted";
  a.retry_info = retry_info;
  return a;
}

/// Fails `code` the first `n` calls, then accepts.
grpc_script fail_first(std::size_t n, int code) {
  return [n, code](std::size_t i) { return i < n ? answer(code) : grpc_answer{}; };
}

long long elapsed_ms(steady::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - since).count();
}

/// An endpoint where nothing listens: a port the kernel gave us, closed again.
std::string dead_endpoint() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  ::close(fd);
  return "http://127.0.0.1:" + std::to_string(ntohs(a.sin_port));
}

const std::string* metadata(const grpc_received& r, const std::string& key) {
  const auto it = r.metadata.find(key);
  return it == r.metadata.end() ? nullptr : &it->second;
}

// R8.1-R8.3 over gRPC: the receiver's libprotobuf decode matches every field.
TEST(OtlpGrpcExporter, SendsARequestThatTheReceiverDecodesFieldByField) {
  grpc_receiver rx;
  grpc_exporter exp(fast_options(rx.endpoint()));
  batch_fixture b(4);
  ASSERT_EQ(exp.export_spans(b.ptrs), sdk::export_result::success);
  const auto reqs = rx.requests();
  ASSERT_EQ(reqs.size(), 1u);
  const auto& req = reqs[0].request;
  ASSERT_EQ(req.resource_spans_size(), 1);
  expect_resource(req.resource_spans(0), *b.res);
  ASSERT_EQ(req.resource_spans(0).scope_spans_size(), 1);
  const auto& ss = req.resource_spans(0).scope_spans(0);
  expect_scope(ss, *b.scope);
  ASSERT_EQ(ss.spans_size(), 4);
  for (int i = 0; i < 4; ++i) expect_span(ss.spans(i), b.spans[static_cast<std::size_t>(i)]);
  const auto s = exp.stats();
  EXPECT_EQ(s.exported_spans, 4u);
  EXPECT_EQ(s.requests, 1u);
  EXPECT_EQ(s.retries, 0u);
}

// R8.9, R8.15: headers arrive as metadata (keys in lower case), with the user agent.
TEST(OtlpGrpcExporter, SendsHeadersAsMetadataWithTheUserAgent) {
  grpc_receiver rx;
  auto o = fast_options(rx.endpoint());
  o.headers = {{"X-Api-Key", "secret value"}, {"tenant", "t1"}};
  o.user_agent_prefix = "my-distro/2";
  grpc_exporter exp(o);
  batch_fixture b(1);
  ASSERT_EQ(exp.export_spans(b.ptrs), sdk::export_result::success);
  const auto reqs = rx.requests();
  ASSERT_EQ(reqs.size(), 1u);
  ASSERT_NE(metadata(reqs[0], "x-api-key"), nullptr);
  EXPECT_EQ(*metadata(reqs[0], "x-api-key"), "secret value");
  ASSERT_NE(metadata(reqs[0], "tenant"), nullptr);
  EXPECT_EQ(*metadata(reqs[0], "tenant"), "t1");
  ASSERT_NE(metadata(reqs[0], "user-agent"), nullptr);
  EXPECT_EQ(metadata(reqs[0], "user-agent")->rfind("my-distro/2 ctxflow-OTLP-Exporter-Cpp/", 0),
            0u);
}

// R8.7: with gzip the message is compressed: a receiver that refuses gzip refuses the call, one
// that accepts it decodes the spans.
TEST(OtlpGrpcExporter, GzipCompressesTheMessageWhenAsked) {
  batch_fixture b(3);
  {
    grpc_receiver rx;
    auto o = fast_options(rx.endpoint());
    o.compression = otlp_compression::gzip;
    grpc_exporter exp(o);
    ASSERT_EQ(exp.export_spans(b.ptrs), sdk::export_result::success);
    EXPECT_EQ(rx.span_count(), 3u);
  }
  {
    grpc_receiver no_gzip({}, /*accept_gzip=*/false);
    ctxflow::testing::diagnostics_capture diags;
    auto o = fast_options(no_gzip.endpoint());
    o.compression = otlp_compression::gzip;
    grpc_exporter exp(o);
    EXPECT_EQ(exp.export_spans(b.ptrs), sdk::export_result::failure);
    EXPECT_EQ(diags.count("otlp.export.rejected"), 1u);
    EXPECT_EQ(exp.stats().requests, 1u);  // UNIMPLEMENTED is not retried
    grpc_exporter plain(fast_options(no_gzip.endpoint()));
    EXPECT_EQ(plain.export_spans(b.ptrs), sdk::export_result::success);
  }
}

// R8.19: UNAVAILABLE is retried until the receiver accepts.
TEST(OtlpGrpcExporter, RetriesUnavailableUntilTheReceiverAccepts) {
  grpc_receiver rx(fail_first(3, unavailable));
  grpc_exporter exp(fast_options(rx.endpoint()));
  batch_fixture b(2);
  ASSERT_EQ(exp.export_spans(b.ptrs), sdk::export_result::success);
  EXPECT_EQ(rx.request_count(), 4u);
  const auto s = exp.stats();
  EXPECT_EQ(s.requests, 4u);
  EXPECT_EQ(s.retries, 3u);
  EXPECT_EQ(s.exported_spans, 2u);  // once per export, never per retry
  EXPECT_EQ(s.failed_spans, 0u);
}

// R8.19: every retryable code of the OTLP specification is retried.
TEST(OtlpGrpcExporter, RetriesEachRetryableCodeOfTheSpecification) {
  for (const int code : {cancelled, deadline_exceeded, aborted, out_of_range, data_loss}) {
    SCOPED_TRACE(code);
    grpc_receiver rx(fail_first(1, code));
    grpc_exporter exp(fast_options(rx.endpoint()));
    batch_fixture b(1);
    EXPECT_EQ(exp.export_spans(b.ptrs), sdk::export_result::success);
    EXPECT_EQ(rx.request_count(), 2u);
  }
}

// R8.19: the other codes fail at once, reported with the receiver's message.
TEST(OtlpGrpcExporter, OtherCodesFailAtOnceWithoutRetry) {
  for (const int code : {invalid_argument, permission_denied, unimplemented}) {
    SCOPED_TRACE(code);
    ctxflow::testing::diagnostics_capture diags;
    grpc_receiver rx([code](std::size_t) { return answer(code); });
    grpc_exporter exp(fast_options(rx.endpoint()));
    batch_fixture b(2);
    EXPECT_EQ(exp.export_spans(b.ptrs), sdk::export_result::failure);
    EXPECT_EQ(rx.request_count(), 1u);
    EXPECT_EQ(exp.stats().failed_spans, 2u);
    EXPECT_EQ(diags.count("otlp.export.rejected"), 1u);
    EXPECT_EQ(diags.count("otlp.export.failed"), 1u);
  }
}

// R8.19: RESOURCE_EXHAUSTED without RetryInfo is final.
TEST(OtlpGrpcExporter, ResourceExhaustedWithoutRetryInfoIsNotRetried) {
  grpc_receiver rx([](std::size_t) { return answer(resource_exhausted); });
  grpc_exporter exp(fast_options(rx.endpoint()));
  batch_fixture b(1);
  EXPECT_EQ(exp.export_spans(b.ptrs), sdk::export_result::failure);
  EXPECT_EQ(rx.request_count(), 1u);
}

// R8.19: RESOURCE_EXHAUSTED with RetryInfo is retried after the delay it asks for (the backoff
// is 0 here, so only the RetryInfo can make the exporter wait).
TEST(OtlpGrpcExporter, ResourceExhaustedWithRetryInfoIsRetriedAfterItsDelay) {
  grpc_receiver rx([](std::size_t i) {
    return i == 0 ? answer(resource_exhausted, 300ms) : grpc_answer{};
  });
  auto o = fast_options(rx.endpoint());
  o.retry.initial_backoff = 0ms;
  grpc_exporter exp(o);
  batch_fixture b(1);
  const auto start = steady::now();
  EXPECT_EQ(exp.export_spans(b.ptrs), sdk::export_result::success);
  EXPECT_GE(elapsed_ms(start), 300);
  EXPECT_EQ(rx.request_count(), 2u);
  EXPECT_EQ(exp.stats().retries, 1u);
}

// R8.12: a RetryInfo delay beyond the export timeout fails the export without waiting.
TEST(OtlpGrpcExporter, ARetryInfoDelayPastTheTimeoutFailsWithoutWaiting) {
  ctxflow::testing::diagnostics_capture diags;
  grpc_receiver rx([](std::size_t) { return answer(unavailable, 60s); });
  auto o = fast_options(rx.endpoint());
  o.timeout = 2000ms;
  grpc_exporter exp(o);
  batch_fixture b(1);
  const auto start = steady::now();
  EXPECT_EQ(exp.export_spans(b.ptrs), sdk::export_result::failure);
  EXPECT_LT(elapsed_ms(start), 2000);
  EXPECT_EQ(rx.request_count(), 1u);
  EXPECT_EQ(diags.count("otlp.export.failed"), 1u);
}

// R8.10: a partial success is a success whose rejected spans are counted and reported.
TEST(OtlpGrpcExporter, APartialSuccessIsCountedAndReported) {
  ctxflow::testing::diagnostics_capture diags;
  grpc_receiver rx([](std::size_t) {
    grpc_answer a;
    a.rejected_spans = 2;
    a.partial_message = "two spans too old";
    return a;
  });
  grpc_exporter exp(fast_options(rx.endpoint()));
  batch_fixture b(5);
  EXPECT_EQ(exp.export_spans(b.ptrs), sdk::export_result::success);
  const auto s = exp.stats();
  EXPECT_EQ(s.exported_spans, 3u);
  EXPECT_EQ(s.rejected_spans, 2u);
  EXPECT_EQ(s.failed_spans, 2u);
  EXPECT_EQ(s.retries, 0u);
  ASSERT_EQ(diags.count("otlp.export.partial_success"), 1u);
}

// R8.12: nothing listens; the export fails within its timeout, after retrying.
TEST(OtlpGrpcExporter, ADeadCollectorFailsWithinTheExportTimeout) {
  ctxflow::testing::diagnostics_capture diags;
  auto o = fast_options(dead_endpoint());
  o.timeout = 1500ms;
  o.retry.max_attempts = 100;
  grpc_exporter exp(o);
  batch_fixture b(3);
  const auto start = steady::now();
  EXPECT_EQ(exp.export_spans(b.ptrs), sdk::export_result::failure);
  EXPECT_LT(elapsed_ms(start), 1500 + 1000);
  EXPECT_GE(exp.stats().requests, 2u);
  EXPECT_EQ(exp.stats().failed_spans, 3u);
  EXPECT_EQ(diags.count("otlp.export.failed"), 1u);
}

// R8.12: a receiver slower than the export timeout: the call's deadline ends it.
TEST(OtlpGrpcExporter, ASlowReceiverIsCutAtTheExportTimeout) {
  grpc_receiver rx(slow(10s));
  auto o = fast_options(rx.endpoint());
  o.timeout = 500ms;
  grpc_exporter exp(o);
  batch_fixture b(1);
  const auto start = steady::now();
  EXPECT_EQ(exp.export_spans(b.ptrs), sdk::export_result::failure);
  EXPECT_LT(elapsed_ms(start), 500 + 1500);
  EXPECT_EQ(rx.request_count(), 1u);  // no time was left for a second attempt
}

// The processor's bound in a flush or shutdown drain: one attempt, no retry.
TEST(OtlpGrpcExporter, ADrainGetsOneAttemptAndNoRetry) {
  ctxflow::testing::diagnostics_capture diags;
  grpc_receiver rx([](std::size_t) { return answer(unavailable); });
  grpc_exporter exp(fast_options(rx.endpoint()));
  batch_fixture b(2);
  sdk::export_limits limits;
  limits.single_attempt = true;
  limits.deadline = steady::now() + 2s;
  EXPECT_EQ(exp.export_spans_within(b.ptrs, limits), sdk::export_result::failure);
  EXPECT_EQ(rx.request_count(), 1u);
  for (const auto& d : diags.records())  // at debug level: the processor reports the drain
    if (d.code == "otlp.export.failed") {
      EXPECT_EQ(d.level, severity::debug);
    }
}

// A flush or shutdown that starts during a backoff wait ends it: no more retries.
TEST(OtlpGrpcExporter, AnInterruptDuringTheBackoffEndsTheExportWithoutRetrying) {
  grpc_receiver rx([](std::size_t) { return answer(unavailable, 10s); });
  auto o = fast_options(rx.endpoint());
  o.timeout = 30s;
  grpc_exporter exp(o);
  batch_fixture b(1);
  std::stop_source stop;
  sdk::export_limits limits;
  limits.interrupt = stop.get_token();
  auto result =
      std::async(std::launch::async, [&] { return exp.export_spans_within(b.ptrs, limits); });
  ASSERT_TRUE(rx.wait_for_requests(1, 5s));
  std::this_thread::sleep_for(50ms);
  const auto start = steady::now();
  stop.request_stop();
  ASSERT_EQ(result.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(result.get(), sdk::export_result::failure);
  EXPECT_LT(elapsed_ms(start), 2000);
  EXPECT_EQ(rx.request_count(), 1u);
}

// Shutdown ends a backoff wait at once, and later exports fail without a call.
TEST(OtlpGrpcExporter, ShutdownEndsABackoffWaitAndLaterExportsFailWithoutACall) {
  grpc_receiver rx([](std::size_t) { return answer(unavailable, 10s); });
  auto o = fast_options(rx.endpoint());
  o.timeout = 30s;
  grpc_exporter exp(o);
  batch_fixture b(1);
  auto result = std::async(std::launch::async, [&] { return exp.export_spans(b.ptrs); });
  ASSERT_TRUE(rx.wait_for_requests(1, 5s));
  std::this_thread::sleep_for(50ms);
  const auto start = steady::now();
  EXPECT_TRUE(exp.shutdown(5000ms));
  EXPECT_LT(elapsed_ms(start), 2000);
  ASSERT_EQ(result.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(result.get(), sdk::export_result::failure);
  EXPECT_EQ(exp.export_spans(b.ptrs), sdk::export_result::failure);
  EXPECT_EQ(rx.request_count(), 1u);
}

// Shutdown waits for a call in flight up to its timeout, then cancels it; no retry follows.
TEST(OtlpGrpcExporter, ShutdownCancelsACallInFlightAfterItsTimeout) {
  grpc_receiver rx(slow(10s));
  auto o = fast_options(rx.endpoint());
  o.timeout = 30s;
  grpc_exporter exp(o);
  batch_fixture b(1);
  auto result = std::async(std::launch::async, [&] { return exp.export_spans(b.ptrs); });
  ASSERT_TRUE(rx.wait_for_requests(1, 5s));
  const auto start = steady::now();
  EXPECT_FALSE(exp.shutdown(200ms));
  ASSERT_EQ(result.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(result.get(), sdk::export_result::failure);
  EXPECT_LT(elapsed_ms(start), 3000);
  EXPECT_EQ(rx.request_count(), 1u);
}

/// A self-signed certificate for 127.0.0.1 and localhost, made with the openssl command in a
/// temporary directory removed at the end.
class self_signed_certificate {
 public:
  self_signed_certificate() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "ctxflow-grpc-tls-XXXXXX").string();
    if (!mkdtemp(pattern.data())) return;
    dir_ = pattern;
    const std::string line =
        "cd '" + dir_.string() +
        "' && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
        " -keyout key.pem -out cert.pem -days 2 -subj /CN=localhost"
        " -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1'"
        " -addext 'extendedKeyUsage=serverAuth' >openssl.log 2>&1";
    ok_ = std::system(line.c_str()) == 0;
  }
  ~self_signed_certificate() {
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }
  self_signed_certificate(const self_signed_certificate&) = delete;
  self_signed_certificate& operator=(const self_signed_certificate&) = delete;

  bool ok() const { return ok_; }
  std::string path(const char* name) const { return (dir_ / name).string(); }
  std::string read(const char* name) const {
    std::ifstream in(dir_ / name);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

 private:
  std::filesystem::path dir_;
  bool ok_ = false;
};

// R8.17: an https:// endpoint is TLS, trusting the CERTIFICATE file; without it the receiver's
// self-signed certificate is not trusted and nothing is delivered.
TEST(OtlpGrpcExporter, AnHttpsEndpointUsesTlsTrustingTheCertificateFile) {
  self_signed_certificate cert;
  ASSERT_TRUE(cert.ok()) << cert.read("openssl.log");
  grpc_receiver rx({}, true, std::make_pair(cert.read("cert.pem"), cert.read("key.pem")));
  ASSERT_EQ(rx.endpoint().rfind("https://", 0), 0u);
  batch_fixture b(2);
  {
    auto o = fast_options(rx.endpoint());
    o.ca_certificate_path = cert.path("cert.pem");
    grpc_exporter exp(o);
    EXPECT_EQ(exp.export_spans(b.ptrs), sdk::export_result::success);
    EXPECT_EQ(rx.span_count(), 2u);
  }
  {
    ctxflow::testing::diagnostics_capture diags;
    auto o = fast_options(rx.endpoint());
    o.retry.max_attempts = 1;
    grpc_exporter untrusting(o);
    EXPECT_EQ(untrusting.export_spans(b.ptrs), sdk::export_result::failure);
    EXPECT_EQ(rx.span_count(), 2u);
  }
}

// R8.16, R10: OTEL_TRACES_EXPORTER=otlp with OTEL_EXPORTER_OTLP_PROTOCOL=grpc sends the spans
// of sdk::init over gRPC, to the endpoint as given.
TEST(OtlpGrpcExporter, ProtocolGrpcMakesInitExportOverGrpc) {
  grpc_receiver rx;
  ::setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc", 1);
  {
    auto exporter = sdk::make_exporter("otlp");
    EXPECT_NE(dynamic_cast<grpc_exporter*>(exporter.get()), nullptr);
  }
  export_two_spans_through_init(rx.endpoint(), "grpc");
  ASSERT_TRUE(rx.wait_for_requests(1, 5000ms));
  EXPECT_EQ(rx.span_count(), 2u);
}

// The traces variable wins; with it unset, "otlp" stays the OTLP/HTTP exporter.
TEST(OtlpGrpcExporter, TheTracesProtocolVariableSelectsTheTransport) {
  ::setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf", 1);
  ::setenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc", 1);
  {
    auto exporter = sdk::make_exporter("otlp");
    EXPECT_NE(dynamic_cast<grpc_exporter*>(exporter.get()), nullptr);
  }
  ::unsetenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL");
  {
    auto exporter = sdk::make_exporter("otlp");
    ASSERT_NE(exporter, nullptr);
    EXPECT_EQ(dynamic_cast<grpc_exporter*>(exporter.get()), nullptr);
  }
  ::unsetenv("OTEL_EXPORTER_OTLP_PROTOCOL");
}

// R10: the environment: endpoint as given (no /v1/traces), the shared variables, INSECURE.
TEST(OtlpGrpcExporterOptions, FromEnvironmentUsesTheEndpointAsGivenAndTheSharedVariables) {
  {
    const auto o = grpc_exporter_options::from_environment();
    EXPECT_EQ(o.endpoint, "http://localhost:4317");
    EXPECT_FALSE(o.insecure);
  }
  ::setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4317", 1);
  ::setenv("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "api-key=abc", 1);
  ::setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "2500", 1);
  ::setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip", 1);
  ::setenv("OTEL_EXPORTER_OTLP_CERTIFICATE", "/etc/ca.pem", 1);
  ::setenv("OTEL_EXPORTER_OTLP_INSECURE", "true", 1);
  const auto o = grpc_exporter_options::from_environment();
  EXPECT_EQ(o.endpoint, "https://collector:4317");
  ASSERT_EQ(o.headers.size(), 1u);
  EXPECT_EQ(o.headers[0], (http_header{"api-key", "abc"}));
  EXPECT_EQ(o.timeout, 2500ms);
  EXPECT_EQ(o.compression, otlp_compression::gzip);
  EXPECT_EQ(o.ca_certificate_path, "/etc/ca.pem");
  EXPECT_TRUE(o.insecure);
  for (const char* v : {"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
                        "OTEL_EXPORTER_OTLP_TIMEOUT", "OTEL_EXPORTER_OTLP_COMPRESSION",
                        "OTEL_EXPORTER_OTLP_CERTIFICATE", "OTEL_EXPORTER_OTLP_INSECURE"})
    ::unsetenv(v);
}

TEST(OtlpGrpcExporterOptions, AnUnusableEndpointVariableIsReportedAndCountsAsUnset) {
  ctxflow::testing::diagnostics_capture diags;
  ::setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "ftp://collector", 1);
  ::setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://good:4317", 1);
  EXPECT_EQ(grpc_exporter_options::from_environment().endpoint, "http://good:4317");
  EXPECT_EQ(diags.count("otlp.config.invalid"), 1u);
  ::unsetenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  ::unsetenv("OTEL_EXPORTER_OTLP_ENDPOINT");
}

TEST(OtlpGrpcExporterOptions, TheSchemeDecidesTlsAndThePathIsIgnored) {
  auto t = resolve_grpc_target("http://collector:4317/v1/traces", false);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->target, "collector:4317");
  EXPECT_TRUE(t->plaintext);
  t = resolve_grpc_target("HTTPS://[::1]:4317", true);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->target, "[::1]:4317");
  EXPECT_FALSE(t->plaintext);
  t = resolve_grpc_target("collector:4317", false);
  ASSERT_TRUE(t);
  EXPECT_FALSE(t->plaintext);
  EXPECT_TRUE(resolve_grpc_target("collector:4317", true)->plaintext);
  EXPECT_FALSE(resolve_grpc_target("ftp://collector", false));
  EXPECT_FALSE(resolve_grpc_target("http://", false));
  EXPECT_FALSE(resolve_grpc_target("http://host:99999", false));
}

// R8.19: the RetryInfo of a google.rpc.Status, as the grpc-status-details-bin trailer has it.
TEST(OtlpGrpcRetryInfo, TheDelayOfARetryInfoDetailIsRead) {
  const auto st = parse_rpc_status_protobuf(status_details_with_retry_info(8, "slow down", 1500ms));
  ASSERT_TRUE(st);
  EXPECT_EQ(st->code, 8);
  EXPECT_EQ(st->message, "slow down");
  ASSERT_TRUE(st->retry_delay);
  EXPECT_EQ(*st->retry_delay, 1500ms);
}

TEST(OtlpGrpcRetryInfo, MalformedDetailsCountAsAbsent) {
  const std::string good = status_details_with_retry_info(14, "x", 2s);
  for (std::size_t cut = 1; cut < good.size(); ++cut) {
    const auto st = parse_rpc_status_protobuf(std::string_view(good).substr(0, cut));
    EXPECT_TRUE(!st || !st->retry_delay || *st->retry_delay <= 2s) << cut;
  }
  EXPECT_FALSE(parse_rpc_status_protobuf(std::string("\x1a\x05\x0a\x03", 4)));   // short Any
  EXPECT_FALSE(parse_rpc_status_protobuf(std::string("\x1a\xff\xff\xff\xff\x0f", 6)));
  // An Any of another type carries no delay.
  const std::string other = std::string("\x1a\x08\x0a\x04type\x12\x00", 10);
  const auto st = parse_rpc_status_protobuf(other);
  ASSERT_TRUE(st);
  EXPECT_FALSE(st->retry_delay);
}

}  // namespace
}  // namespace ctxflow::exporters::otlp
