// SPDX-License-Identifier: Apache-2.0
// batch_span_processor (R7.20-R7.22): ending a span puts it in the ending thread's own bounded
// ring (one producer, read by the export thread); one export thread sends batches. A full queue
// drops the span and counts it (R7.26), and drops are reported through diagnostics. See
// docs/usage/tracing.md, and docs/design/sdk.md for how it is built.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>

#include "ctxflow/export.hpp"
#include "ctxflow/sdk/batch_options.hpp"
#include "ctxflow/sdk/span_exporter.hpp"
#include "ctxflow/sdk/span_processor.hpp"

namespace ctxflow::sdk {

/// Exports sampled spans in batches from one background thread (R7.20).
///
/// Thread safety: on_end may be called from any number of threads at once. It never waits for
/// the export thread: it writes to the calling thread's own ring, adds to a shared counter of
/// queued spans about once per run of spans (every span once the queue is half full), and takes
/// a lock only to wake the export thread (at most once per batch, and not while that thread
/// paces itself) and the first time a thread ends a span here (to register its ring).
/// force_flush and shutdown may be called from any thread.
/// Memory: each thread that ends spans here gets a ring of
/// max_queue_size + max_export_batch_size + a run of up to 64 slots (rounded up to a power of
/// two, 8 bytes each), freed after the thread exits and its spans are exported. A thread keeps
/// the rings of its last four processors; an older one is handed to its export thread to drain.
/// Memory ordering: everything a thread wrote to a span before ending it is visible to the
/// exporter (the ring's tail is published with release and read with acquire).
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
