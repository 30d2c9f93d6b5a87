// SPDX-License-Identifier: Apache-2.0
// Decoders for what an OTLP receiver answers (R8.10, R8.11): the
// `ExportTraceServiceResponse` with its optional `partial_success`, and the `google.rpc.Status`
// error body, each in protobuf and in JSON. They read untrusted input: bounded, never throw,
// and return nothing on malformed input. See docs/design/otlp.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ctxflow/export.hpp"
#include "ctxflow/exporters/otlp/legacy_namespace.hpp"

namespace ctxflow::exporters::otlp {

/// The interesting part of an `ExportTraceServiceResponse`.
struct export_response {
  /// True when the `partial_success` field was present.
  bool has_partial_success = false;
  /// `partial_success.rejected_spans`: spans the receiver did not accept (never retried).
  std::int64_t rejected_spans = 0;
  /// `partial_success.error_message` (at most 4096 bytes kept).
  std::string error_message;
};

/// The fields of a `google.rpc.Status` error body that we report.
struct rpc_status {
  std::int32_t code = 0;
  std::string message;  // at most 4096 bytes kept
  /// The `retry_delay` of a `google.rpc.RetryInfo` among the `details` (binary form only; an
  /// `Any` with type URL `type.googleapis.com/google.rpc.RetryInfo`), clamped to 0 or more.
  std::optional<std::chrono::milliseconds> retry_delay;
};

/// Decodes a binary `ExportTraceServiceResponse`. An empty body is a valid, empty response.
/// Unknown fields are skipped. Errors: malformed input gives `std::nullopt`.
CTXFLOW_API std::optional<export_response> parse_export_response_protobuf(
    std::string_view body) noexcept;

/// Decodes an OTLP/JSON `ExportTraceServiceResponse` (`partialSuccess.rejectedSpans` as a string
/// or a number, `errorMessage`). An empty body counts as `{}`. Unknown fields are ignored.
/// Errors: malformed JSON (or nesting deeper than 64) gives `std::nullopt`.
CTXFLOW_API std::optional<export_response> parse_export_response_json(
    std::string_view body) noexcept;

/// Decodes a binary `google.rpc.Status`, as an OTLP/HTTP error body or the
/// `grpc-status-details-bin` trailer of an OTLP/gRPC answer (grpc::Status::error_details()).
/// Errors: malformed input, details included, gives `std::nullopt`.
CTXFLOW_API std::optional<rpc_status> parse_rpc_status_protobuf(std::string_view body) noexcept;

/// Decodes a JSON `google.rpc.Status` (`code`, `message`). Errors: malformed gives nullopt.
CTXFLOW_API std::optional<rpc_status> parse_rpc_status_json(std::string_view body) noexcept;

}  // namespace ctxflow::exporters::otlp
