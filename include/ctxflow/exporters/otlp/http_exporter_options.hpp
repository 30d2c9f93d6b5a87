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
#include "ctxflow/exporters/otlp/exporter_options.hpp"
#include "ctxflow/exporters/otlp/legacy_namespace.hpp"

namespace ctxflow::exporters::otlp {

/// The body encoding (R8.16). `grpc` is the OTLP/gRPC exporter's (grpc_exporter.hpp): with it
/// linked, `OTEL_TRACES_EXPORTER=otlp` creates that exporter instead.
enum class http_protocol : std::uint8_t { http_protobuf, http_json };

/// Settings of otlp::http_exporter: those of every OTLP exporter (otlp_exporter_options:
/// compression, headers, timeout, retry, size limits, User-Agent prefix, TLS files) and these.
struct http_exporter_options : otlp_exporter_options {
  /// The full URL requests are POSTed to (R8.6, R8.14): `http(s)://host[:port]/path`. The
  /// exporter checks it with endpoint_problem(); an unusable one is reported
  /// (`otlp.config.invalid`) and replaced by this default.
  std::string endpoint = "http://localhost:4318/v1/traces";
  http_protocol protocol = http_protocol::http_protobuf;
  /// Upper bound for establishing a connection in one attempt (never more than what is left
  /// of `timeout`); 0 leaves only `timeout`.
  std::chrono::milliseconds connect_timeout{5000};

  /// The defaults overridden by `OTEL_EXPORTER_OTLP_TRACES_*` and `OTEL_EXPORTER_OTLP_*`
  /// (ENDPOINT, HEADERS, TIMEOUT, PROTOCOL, COMPRESSION, CERTIFICATE, CLIENT_KEY,
  /// CLIENT_CERTIFICATE); a signal-specific variable wins over the generic one (R10.1). Empty
  /// values count as unset.
  /// Errors: invalid values are reported (`otlp.config.invalid`, naming the variable) and
  /// ignored; `grpc` (the OTLP/gRPC exporter's protocol) is reported and replaced by
  /// http/protobuf (R8.16). An endpoint variable
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

/// How long a `Retry-After` value asks to wait (R8.12): delay-seconds, or an HTTP-date relative
/// to `now` (a date in the past gives 0). Nothing for an unparseable value.
CTXFLOW_API std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now);

}  // namespace ctxflow::exporters::otlp
