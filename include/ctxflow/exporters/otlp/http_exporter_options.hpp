// SPDX-License-Identifier: Apache-2.0
// http_exporter_options: how the OTLP/HTTP exporter connects (endpoint, protocol, headers,
// compression, timeout, TLS files), how it retries, and its size limits (docs/requirements.md
// §8.3-§8.5, §10). from_environment() reads the OTEL_EXPORTER_OTLP_(TRACES_)* variables. The
// parsing helpers it uses are public so that they can be tested and reused.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ctxflow/export.hpp"
#include "ctxflow/exporters/otlp/legacy_namespace.hpp"

namespace ctxflow::exporters::otlp {

/// The body encoding (R8.16). `grpc` is not supported (from_environment falls back to
/// http_protobuf with a warning).
enum class http_protocol : std::uint8_t { http_protobuf, http_json };

/// Request body compression (R8.7).
enum class http_compression : std::uint8_t { none, gzip };

/// Retry with exponential backoff and full jitter (R8.12). Defaults: 5 attempts, 1 s initial
/// backoff, 5 s maximum, multiplier 1.5. All attempts stay within the export timeout.
struct retry_policy {
  /// Total attempts, including the first (1 disables retries; 0 counts as 1).
  std::uint32_t max_attempts = 5;
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{5000};
  double backoff_multiplier = 1.5;
};

/// One HTTP header sent with every request.
using http_header = std::pair<std::string, std::string>;

/// Settings of otlp::http_exporter. Every environment setting has a field here (R10).
struct http_exporter_options {
  /// The full URL requests are POSTed to (R8.6, R8.14): `http(s)://host[:port]/path`. The
  /// exporter checks it with endpoint_problem(); an unusable one is reported
  /// (`otlp.config.invalid`) and replaced by this default.
  std::string endpoint = "http://localhost:4318/v1/traces";
  http_protocol protocol = http_protocol::http_protobuf;
  http_compression compression = http_compression::none;
  /// Extra headers (for example authentication), sent as given.
  std::vector<http_header> headers;
  /// Upper bound for one export including every retry and backoff (R8.12); 0 means no limit.
  std::chrono::milliseconds timeout{10000};
  /// Upper bound for establishing a connection in one attempt (never more than what is left
  /// of `timeout`); 0 leaves only `timeout`.
  std::chrono::milliseconds connect_timeout{5000};
  retry_policy retry;
  /// Bodies larger than this (before compression) are not sent; the batch is dropped and
  /// reported (R8.8).
  std::size_t max_request_size = 64u * 1024u * 1024u;
  /// Responses larger than this (after decompression) fail the export without retry (R8.8).
  std::size_t max_response_size = 4u * 1024u * 1024u;
  /// Optional distribution name put in front of the User-Agent product (R8.9).
  std::string user_agent_prefix;
  /// PEM files: trusted CA bundle, and the client certificate chain and key for mTLS.
  std::string ca_certificate_path;
  std::string client_certificate_path;
  std::string client_key_path;

  /// The defaults overridden by `OTEL_EXPORTER_OTLP_TRACES_*` and `OTEL_EXPORTER_OTLP_*`
  /// (ENDPOINT, HEADERS, TIMEOUT, PROTOCOL, COMPRESSION, CERTIFICATE, CLIENT_KEY,
  /// CLIENT_CERTIFICATE); a signal-specific variable wins over the generic one (R10.1). Empty
  /// values count as unset.
  /// Errors: invalid values are reported (`otlp.config.invalid`, naming the variable) and
  /// ignored; `grpc` is reported and replaced by http/protobuf (R8.16). An endpoint variable
  /// that endpoint_problem() rejects counts as unset: the other endpoint variable applies, else
  /// the default.
  CTXFLOW_API static http_exporter_options from_environment();
};

/// The URL to send traces to (R8.14): a non-empty `traces_endpoint` is used as given, except
/// that a URL without a path gets `/`; otherwise `v1/traces` is appended to the path of
/// `base_endpoint` (after making sure it ends in `/`); otherwise the default
/// `http://localhost:4318/v1/traces`.
CTXFLOW_API std::string resolve_traces_endpoint(std::optional<std::string_view> traces_endpoint,
                                                std::optional<std::string_view> base_endpoint);

/// Why `url` cannot be an OTLP/HTTP endpoint, or empty when it can: it must start with
/// `http://` or `https://` (any case), name a host (a name, an IPv4 address or a bracketed IPv6
/// address), have a port from 1 to 65535 if it has one, and contain no space or control
/// character (CR, LF, tab...).
CTXFLOW_API std::string_view endpoint_problem(std::string_view url) noexcept;

/// Parses `k1=v1,k2=v2` (R8.15): whitespace around keys and values is trimmed, values are
/// percent-decoded (a malformed `%` sequence is kept literally), and a pair without `=`, with an
/// empty or non-token key, or whose value contains a control character is skipped.
/// Errors: each skipped pair is reported as `otlp.config.invalid` naming `source`.
CTXFLOW_API std::vector<http_header> parse_headers(std::string_view text,
                                                   std::string_view source = "headers");

/// How long a `Retry-After` value asks to wait (R8.12): delay-seconds, or an HTTP-date relative
/// to `now` (a date in the past gives 0). Nothing for an unparseable value.
CTXFLOW_API std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now);

/// `[prefix ]ctxflow-OTLP-Exporter-Cpp/<version>` (R8.9).
CTXFLOW_API std::string user_agent(std::string_view prefix = {});

}  // namespace ctxflow::exporters::otlp
