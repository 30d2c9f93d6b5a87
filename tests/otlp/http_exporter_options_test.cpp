// SPDX-License-Identifier: Apache-2.0
// OTLP/HTTP exporter configuration: endpoint resolution vectors (R8.14), header lists (R8.15),
// protocol (R8.16), env precedence and parsing rules (R10, R10.1), Retry-After (R8.12) and the
// User-Agent (R8.9).
#include "ctxflow/exporters/otlp/http_exporter_options.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <ctime>
#include <string>
#include <vector>

#include "ctxflow/exporters/otlp/http_exporter.hpp"
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

// Endpoints that are not http(s) URLs with a host, each with what the report must show of it.
struct bad_endpoint {
  const char* value;
  const char* shown;  // the value as the report prints it (control characters as '?')
};
const std::vector<bad_endpoint> bad_endpoints = {
    {"not-a-url", "not-a-url"},
    {"ftp://x", "ftp://x"},
    {"http://", "http://"},
    {"https:///v1/traces", "https:///v1/traces"},
    {"http://:4318", "http://:4318"},
    {"http://collector:99999", "http://collector:99999"},
    {"http://collector:0", "http://collector:0"},
    {"http://collector:43x8", "http://collector:43x8"},
    {"http://collector:", "http://collector:"},
    {"http://[::1", "http://[::1"},
    {"http://col lector:4318", "http://col lector:4318"},
    {" http://collector:4318", " http://collector:4318"},
    {"http://collector:4318\r\nX-Injected: 1", "http://collector:4318??X-Injected: 1"},
    {"http://collector:4318/v1/traces\n", "http://collector:4318/v1/traces?"},
    {"http://collector\t:4318", "http://collector?:4318"},
};

TEST(OtlpEndpointCheck, AcceptsHttpAndHttpsUrlsWithAHostAndAValidPort) {
  for (const char* url :
       {"http://localhost:4318/v1/traces", "https://collector.example.com", "HTTP://Collector:1",
        "http://127.0.0.1:65535/v1/traces?tenant=a#f", "http://[::1]:4318/v1/traces",
        "https://[2001:db8::1]/", "http://user:pw@collector:4318/x", "http://c/base/"}) {
    EXPECT_EQ(endpoint_problem(url), "") << url;
  }
}

TEST(OtlpEndpointCheck, RejectsEveryMalformedFormWithAReason) {
  for (const bad_endpoint& b : bad_endpoints) EXPECT_NE(endpoint_problem(b.value), "") << b.value;
  EXPECT_EQ(endpoint_problem("ftp://x"), "not an http:// or https:// URL");
  EXPECT_EQ(endpoint_problem("http://"), "no host");
  EXPECT_EQ(endpoint_problem("http://c:99999"), "the port is not a number from 1 to 65535");
  EXPECT_EQ(endpoint_problem("http://c\r\n"), "contains a space or a control character");
}

// Sets `variable` to each malformed endpoint alone: the default endpoint is used, and one
// otlp.config.invalid report names the variable, the value and the default used instead.
void expect_each_bad_endpoint_reported_and_default_used(const char* variable) {
  for (const bad_endpoint& b : bad_endpoints) {
    env_guard env;
    env.set(variable, b.value);
    ctxflow::testing::diagnostics_capture diags;
    const auto o = http_exporter_options::from_environment();
    EXPECT_EQ(o.endpoint, "http://localhost:4318/v1/traces") << b.value;
    const auto records = diags.records();
    ASSERT_EQ(records.size(), 1u) << b.value;
    EXPECT_EQ(records[0].code, "otlp.config.invalid");
    EXPECT_NE(records[0].message.find(std::string(variable) + "=\"" + b.shown + "\""),
              std::string::npos)
        << records[0].message;
    EXPECT_NE(records[0].message.find("http://localhost:4318/v1/traces"), std::string::npos)
        << records[0].message;
  }
}

TEST(OtlpOptionsFromEnvironment, AnInvalidTracesEndpointIsReportedByNameAndValueAndTheDefaultUsed) {
  expect_each_bad_endpoint_reported_and_default_used("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
}

TEST(OtlpOptionsFromEnvironment, AnInvalidGenericEndpointIsReportedByNameAndValueAndTheDefaultUsed) {
  expect_each_bad_endpoint_reported_and_default_used("OTEL_EXPORTER_OTLP_ENDPOINT");
}

TEST(OtlpOptionsFromEnvironment, AnInvalidTracesEndpointLeavesAValidGenericOneInCharge) {
  env_guard env;
  env.set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "collector:4318");
  env.set("OTEL_EXPORTER_OTLP_ENDPOINT", "http://generic:4318");
  ctxflow::testing::diagnostics_capture diags;
  const auto o = http_exporter_options::from_environment();
  EXPECT_EQ(o.endpoint, "http://generic:4318/v1/traces");
  const auto records = diags.records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_NE(records[0].message.find("using OTEL_EXPORTER_OTLP_ENDPOINT"), std::string::npos)
      << records[0].message;
}

TEST(OtlpOptionsFromEnvironment, ValidEndpointsAreKeptWithoutAReport) {
  env_guard env;
  ctxflow::testing::diagnostics_capture diags;
  env.set("OTEL_EXPORTER_OTLP_ENDPOINT", "https://Collector.example.com:443/base");
  EXPECT_EQ(http_exporter_options::from_environment().endpoint,
            "https://Collector.example.com:443/base/v1/traces");
  env.set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://[::1]:4318/custom");
  EXPECT_EQ(http_exporter_options::from_environment().endpoint, "http://[::1]:4318/custom");
  EXPECT_EQ(diags.size(), 0u);
}

TEST(OtlpHttpExporter, AnInvalidEndpointInTheOptionsIsReportedAndTheDefaultUsed) {
  for (const bad_endpoint& b : bad_endpoints) {
    ctxflow::testing::diagnostics_capture diags;
    http_exporter_options o;
    o.endpoint = b.value;
    http_exporter exporter(o);
    EXPECT_EQ(exporter.options().endpoint, "http://localhost:4318/v1/traces") << b.value;
    const auto records = diags.records();
    ASSERT_EQ(diags.count("otlp.config.invalid"), 1u) << b.value;
    EXPECT_NE(records[0].message.find(std::string("http_exporter_options::endpoint=\"") + b.shown +
                                      "\""),
              std::string::npos)
        << records[0].message;
  }
}

TEST(OtlpHttpExporter, AValidEndpointInTheOptionsIsKept) {
  ctxflow::testing::diagnostics_capture diags;
  http_exporter_options o;
  o.endpoint = "https://collector.example.com:4318/custom";
  http_exporter exporter(o);
  EXPECT_EQ(exporter.options().endpoint, "https://collector.example.com:4318/custom");
  EXPECT_EQ(diags.count("otlp.config.invalid"), 0u);
}

}  // namespace
}  // namespace ctxflow::exporters::otlp
