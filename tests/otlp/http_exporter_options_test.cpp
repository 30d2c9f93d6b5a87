// SPDX-License-Identifier: Apache-2.0
// OTLP/HTTP exporter configuration: endpoint resolution vectors (R8.14), header lists (R8.15),
// protocol (R8.16), env precedence and parsing rules (R10, R10.1), Retry-After (R8.12) and the
// User-Agent (R8.9).
#include "ctxflow/exporters/otlp/http_exporter_options.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <ctime>

#include "ctxflow/testing/diagnostics_capture.hpp"

namespace ctxflow::exporters::otlp {
namespace {

using namespace std::chrono_literals;

/// Sets env variables for one test and clears every OTLP variable afterwards.
class env_guard {
 public:
  env_guard() { clear(); }
  ~env_guard() { clear(); }
  void set(const char* name, const char* value) { ::setenv(name, value, 1); }

 private:
  static void clear() {
    for (const char* suffix : {"ENDPOINT", "HEADERS", "TIMEOUT", "PROTOCOL", "COMPRESSION",
                               "CERTIFICATE", "CLIENT_KEY", "CLIENT_CERTIFICATE"}) {
      ::unsetenv((std::string("OTEL_EXPORTER_OTLP_") + suffix).c_str());
      ::unsetenv((std::string("OTEL_EXPORTER_OTLP_TRACES_") + suffix).c_str());
    }
    ::unsetenv("OTEL_CONFIG_FILE");
  }
};

// R8.14 vectors.
TEST(OtlpEndpoint, TheSpecVectorsResolveAsWritten) {
  EXPECT_EQ(resolve_traces_endpoint(std::nullopt, "http://collector:4318"),
            "http://collector:4318/v1/traces");
  EXPECT_EQ(resolve_traces_endpoint(std::nullopt, "http://collector:4318/mycollector/"),
            "http://collector:4318/mycollector/v1/traces");
  EXPECT_EQ(resolve_traces_endpoint("http://collector:4318", std::nullopt),
            "http://collector:4318/");
  EXPECT_EQ(resolve_traces_endpoint("https://x.example.com/v1/traces/", std::nullopt),
            "https://x.example.com/v1/traces/");
}

TEST(OtlpEndpoint, TheSignalEndpointWinsAndTheDefaultIsLocalhost4318) {
  EXPECT_EQ(resolve_traces_endpoint("http://a:1/x", "http://b:2"), "http://a:1/x");
  EXPECT_EQ(resolve_traces_endpoint(std::nullopt, std::nullopt), "http://localhost:4318/v1/traces");
  EXPECT_EQ(resolve_traces_endpoint("", ""), "http://localhost:4318/v1/traces");
}

TEST(OtlpEndpoint, ABasePathWithoutTrailingSlashOrWithAQueryKeepsItsParts) {
  EXPECT_EQ(resolve_traces_endpoint(std::nullopt, "http://c:4318/base"),
            "http://c:4318/base/v1/traces");
  EXPECT_EQ(resolve_traces_endpoint(std::nullopt, "http://c:4318/base?tenant=a"),
            "http://c:4318/base/v1/traces?tenant=a");
  EXPECT_EQ(resolve_traces_endpoint("http://c:4318?x=1", std::nullopt), "http://c:4318/?x=1");
}

// R8.15: trimming, percent-decoding, malformed pairs skipped with a warning.
TEST(OtlpHeaders, PairsAreTrimmedPercentDecodedAndMalformedOnesSkipped) {
  ctxflow::testing::diagnostics_capture diags;
  const auto h = parse_headers(
      " api-key = abc%20def , novalue, =x, bad key=1, x-tenant=t%2C1,empty=,keep=%zz,"
      "inj=a%0D%0AX: y");
  ASSERT_EQ(h.size(), 4u);
  EXPECT_EQ(h[0], (http_header{"api-key", "abc def"}));
  EXPECT_EQ(h[1], (http_header{"x-tenant", "t,1"}));
  EXPECT_EQ(h[2], (http_header{"empty", ""}));
  EXPECT_EQ(h[3], (http_header{"keep", "%zz"}));
  EXPECT_EQ(diags.count("otlp.config.invalid"), 4u);  // novalue, =x, bad key, CRLF injection
}

// R8.12: delay-seconds and HTTP-date forms.
TEST(OtlpRetryAfter, SecondsAndHttpDatesAreBothUnderstood) {
  const auto now = std::chrono::system_clock::from_time_t(784111777);  // 1994-11-06 08:49:37
  EXPECT_EQ(parse_retry_after("120", now), std::chrono::milliseconds(120000));
  EXPECT_EQ(parse_retry_after(" 0 ", now), std::chrono::milliseconds(0));
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:40 GMT", now), 3000ms);
  EXPECT_EQ(parse_retry_after("Sunday, 06-Nov-94 08:49:47 GMT", now), 10000ms);
  EXPECT_EQ(parse_retry_after("Sun Nov  6 08:49:38 1994", now), 1000ms);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now), 0ms);  // in the past
  EXPECT_FALSE(parse_retry_after("soon", now).has_value());
  EXPECT_FALSE(parse_retry_after("12abc", now).has_value());
  EXPECT_FALSE(parse_retry_after("", now).has_value());
}

TEST(OtlpUserAgent, NamesTheExporterLanguageAndVersionWithAnOptionalPrefix) {
  EXPECT_EQ(user_agent().rfind("ctxflow-OTLP-Exporter-Cpp/", 0), 0u);
  EXPECT_EQ(user_agent("mydist/2").rfind("mydist/2 ctxflow-OTLP-Exporter-Cpp/", 0), 0u);
}

TEST(OtlpOptionsFromEnvironment, DefaultsApplyWhenNothingIsSet) {
  env_guard env;
  const auto o = http_exporter_options::from_environment();
  EXPECT_EQ(o.endpoint, "http://localhost:4318/v1/traces");
  EXPECT_EQ(o.protocol, http_protocol::http_protobuf);
  EXPECT_EQ(o.compression, http_compression::none);
  EXPECT_EQ(o.timeout, 10000ms);
  EXPECT_TRUE(o.headers.empty());
  EXPECT_EQ(o.retry.max_attempts, 5u);
  EXPECT_EQ(o.max_request_size, 67108864u);
  EXPECT_EQ(o.max_response_size, 4194304u);
}

// R10.1: the TRACES_ variable wins over the generic one; empty values count as unset.
TEST(OtlpOptionsFromEnvironment, SignalSpecificVariablesWinOverGenericOnes) {
  env_guard env;
  env.set("OTEL_EXPORTER_OTLP_ENDPOINT", "http://generic:4318");
  env.set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces:9999/custom");
  env.set("OTEL_EXPORTER_OTLP_TIMEOUT", "1234");
  env.set("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "567");
  env.set("OTEL_EXPORTER_OTLP_HEADERS", "a=1");
  env.set("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "b=2");
  env.set("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json");
  env.set("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "");  // empty: unset
  env.set("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "GZIP");
  env.set("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", "/etc/ca.pem");
  const auto o = http_exporter_options::from_environment();
  EXPECT_EQ(o.endpoint, "http://traces:9999/custom");
  EXPECT_EQ(o.timeout, 567ms);
  ASSERT_EQ(o.headers.size(), 1u);
  EXPECT_EQ(o.headers[0], (http_header{"b", "2"}));
  EXPECT_EQ(o.protocol, http_protocol::http_json);
  EXPECT_EQ(o.compression, http_compression::gzip);
  EXPECT_EQ(o.ca_certificate_path, "/etc/ca.pem");
}

// R8.16, R10: grpc falls back with a warning; bad values are reported and ignored.
TEST(OtlpOptionsFromEnvironment, InvalidValuesAreReportedAndIgnored) {
  env_guard env;
  env.set("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc");
  env.set("OTEL_EXPORTER_OTLP_TIMEOUT", "-5");
  env.set("OTEL_EXPORTER_OTLP_COMPRESSION", "brotli");
  ctxflow::testing::diagnostics_capture diags;
  auto o = http_exporter_options::from_environment();
  EXPECT_EQ(o.protocol, http_protocol::http_protobuf);
  EXPECT_EQ(o.timeout, 10000ms);
  EXPECT_EQ(o.compression, http_compression::none);
  EXPECT_EQ(diags.count("otlp.config.invalid"), 3u);
  env.set("OTEL_EXPORTER_OTLP_PROTOCOL", "carrier-pigeon");
  env.set("OTEL_EXPORTER_OTLP_TIMEOUT", "ten");
  diags.clear();
  o = http_exporter_options::from_environment();
  EXPECT_EQ(o.protocol, http_protocol::http_protobuf);
  EXPECT_EQ(o.timeout, 10000ms);
  EXPECT_EQ(diags.count("otlp.config.invalid"), 3u);
}

// R10: a timeout of 0 means no limit.
TEST(OtlpOptionsFromEnvironment, ATimeoutOfZeroMeansNoLimit) {
  env_guard env;
  env.set("OTEL_EXPORTER_OTLP_TIMEOUT", "0");
  EXPECT_EQ(http_exporter_options::from_environment().timeout, 0ms);
}

}  // namespace
}  // namespace ctxflow::exporters::otlp
