// SPDX-License-Identifier: Apache-2.0
// span_exporter: the interface every exporter implements (in-memory, console, JSON lines,
// OTLP/HTTP). Processors call it; failures are values (R1.12), never exceptions.
// export_limits carries the bounds of a flush or shutdown to an exporter that waits (network
// retries); see docs/design/sdk.md, "Bounded flush and shutdown".
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <stop_token>

#include "ctxflow/sdk/span_data.hpp"

namespace ctxflow::sdk {

/// Outcome of one export call.
enum class export_result : std::uint8_t {
  success,
  /// The batch could not be delivered (after any retries the exporter does itself).
  failure,
};

/// Bounds a processor puts on one export call (see span_exporter::export_spans_within).
///
/// A default-constructed value adds no bound: the exporter applies only its own settings
/// (timeouts, retry policy). The batch processor passes single_attempt and a deadline while a
/// force_flush with a timeout or a shutdown drains its queue, and an interrupt token to the
/// exports it makes in between.
struct export_limits {
  /// The call returns by this time: no attempt starts after it and each attempt's own timeout
  /// is min(the exporter's timeout, the time left). time_point::max(): no bound.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  /// Make one attempt: no retries and no backoff waits. Failures are reported at debug level;
  /// the processor reports the undelivered spans of the whole drain once.
  bool single_attempt = false;
  /// Requested (from another thread) when a flush or shutdown starts while this call runs:
  /// the call makes no further retries (a backoff wait ends at once) and returns.
  std::stop_token interrupt;
};

/// Sends batches of ended spans somewhere.
///
/// Thread safety: the SDK never calls export_spans / export_spans_within concurrently on one
/// exporter (R7.x); flush and shutdown may be called from any thread while an export is running.
/// Errors: export calls return failure; they must not throw (the processor guards them anyway).
class span_exporter {
 public:
  virtual ~span_exporter() = default;

  /// Exports one batch. The span_data objects are valid only during the call.
  virtual export_result export_spans(std::span<const span_data* const> batch) noexcept = 0;

  /// Exports one batch within `limits`. The processors call this one. The default ignores the
  /// limits and calls export_spans(batch), which is right for an exporter that never waits
  /// long (memory, console, files); an exporter that retries or blocks on the network overrides
  /// it (exporters::otlp::http_exporter does).
  virtual export_result export_spans_within(std::span<const span_data* const> batch,
                                            const export_limits& limits) noexcept {
    (void)limits;
    return export_spans(batch);
  }

  /// Delivers anything the exporter buffers. True when done within `timeout`.
  virtual bool force_flush(std::chrono::milliseconds timeout) noexcept {
    (void)timeout;
    return true;
  }

  /// Flushes, then releases resources; later exports fail fast. True when done within `timeout`.
  virtual bool shutdown(std::chrono::milliseconds timeout) noexcept {
    (void)timeout;
    return true;
  }
};

}  // namespace ctxflow::sdk
