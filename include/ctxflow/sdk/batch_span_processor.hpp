// SPDX-License-Identifier: Apache-2.0
// batch_span_processor (R7.20-R7.22): ending a span puts it in the ending thread's own bounded
// ring (one producer, read by the export thread); one export thread sends batches. The
// application thread never blocks and never takes a lock; a full queue drops the span and counts
// it (R7.26), and drops are reported through diagnostics. See docs/usage/tracing.md.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>

#include "ctxflow/export.hpp"
#include "ctxflow/sdk/span_exporter.hpp"
#include "ctxflow/sdk/span_processor.hpp"

namespace ctxflow::sdk {

/// Batch settings (R7.20); the defaults are the spec's.
struct batch_options {
  /// Longest wait between exports (OTEL_BSP_SCHEDULE_DELAY).
  std::chrono::milliseconds schedule_delay{5000};
  /// How long one export may take before it is reported as late, and the default bound for
  /// flush/shutdown waits (OTEL_BSP_EXPORT_TIMEOUT; 0: no limit).
  std::chrono::milliseconds export_timeout{30000};
  /// Queue capacity over all threads; spans beyond it are dropped and counted
  /// (OTEL_BSP_MAX_QUEUE_SIZE). Producers update the shared count in runs below half full
  /// (all threads' runs together under max_queue_size / 32), so the queue may exceed this by
  /// less than 1/32; a span is never dropped below it.
  std::size_t max_queue_size = 2048;
  /// Spans per export; clamped to max_queue_size (OTEL_BSP_MAX_EXPORT_BATCH_SIZE).
  std::size_t max_export_batch_size = 512;

  /// The defaults overridden by the OTEL_BSP_* variables (R10).
  /// Errors: a bad value is reported (`sdk.env.invalid`, naming the variable) and ignored.
  CTXFLOW_API static batch_options from_environment();
};

/// Exports sampled spans in batches from one background thread (R7.20).
///
/// Thread safety: on_end may be called from any number of threads at once; it is lock-free
/// and never blocks. force_flush and shutdown may be called from any thread.
/// Memory: each thread that ends spans here gets a ring of
/// max_queue_size + max_export_batch_size slots (rounded up to a power of two, 8 bytes each),
/// freed after the thread exits and its spans are exported. A thread keeps the rings of its
/// last four processors; an older one is handed to its export thread to drain.
/// Memory ordering: everything a thread wrote to a span before ending it is visible to the
/// exporter (the queue slot's sequence number is published with release).
/// Errors: a full queue drops the span (counted in stats().dropped_queue_full and reported as
/// `sdk.batch.dropped`, at most once per schedule period); a failed export is counted and
/// reported (`sdk.export.failed`); an export slower than export_timeout is reported
/// (`sdk.export.timeout`).
/// Lifetime: the destructor shuts down (waiting at most export_timeout). If the exporter hangs
/// past that, the export thread is detached and finishes on its own.
class CTXFLOW_API batch_span_processor final : public span_processor {
 public:
  explicit batch_span_processor(std::unique_ptr<span_exporter> exporter,
                                batch_options options = {});
  ~batch_span_processor() override;

  void on_end(recording_span& span) noexcept override;
  /// Exports every span queued before the call, then flushes the exporter (R7.21).
  /// `timeout` 0 waits without limit.
  bool force_flush(std::chrono::milliseconds timeout) noexcept override;
  bool shutdown(std::chrono::milliseconds timeout) noexcept override;

  /// Counters and queue occupancy (R7.26).
  processor_stats stats() const noexcept;
  const batch_options& options() const noexcept;

 private:
  struct state;
  std::shared_ptr<state> state_;
};

}  // namespace ctxflow::sdk
