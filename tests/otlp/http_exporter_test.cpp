// SPDX-License-Identifier: Apache-2.0
// The OTLP/HTTP exporter against a real loopback receiver (tests/otlp/loopback_receiver.hpp):
// encodings, headers, keep-alive, and the fault modes of R8.10-R8.12 (down then up, 503 + Retry-After,
// 429, 400, slow, partial success, dropped connections) with exact attempt counts and bounded
// time.
#include "ctxflow/exporters/otlp/http_exporter.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <ctime>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "ctxflow/sdk/exporter_registry.hpp"
#include "ctxflow/testing/diagnostics_capture.hpp"
#include "loopback_receiver.hpp"
#include "span_fixtures.hpp"

namespace ctxflow::exporters::otlp {
namespace {

using namespace ctxflow::exporters::otlp::testing;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

/// Options for fast tests: short backoff, a bounded export timeout.
http_exporter_options fast_options(const loopback_receiver& rx) {
  http_exporter_options o;
  o.endpoint = rx.endpoint();
  o.timeout = 5000ms;
  o.connect_timeout = 1000ms;
  o.retry.max_attempts = 5;
  o.retry.initial_backoff = 50ms;
  o.retry.max_backoff = 200ms;
  return o;
}

canned_response status(int code) {
  canned_response r;
  r.status = code;
  return r;
}

long long elapsed_ms(steady::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - since).count();
}

// R8.6, R8.7, R8.9: POST /v1/traces, protobuf content type, User-Agent, custom headers.
TEST(OtlpHttpExporter, PostsProtobufThatTheReceiverDecodesWithTheRightHeaders) {
  loopback_receiver rx;
  auto o = fast_options(rx);
  o.headers = {{"x-api-key", "secret value"}};
  http_exporter exp(o);
  batch_fixture b(5);
  ASSERT_EQ(exp.export_spans(b.ptrs), sdk::export_result::success);
  const auto reqs = rx.requests();
  ASSERT_EQ(reqs.size(), 1u);
  const auto& r = reqs[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/v1/traces");
  EXPECT_EQ(r.headers.at("content-type"), "application/x-protobuf");
  EXPECT_EQ(r.headers.at("user-agent").rfind("ctxflow-OTLP-Exporter-Cpp/", 0), 0u);
  EXPECT_EQ(r.headers.at("x-api-key"), "secret value");
  EXPECT_EQ(r.headers.count("content-encoding"), 0u);
  ASSERT_TRUE(r.decoded);
  EXPECT_EQ(r.span_names, (std::vector<std::string>{"span-0", "span-1", "span-2", "span-3",
                                                    "span-4"}));
  const auto st = exp.stats();
  EXPECT_EQ(st.exported_spans, 5u);
  EXPECT_EQ(st.failed_spans, 0u);
  EXPECT_EQ(st.requests, 1u);
}

// R8.4, R8.7: http/json sends application/json that a JSON parser decodes.
TEST(OtlpHttpExporter, JsonProtocolSendsOtlpJson) {
  loopback_receiver rx([](const received_request&, std::size_t) {
    canned_response r;
    r.content_type = "application/json";
    r.body = "{}";
    return r;
  });
  auto o = fast_options(rx);
  o.protocol = http_protocol::http_json;
  http_exporter exp(o);
  batch_fixture b(3);
  ASSERT_EQ(exp.export_spans(b.ptrs), sdk::export_result::success);
  const auto reqs = rx.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].headers.at("content-type"), "application/json");
  ASSERT_TRUE(reqs[0].decoded);
  EXPECT_EQ(reqs[0].span_names.size(), 3u);
}

// R8.7: gzip body with Content-Encoding: gzip, undone by zlib on the receiver.
TEST(OtlpHttpExporter, GzipCompressedBodiesDecompressToTheSameRequest) {
  loopback_receiver rx;
  auto o = fast_options(rx);
  o.compression = http_compression::gzip;
  http_exporter exp(o);
  batch_fixture b(20);
  ASSERT_EQ(exp.export_spans(b.ptrs), sdk::export_result::success);
  const auto reqs = rx.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].headers.at("content-encoding"), "gzip");
  EXPECT_LT(reqs[0].body.size(), reqs[0].payload.size());
  ASSERT_TRUE(reqs[0].decoded);
  EXPECT_EQ(reqs[0].span_names.size(), 20u);
}

// R8.7: connections are kept alive between exports.
TEST(OtlpHttpExporter, SuccessiveExportsReuseOneConnection) {
  loopback_receiver rx;
  http_exporter exp(fast_options(rx));
  batch_fixture b(2);
  for (int i = 0; i < 4; ++i) ASSERT_EQ(exp.export_spans(b.ptrs), sdk::export_result::success);
  EXPECT_EQ(rx.request_count(), 4u);
  EXPECT_EQ(rx.connections_accepted(), 1u);
}

// R8.3: nothing is sent for an empty batch.
TEST(OtlpHttpExporter, AnEmptyBatchSendsNothing) {
  loopback_receiver rx;
  http_exporter exp(fast_options(rx));
  EXPECT_EQ(exp.export_spans({}), sdk::export_result::success);
  EXPECT_EQ(rx.request_count(), 0u);
}

// R8.11: a connection failure is retried with backoff; spans arrive once the receiver is back.
TEST(OtlpHttpExporter, ACollectorThatIsDownThenUpReceivesTheSpansAfterRecovery) {
  loopback_receiver rx;
  rx.go_down();
  auto o = fast_options(rx);
  o.retry.max_attempts = 20;
  http_exporter exp(o);
  batch_fixture b(4);
  std::thread revive([&] {
    std::this_thread::sleep_for(400ms);
    rx.come_up();
  });
  const auto start = steady::now();
  const auto result = exp.export_spans(b.ptrs);
  revive.join();
  EXPECT_EQ(result, sdk::export_result::success);
  EXPECT_GE(elapsed_ms(start), 350);
  EXPECT_LT(elapsed_ms(start), 5000);
  EXPECT_EQ(rx.request_count(), 1u);  // only the successful attempt reached it
  EXPECT_EQ(rx.span_count(), 4u);
  const auto st = exp.stats();
  EXPECT_GE(st.requests, 2u);
  EXPECT_EQ(st.retries, st.requests - 1);
  EXPECT_EQ(st.exported_spans, 4u);
}

// R8.12: 503 with Retry-After in seconds waits that long, then retries once.
TEST(OtlpHttpExporter, A503WithRetryAfterSecondsIsRetriedAfterThatDelay) {
  loopback_receiver rx([](const received_request&, std::size_t i) {
    if (i > 0) return status(200);
    auto r = status(503);
    r.headers = {{"Retry-After", "1"}};
    return r;
  });
  http_exporter exp(fast_options(rx));
  batch_fixture b(2);
  const auto start = steady::now();
  EXPECT_EQ(exp.export_spans(b.ptrs), sdk::export_result::success);
  EXPECT_GE(elapsed_ms(start), 950);
  EXPECT_LT(elapsed_ms(start), 3000);
  EXPECT_EQ(rx.request_count(), 2u);
  EXPECT_EQ(exp.stats().retries, 1u);
  EXPECT_EQ(exp.stats().exported_spans, 2u);  // counted once, not per attempt (R7.26)
}

// R8.12: Retry-After as an HTTP-date.
TEST(OtlpHttpExporter, A429WithAnHttpDateRetryAfterWaitsUntilThatDate) {
  loopback_receiver rx([](const received_request&, std::size_t i) {
    if (i > 0) return status(200);
    const std::time_t when = std::time(nullptr) + 2;
    std::tm tm{};
    gmtime_r(&when, &tm);
    char date[64];
    std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    auto r = status(429);
    r.headers = {{"Retry-After", date}};
    return r;
  });
  http_exporter exp(fast_options(rx));
  batch_fixture b(1);
  const auto start = steady::now();
  EXPECT_EQ(exp.export_spans(b.ptrs), sdk::export_result::success);
  EXPECT_GE(elapsed_ms(start), 900);  // at least one whole second of the two
  EXPECT_LT(elapsed_ms(start), 4000);
  EXPECT_EQ(rx.request_count(), 2u);
}

// R8.12 [D]: a Retry-After beyond the export timeout ends the export at once.
TEST(OtlpHttpExporter, ARetryAfterPastTheExportTimeoutFailsWithoutWaiting) {
  loopback_receiver rx([](const received_request&, std::size_t) {
    auto r = status(503);
    r.headers = {{"Retry-After", "30"}};
    return r;
  });
  auto o = fast_options(rx);
  o.timeout = 2000ms;
  http_exporter exp(o);
  batch_fixture b(3);
  ctxflow::testing::diagnostics_capture diags;
  const auto start = steady::now();
  EXPECT_EQ(exp.export_spans(b.ptrs), sdk::export_result::failure);
  EXPECT_LT(elapsed_ms(start), 1000);
  EXPECT_EQ(rx.request_count(), 1u);
  EXPECT_EQ(diags.count("otlp.export.failed"), 1u);
  EXPECT_EQ(exp.stats().failed_spans, 3u);
}

// R8.11, R8.12: 429 without Retry-After uses backoff and stops after max_attempts.
TEST(OtlpHttpExporter, PersistentThrottlingStopsAfterExactlyMaxAttempts) {
  loopback_receiver rx([](const received_request&, std::size_t) { return status(429); });
  auto o = fast_options(rx);
  o.retry.max_attempts = 3;
  http_exporter exp(o);
  batch_fixture b(2);
  ctxflow::testing::diagnostics_capture diags;
  const auto start = steady::now();
  EXPECT_EQ(exp.export_spans(b.ptrs), sdk::export_result::failure);
  EXPECT_LT(elapsed_ms(start), 2000);
  EXPECT_EQ(rx.request_count(), 3u);
  EXPECT_EQ(exp.stats().requests, 3u);
  EXPECT_EQ(exp.stats().retries, 2u);
  EXPECT_EQ(diags.count("otlp.export.failed"), 1u);
  EXPECT_EQ(diags.count("otlp.export.retry"), 2u);
}

// R8.11: 502 and 504 are retried too.
TEST(OtlpHttpExporter, GatewayErrorsAreRetried) {
  loopback_receiver rx([](const received_request&, std::size_t i) {
    return status(i == 0 ? 502 : i == 1 ? 504 : 200);
  });
  http_exporter exp(fast_options(rx));
  batch_fixture b(1);
  EXPECT_EQ(exp.export_spans(b.ptrs), sdk::export_result::success);
  EXPECT_EQ(rx.request_count(), 3u);
}

// R8.11: 400 is never retried; the receiver's google.rpc.Status message is reported.
TEST(OtlpHttpExporter, BadRequestIsNotRetriedAndItsMessageIsReported) {
  loopback_receiver rx([](const received_request&, std::size_t) {
    auto r = status(400);
    r.body = rpc_status_body(3, "span name missing");
    return r;
  });
  http_exporter exp(fast_options(rx));
  batch_fixture b(2);
  ctxflow::testing::diagnostics_capture diags;
  EXPECT_EQ(exp.export_spans(b.ptrs), sdk::export_result::failure);
  EXPECT_EQ(rx.request_count(), 1u);
  ASSERT_EQ(diags.count("otlp.export.rejected"), 1u);
  bool found = false;
  for (const auto& d : diags.records())
    found = found || (d.code == "otlp.export.rejected" &&
                      d.message.find("span name missing") != std::string::npos);
  EXPECT_TRUE(found);
  EXPECT_EQ(exp.stats().failed_spans, 2u);
}

// R8.11: other 5xx codes are not retried either.
TEST(OtlpHttpExporter, InternalServerErrorIsNotRetried) {
  loopback_receiver rx([](const received_request&, std::size_t) { return status(500); });
  http_exporter exp(fast_options(rx));
  batch_fixture b(1);
  EXPECT_EQ(exp.export_spans(b.ptrs), sdk::export_result::failure);
  EXPECT_EQ(rx.request_count(), 1u);
}

// R8.11 [D]: redirects are not followed and the export fails.
TEST(OtlpHttpExporter, RedirectsAreNotFollowed) {
  loopback_receiver rx([](const received_request&, std::size_t) {
    auto r = status(307);
    r.headers = {{"Location", "/elsewhere"}};
    return r;
  });
  http_exporter exp(fast_options(rx));
  batch_fixture b(1);
  EXPECT_EQ(exp.export_spans(b.ptrs), sdk::export_result::failure);
  EXPECT_EQ(rx.request_count(), 1u);
}

// R7.24, R8.12: a receiver slower than the export timeout fails the export within it.
TEST(OtlpHttpExporter, ASlowReceiverTimesOutWithinTheExportTimeout) {
  loopback_receiver rx([](const received_request&, std::size_t) {
    auto r = status(200);
    r.delay = 3000ms;
    return r;
  });
  auto o = fast_options(rx);
  o.timeout = 400ms;
  http_exporter exp(o);
  batch_fixture b(2);
  ctxflow::testing::diagnostics_capture diags;
  const auto start = steady::now();
  EXPECT_EQ(exp.export_spans(b.ptrs), sdk::export_result::failure);
  EXPECT_GE(elapsed_ms(start), 350);
  EXPECT_LT(elapsed_ms(start), 1500);
  EXPECT_EQ(rx.request_count(), 1u);
  EXPECT_EQ(diags.count("otlp.export.failed"), 1u);
}

// R8.10: partial success is a success, not retried; rejected spans are counted and reported.
TEST(OtlpHttpExporter, PartialSuccessCountsRejectedSpansAndIsNotRetried) {
  loopback_receiver rx([](const received_request&, std::size_t) {
    auto r = status(200);
    r.body = partial_success_body(2, "2 spans too old");
    return r;
  });
  http_exporter exp(fast_options(rx));
  batch_fixture b(5);
  ctxflow::testing::diagnostics_capture diags;
  EXPECT_EQ(exp.export_spans(b.ptrs), sdk::export_result::success);
  EXPECT_EQ(rx.request_count(), 1u);
  const auto st = exp.stats();
  EXPECT_EQ(st.rejected_spans, 2u);
  EXPECT_EQ(st.failed_spans, 2u);
  EXPECT_EQ(st.exported_spans, 3u);
  ASSERT_EQ(diags.count("otlp.export.partial_success"), 1u);
  EXPECT_NE(diags.records().back().message.find("2 spans too old"), std::string::npos);
}

// R8.10: a JSON partial success is read the same way.
TEST(OtlpHttpExporter, JsonPartialSuccessIsRead) {
  loopback_receiver rx([](const received_request&, std::size_t) {
    auto r = status(200);
    r.content_type = "application/json";
    r.body = R"({"partialSuccess":{"rejectedSpans":"1","errorMessage":"dup"}})";
    return r;
  });
  auto o = fast_options(rx);
  o.protocol = http_protocol::http_json;
  http_exporter exp(o);
  batch_fixture b(2);
  EXPECT_EQ(exp.export_spans(b.ptrs), sdk::export_result::success);
  EXPECT_EQ(exp.stats().rejected_spans, 1u);
}

// R8.11: a dropped connection without a response is retried.
TEST(OtlpHttpExporter, AConnectionDroppedWithoutAnswerIsRetried) {
  loopback_receiver rx([](const received_request&, std::size_t i) {
    canned_response r;
    r.drop_connection = i == 0;
    return r;
  });
  http_exporter exp(fast_options(rx));
  batch_fixture b(1);
  EXPECT_EQ(exp.export_spans(b.ptrs), sdk::export_result::success);
  EXPECT_EQ(rx.request_count(), 2u);
}

// R8.8: an oversize request is not sent, and the drop is reported.
TEST(OtlpHttpExporter, ARequestOverTheSizeLimitIsDroppedWithoutSending) {
  loopback_receiver rx;
  auto o = fast_options(rx);
  o.max_request_size = 100;
  http_exporter exp(o);
  batch_fixture b(3);
  ctxflow::testing::diagnostics_capture diags;
  EXPECT_EQ(exp.export_spans(b.ptrs), sdk::export_result::failure);
  EXPECT_EQ(rx.request_count(), 0u);
  EXPECT_EQ(diags.count("otlp.export.too_large"), 1u);
  EXPECT_EQ(exp.stats().failed_spans, 3u);
}

// R8.8: a response over the limit is a non-retryable failure.
TEST(OtlpHttpExporter, AResponseOverTheSizeLimitFailsWithoutRetry) {
  loopback_receiver rx([](const received_request&, std::size_t) {
    auto r = status(200);
    r.body = std::string(5000, 'x');
    return r;
  });
  auto o = fast_options(rx);
  o.max_response_size = 1000;
  http_exporter exp(o);
  batch_fixture b(1);
  EXPECT_EQ(exp.export_spans(b.ptrs), sdk::export_result::failure);
  EXPECT_EQ(rx.request_count(), 1u);
}

// R7.24: after shutdown, exports fail fast without a request.
TEST(OtlpHttpExporter, ExportsAfterShutdownFailFastWithoutARequest) {
  loopback_receiver rx;
  http_exporter exp(fast_options(rx));
  batch_fixture b(2);
  EXPECT_TRUE(exp.shutdown(1000ms));
  const auto start = steady::now();
  EXPECT_EQ(exp.export_spans(b.ptrs), sdk::export_result::failure);
  EXPECT_LT(elapsed_ms(start), 100);
  EXPECT_EQ(rx.request_count(), 0u);
  EXPECT_EQ(exp.stats().failed_spans, 2u);
}

// Shutdown interrupts a backoff wait on another thread instead of waiting it out.
TEST(OtlpHttpExporter, ShutdownInterruptsARetryWaitInProgress) {
  loopback_receiver rx([](const received_request&, std::size_t) {
    auto r = status(503);
    r.headers = {{"Retry-After", "8"}};
    return r;
  });
  auto o = fast_options(rx);
  o.timeout = 20000ms;
  http_exporter exp(o);
  batch_fixture b(2);
  const auto start = steady::now();
  auto result = std::async(std::launch::async, [&] { return exp.export_spans(b.ptrs); });
  ASSERT_TRUE(rx.wait_for_requests(1, 5000ms));
  EXPECT_TRUE(exp.shutdown(2000ms));
  EXPECT_EQ(result.get(), sdk::export_result::failure);
  EXPECT_LT(elapsed_ms(start), 3000);
  EXPECT_EQ(rx.request_count(), 1u);
}

// Shutdown aborts a request still in flight when its timeout runs out.
TEST(OtlpHttpExporter, ShutdownAbortsARequestStuckInFlight) {
  loopback_receiver rx([](const received_request&, std::size_t) {
    auto r = status(200);
    r.delay = 10000ms;
    return r;
  });
  auto o = fast_options(rx);
  o.timeout = 30000ms;
  auto exp = std::make_unique<http_exporter>(o);
  batch_fixture b(1);
  const auto start = steady::now();
  auto result = std::async(std::launch::async, [&] { return exp->export_spans(b.ptrs); });
  ASSERT_TRUE(rx.wait_for_requests(1, 5000ms));
  EXPECT_FALSE(exp->shutdown(100ms));  // still running when the timeout ran out
  EXPECT_EQ(result.get(), sdk::export_result::failure);
  exp.reset();
  EXPECT_LT(elapsed_ms(start), 4000);
}

// The "otlp" factory builds an exporter from the environment (OTEL_TRACES_EXPORTER=otlp).
TEST(OtlpHttpExporter, TheRegisteredFactoryUsesTheEnvironmentEndpoint) {
  loopback_receiver rx;
  const std::string base = "http://127.0.0.1:" + std::to_string(rx.port());
  ::setenv("OTEL_EXPORTER_OTLP_ENDPOINT", base.c_str(), 1);
  ::setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json", 1);
  register_exporter();
  auto exp = sdk::make_exporter("otlp");
  ::unsetenv("OTEL_EXPORTER_OTLP_ENDPOINT");
  ::unsetenv("OTEL_EXPORTER_OTLP_PROTOCOL");
  ASSERT_NE(exp, nullptr);
  batch_fixture b(2);
  EXPECT_EQ(exp->export_spans(b.ptrs), sdk::export_result::success);
  const auto reqs = rx.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].target, "/v1/traces");
  EXPECT_EQ(reqs[0].headers.at("content-type"), "application/json");
  EXPECT_EQ(reqs[0].span_names.size(), 2u);
}

}  // namespace
}  // namespace ctxflow::exporters::otlp
