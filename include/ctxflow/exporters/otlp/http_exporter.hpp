// SPDX-License-Identifier: Apache-2.0
// http_exporter: sends span batches to an OTLP/HTTP receiver (an OpenTelemetry Collector or a
// vendor endpoint) as `http/protobuf` or `http/json`, optionally gzip-compressed, over one
// kept-alive connection, retrying transient failures with exponential backoff within the export
// timeout (docs/requirements.md §8). Linking it makes it available to `sdk::init` as
// `OTEL_TRACES_EXPORTER=otlp` (`register_exporter()` does the same explicitly). Part of
// `ctxflow::otlp_http` (libcurl, zlib). See docs/usage/otlp.md and docs/design/otlp.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include "ctxflow/export.hpp"
#include "ctxflow/exporters/otlp/http_exporter_options.hpp"
#include "ctxflow/exporters/otlp/legacy_namespace.hpp"
#include "ctxflow/sdk/span_exporter.hpp"

namespace ctxflow::exporters::otlp {

/// Counters of an http_exporter (exporter_options.hpp); `requests` are HTTP requests.
using http_exporter_stats = otlp_exporter_stats;

/// Exports to an OTLP/HTTP endpoint: `POST {endpoint}` with an `ExportTraceServiceRequest`.
///
/// Behaviour (R8.6-R8.12): retries only connection failures and the status codes 429, 502, 503
/// and 504, honouring `Retry-After` on 429 and 503 (seconds or HTTP-date) and otherwise waiting
/// a fully jittered exponential backoff; every attempt and wait stays within
/// `options.timeout`. Any other status fails at once (redirects are not followed). A partial
/// success is a success whose rejected spans are counted and reported.
///
/// Example:
/// ```
/// namespace otlp = ctxflow::exporters::otlp;
/// otlp::http_exporter_options opts = otlp::http_exporter_options::from_environment();
/// opts.compression = otlp::http_compression::gzip;
/// auto exporter = std::make_unique<otlp::http_exporter>(std::move(opts));
/// ```
///
/// Thread safety: export_spans calls are serialised internally (the SDK never overlaps them);
/// force_flush, shutdown and stats may be called from any thread at any time.
/// Errors: never throws. Failures return `export_result::failure` and are reported:
/// `otlp.export.failed` (the batch is lost, with the reason), `otlp.export.rejected` (a 4xx/5xx
/// that is not retried, with the receiver's message), `otlp.export.partial_success`,
/// `otlp.export.too_large`; each retry is reported at debug level as `otlp.export.retry`.
/// Flush and shutdown (export_spans_within): while a processor drains its queue for a
/// force_flush with a timeout or a shutdown, each batch gets one attempt (no retry, no backoff
/// wait) whose timeout is min(`options.timeout`, time left before the processor's deadline); no
/// attempt starts after that deadline. A drain that starts during a backoff wait ends the wait
/// and the export. Failures in a drain are reported at debug level; the processor reports the
/// undelivered spans once (`sdk.shutdown.undelivered`, `sdk.flush.undelivered`).
/// Lifetime: shutdown (or the destructor) stops any backoff wait at once; an HTTP request in
/// flight is aborted if it has not finished within the shutdown timeout.
class http_exporter final : public sdk::span_exporter {
 public:
  /// Creates the exporter. Errors: a libcurl initialisation failure is reported
  /// (`otlp.export.init_failed`) and every export then fails; an endpoint that
  /// endpoint_problem() rejects is reported (`otlp.config.invalid`, with the value) and the
  /// default `http://localhost:4318/v1/traces` is used instead.
  CTXFLOW_API explicit http_exporter(http_exporter_options options = {});
  CTXFLOW_API ~http_exporter() override;
  http_exporter(const http_exporter&) = delete;
  http_exporter& operator=(const http_exporter&) = delete;

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
  /// Makes later exports fail fast, interrupts backoff waits, waits up to `timeout` for a
  /// request in flight (then aborts it) and releases the connection. True when nothing was
  /// still running when it returned.
  CTXFLOW_API bool shutdown(std::chrono::milliseconds timeout) noexcept override;

  CTXFLOW_API http_exporter_stats stats() const noexcept;
  CTXFLOW_API const http_exporter_options& options() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Registers the factory `"otlp"` with the SDK's exporter registry: it creates an
/// http_exporter from http_exporter_options::from_environment(), so that
/// `OTEL_TRACES_EXPORTER=otlp` works in `sdk::init`. Linking ctxflow::otlp_http already does
/// this before the registry's first lookup; the call remains for code that wants it explicit
/// (or re-registers after replacing the factory). Calling it more than once is harmless.
///
/// Thread safety: may be called from any thread, before `sdk::init`.
CTXFLOW_API void register_exporter() noexcept;

}  // namespace ctxflow::exporters::otlp
