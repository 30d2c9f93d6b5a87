// SPDX-License-Identifier: Apache-2.0
// What the OTLP exporters (OTLP/HTTP and OTLP/gRPC) share in their settings: the retry policy,
// header pairs, compression, the counters, and the parsing helpers for endpoints and header lists
// (docs/requirements.md §8.4, §8.5, §10). Part of ctxflow::exporters_otlp.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ctxflow/export.hpp"
#include "ctxflow/exporters/otlp/legacy_namespace.hpp"

namespace ctxflow::exporters::otlp {

/// Request compression (R8.7).
enum class otlp_compression : std::uint8_t { none, gzip };
/// The name the OTLP/HTTP options have always used.
using http_compression = otlp_compression;

/// Retry with exponential backoff and full jitter (R8.12). Defaults: 5 attempts, 1 s initial
/// backoff, 5 s maximum, multiplier 1.5. All attempts stay within the export timeout.
struct retry_policy {
  /// Total attempts, including the first (1 disables retries; 0 counts as 1).
  std::uint32_t max_attempts = 5;
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{5000};
  double backoff_multiplier = 1.5;
};

/// One header (HTTP) or metadata entry (gRPC) sent with every request.
using http_header = std::pair<std::string, std::string>;

/// The settings both OTLP exporters have (http_exporter_options and grpc_exporter_options
/// derive from it). Every environment setting has a field (R10).
struct otlp_exporter_options {
  otlp_compression compression = otlp_compression::none;
  /// Extra headers (HTTP) or call metadata (gRPC), for example authentication.
  std::vector<http_header> headers;
  /// Upper bound for one export including every retry and backoff (R8.12); 0 means no limit.
  std::chrono::milliseconds timeout{10000};
  retry_policy retry;
  /// Requests larger than this (before compression) are not sent; the batch is dropped and
  /// reported (R8.8).
  std::size_t max_request_size = 64u * 1024u * 1024u;
  /// Answers larger than this (after decompression) fail the export without retry (R8.8).
  std::size_t max_response_size = 4u * 1024u * 1024u;
  /// Optional distribution name put in front of the User-Agent product (R8.9).
  std::string user_agent_prefix;
  /// PEM files: trusted CA bundle, and the client certificate chain and key for mTLS.
  std::string ca_certificate_path;
  std::string client_certificate_path;
  std::string client_key_path;
};

/// Counters of an OTLP exporter. Spans count once per export call, never per retry (R7.26).
struct otlp_exporter_stats {
  /// Spans the receiver accepted (minus partial-success rejections).
  std::uint64_t exported_spans = 0;
  /// Spans of failed exports (after retries), of oversize batches, and after shutdown.
  std::uint64_t failed_spans = 0;
  /// Spans the receiver rejected in a partial success (R8.10); also counted as failed.
  std::uint64_t rejected_spans = 0;
  /// Requests (HTTP) or calls (gRPC) attempted: first attempts plus retries.
  std::uint64_t requests = 0;
  /// Attempts beyond the first.
  std::uint64_t retries = 0;
};

/// Why `url` cannot be an OTLP endpoint, or empty when it can: it must start with
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

/// `[prefix ]ctxflow-OTLP-Exporter-Cpp/<version>` (R8.9).
CTXFLOW_API std::string user_agent(std::string_view prefix = {});

}  // namespace ctxflow::exporters::otlp
