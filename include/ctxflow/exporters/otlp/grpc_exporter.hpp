// SPDX-License-Identifier: Apache-2.0
// grpc_exporter: sends span batches to an OTLP/gRPC receiver (an OpenTelemetry Collector on
// port 4317) with the unary call `opentelemetry.proto.collector.trace.v1.TraceService/Export`,
// over one gRPC channel, optionally gzip-compressed, with TLS for `https://` endpoints, retrying
// the transient status codes within the export timeout (docs/requirements.md §8). Linking it
// makes `OTEL_TRACES_EXPORTER=otlp` with `OTEL_EXPORTER_OTLP_PROTOCOL=grpc` create it in
// `sdk::init`. Part of `ctxflow::otlp_grpc` (gRPC++). See docs/usage/otlp.md and
// docs/design/otlp.md.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ctxflow/export.hpp"
#include "ctxflow/exporters/otlp/exporter_options.hpp"
#include "ctxflow/sdk/span_exporter.hpp"

namespace ctxflow::exporters::otlp {

/// Settings of otlp::grpc_exporter: those of every OTLP exporter (otlp_exporter_options:
/// compression, headers sent as metadata with their keys in lower case as gRPC requires,
/// timeout, retry, size limits, user agent prefix, TLS files used for TLS endpoints only, the
/// system's roots when the CA file is empty) and these.
struct grpc_exporter_options : otlp_exporter_options {
  /// Where the collector listens (R8.17): `http://host:port` (plain text), `https://host:port`
  /// (TLS), or `host:port` (TLS unless `insecure`). A path is ignored. An unusable value is
  /// reported (`otlp.config.invalid`) and replaced by this default.
  std::string endpoint = "http://localhost:4317";
  /// Plain text for an endpoint without a scheme (`OTEL_EXPORTER_OTLP_INSECURE`); the scheme of
  /// an `http://` or `https://` endpoint decides otherwise.
  bool insecure = false;

  /// The defaults overridden by `OTEL_EXPORTER_OTLP_TRACES_*` and `OTEL_EXPORTER_OTLP_*`
  /// (ENDPOINT, used as given with no `/v1/traces` appended; HEADERS, TIMEOUT, COMPRESSION,
  /// CERTIFICATE, CLIENT_KEY, CLIENT_CERTIFICATE, INSECURE); a signal-specific variable wins over
  /// the generic one (R10.1). PROTOCOL is not read: choosing this exporter is its job.
  /// Errors: invalid values are reported (`otlp.config.invalid`, naming the variable) and
  /// ignored.
  CTXFLOW_API static grpc_exporter_options from_environment();
};

/// Counters of a grpc_exporter; `requests` are calls.
using grpc_exporter_stats = otlp_exporter_stats;

/// Exports to an OTLP/gRPC endpoint: a unary `TraceService/Export` call whose request is the
/// `ExportTraceServiceRequest` that encode_protobuf() writes (no generated stubs).
///
/// Behaviour (R8.17-R8.19): retries UNAVAILABLE, CANCELLED, DEADLINE_EXCEEDED, ABORTED,
/// OUT_OF_RANGE and DATA_LOSS, and RESOURCE_EXHAUSTED only when the status carries a
/// `google.rpc.RetryInfo`.
/// A RetryInfo's delay is honoured; otherwise a fully jittered exponential backoff is waited.
/// Every attempt and wait stays within `options.timeout` (the call's gRPC deadline is what is
/// left of it). Any other status fails at once. A partial success is a success whose rejected
/// spans are counted and reported.
///
/// Example:
/// ```
/// namespace otlp = ctxflow::exporters::otlp;
/// otlp::grpc_exporter_options opts = otlp::grpc_exporter_options::from_environment();
/// opts.compression = otlp::otlp_compression::gzip;
/// auto exporter = std::make_unique<otlp::grpc_exporter>(std::move(opts));
/// ```
///
/// Thread safety: export_spans calls are serialised internally (the SDK never overlaps them);
/// force_flush, shutdown and stats may be called from any thread at any time.
/// Errors: never throws. Failures return `export_result::failure` and are reported:
/// `otlp.export.failed` (the batch is lost, with the reason), `otlp.export.rejected` (a status
/// that is not retried, with the receiver's message), `otlp.export.partial_success`,
/// `otlp.export.too_large`; each retry is reported at debug level as `otlp.export.retry`.
/// Flush and shutdown (export_spans_within): as the OTLP/HTTP exporter, one attempt per batch
/// while a processor drains its queue, none after its deadline, and no retry once a flush or
/// shutdown has started.
/// Lifetime: shutdown (or the destructor) stops any backoff wait at once; a call in flight is
/// cancelled if it has not finished within the shutdown timeout.
class grpc_exporter final : public sdk::span_exporter {
 public:
  /// Creates the exporter and its channel (no connection is made before the first export).
  /// Errors: an endpoint that cannot be used is reported (`otlp.config.invalid`) and the
  /// default `http://localhost:4317` is used; an unreadable certificate file is reported
  /// (`otlp.config.invalid`) and left out.
  CTXFLOW_API explicit grpc_exporter(grpc_exporter_options options = {});
  CTXFLOW_API ~grpc_exporter() override;
  grpc_exporter(const grpc_exporter&) = delete;
  grpc_exporter& operator=(const grpc_exporter&) = delete;

  /// Encodes and sends `batch`, retrying as described above. An empty batch sends nothing.
  CTXFLOW_API sdk::export_result export_spans(
      std::span<const sdk::span_data* const> batch) noexcept override;
  /// export_spans within the processor's bounds: `limits.deadline` cuts the export timeout,
  /// `limits.single_attempt` allows one attempt, `limits.interrupt` ends a backoff wait.
  CTXFLOW_API sdk::export_result export_spans_within(
      std::span<const sdk::span_data* const> batch,
      const sdk::export_limits& limits) noexcept override;
  /// Nothing is buffered: returns true at once.
  CTXFLOW_API bool force_flush(std::chrono::milliseconds timeout) noexcept override;
  /// Makes later exports fail fast, interrupts backoff waits, waits up to `timeout` for a call
  /// in flight (then cancels it). True when nothing was still running when it returned.
  CTXFLOW_API bool shutdown(std::chrono::milliseconds timeout) noexcept override;

  CTXFLOW_API grpc_exporter_stats stats() const noexcept;
  CTXFLOW_API const grpc_exporter_options& options() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// The gRPC target and whether it is plain text, for an endpoint that grpc_exporter_options
/// accepts: `http://h:p/x` gives {`h:p`, true}, `https://h:p` {`h:p`, false}, `h:p`
/// {`h:p`, insecure}. Nothing for an unusable endpoint (see endpoint_problem()).
struct grpc_target {
  std::string target;
  bool plaintext = false;
};
CTXFLOW_API std::optional<grpc_target> resolve_grpc_target(std::string_view endpoint,
                                                           bool insecure) noexcept;

/// Registers the factory `"otlp/grpc"` (a grpc_exporter from
/// grpc_exporter_options::from_environment()) with the SDK's exporter registry; the `"otlp"`
/// factory hands protocol `grpc` to it. Linking ctxflow::otlp_grpc already does this before the
/// registry's first lookup. Calling it more than once is harmless.
///
/// Thread safety: may be called from any thread, before `sdk::init`.
CTXFLOW_API void register_grpc_exporter() noexcept;

}  // namespace ctxflow::exporters::otlp
