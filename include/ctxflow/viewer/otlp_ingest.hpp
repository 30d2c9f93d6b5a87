// SPDX-License-Identifier: Apache-2.0
// ingest: what an OTLP/HTTP trace receiver does with one `POST /v1/traces`, without the HTTP:
// inflate a gzip body within a bound, decode protobuf or JSON, and build the answer (status,
// content type, an `ExportTraceServiceResponse` or a `google.rpc.Status`). `ctxflow serve` puts
// it behind its HTTP server; tests and benchmarks call it directly. See docs/usage/serve.md.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "ctxflow/export.hpp"
#include "ctxflow/sdk/span_data.hpp"
#include "ctxflow/viewer/otlp_reader.hpp"

namespace ctxflow::viewer {

/// Bounds on one request.
struct ingest_limits {
  /// Largest body, after a gzip body is inflated too. A larger one is answered 413; inflating
  /// stops as soon as the bound is passed, so a gzip bomb costs no more memory than this.
  std::size_t max_body_bytes = 16 * 1024 * 1024;
  /// Bounds on the decode (spans per request, nesting).
  decode_limits decode;
};

/// The answer to one request and what it carried.
struct ingest_result {
  /// 200 stored (possibly with rejected spans), 400 undecodable body or bad gzip, 413 body too
  /// large, 415 content type or encoding not supported.
  int status = 200;
  /// The answer's `Content-Type`: the request's format (`application/x-protobuf` or
  /// `application/json`); `application/json` when the request's type is not supported.
  std::string content_type;
  /// 200: an `ExportTraceServiceResponse`, empty (protobuf) or `{}` (JSON) when every span was
  /// accepted, with `partial_success` (rejected count and message) when some were not. Other
  /// statuses: a `google.rpc.Status` (code 3 INVALID_ARGUMENT for 400 and 415, 8
  /// RESOURCE_EXHAUSTED for 413) with the message.
  std::string body;
  /// The accepted spans (200 only).
  std::vector<sdk::span_data> spans;
  /// Spans dropped because their trace or span id is invalid (all zero).
  std::size_t rejected = 0;
  /// What was wrong, for logs; empty on full success.
  std::string message;
};

/// Handles one OTLP/HTTP trace export body.
///
/// `content_type`: `application/x-protobuf` or `application/json`, compared without regard to
/// case, parameters (`; charset=utf-8`) ignored. `content_encoding`: empty or `identity`, or
/// `gzip` (one or more gzip members; inflated with zlib). Anything else is 415.
/// Errors: never throws; every problem is the answer's status and message (no report is made,
/// so a client sending garbage cannot flood the diagnostics).
CTXFLOW_API ingest_result ingest(std::string_view content_type, std::string_view content_encoding,
                                 std::string_view body, const ingest_limits& limits = {}) noexcept;

/// The body of an answer other than 200: a `google.rpc.Status` with `code` and `message`, in
/// binary protobuf or JSON (`{"code":3,"message":"..."}`).
CTXFLOW_API std::string rpc_status_body(int code, std::string_view message, bool json);

}  // namespace ctxflow::viewer
