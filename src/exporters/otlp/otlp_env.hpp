// SPDX-License-Identifier: Apache-2.0
// Private to the OTLP exporters: reading the OTEL_EXPORTER_OTLP_(TRACES_)* variables that the
// OTLP/HTTP and OTLP/gRPC exporters share (docs/requirements.md §10). Defined in
// ctxflow::exporters_otlp (otlp_options.cpp), used by otlp_http and otlp_grpc.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "ctxflow/export.hpp"
#include "ctxflow/exporters/otlp/exporter_options.hpp"

namespace ctxflow::exporters::otlp::detail {

/// The exporters' diagnostic code for settings they ignore.
inline constexpr std::string_view invalid_code = "otlp.config.invalid";

/// An environment variable with its name; empty counts as unset.
struct env_value {
  std::string name;
  std::string value;
};

/// `OTEL_EXPORTER_OTLP_TRACES_<suffix>`, else `OTEL_EXPORTER_OTLP_<suffix>` (R10.1).
CTXFLOW_API std::optional<env_value> otlp_env(const char* suffix);

/// The endpoint variable `name` when endpoint_problem() accepts it; otherwise it is reported
/// (naming what is used `instead`) and counts as unset.
CTXFLOW_API std::optional<std::string> checked_endpoint(const char* name,
                                                        std::string_view instead);

/// The PROTOCOL variable, trimmed and in lowercase, with its name.
CTXFLOW_API std::optional<env_value> otlp_protocol_env();

/// Reports OTEL_CONFIG_FILE (not supported) when it is set.
CTXFLOW_API void warn_config_file();

/// TIMEOUT in milliseconds; an invalid value is reported and gives nothing.
CTXFLOW_API std::optional<std::chrono::milliseconds> otlp_timeout_env();

/// COMPRESSION (`gzip`, `none`); an invalid value is reported and gives nothing.
CTXFLOW_API std::optional<otlp_compression> otlp_compression_env();

/// The settings both transports read the same way: HEADERS, TIMEOUT, COMPRESSION, CERTIFICATE,
/// CLIENT_CERTIFICATE, CLIENT_KEY (R10).
CTXFLOW_API void apply_transport_env(otlp_exporter_options& o);

}  // namespace ctxflow::exporters::otlp::detail
