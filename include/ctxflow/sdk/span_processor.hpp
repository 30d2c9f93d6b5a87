// SPDX-License-Identifier: Apache-2.0
// span_processor (R7.17) and the simple and fan-out processors. Processors see every recording
// span at start and end; the built-in ones pass only sampled spans to their exporter (R7.16).
// The batch processor is in batch_span_processor.hpp.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "ctxflow/export.hpp"
#include "ctxflow/sdk/recording_span.hpp"
#include "ctxflow/sdk/span_exporter.hpp"
#include "ctxflow/trace/span_context.hpp"

namespace ctxflow::sdk {

/// Receives spans as they start and end.
///
/// Thread safety: every method may be called concurrently, from any thread (R7.17).
/// Errors: this is a user extension point; an exception escaping on_start or on_end is
/// reported (`sdk.processor.failed`) and the SDK stops calling that processor.
/// Context: on_start and on_end run synchronously on the thread that starts or ends the span;
/// they must not block. Do not start spans of the same provider from inside them.
class span_processor {
 public:
  virtual ~span_processor() = default;
  /// A recording span was started; `parent` is its parent's span context (invalid for a root).
  /// The span may be modified here.
  virtual void on_start(recording_span& span, const trace::span_context& parent) {
    (void)span;
    (void)parent;
  }
  /// A recording span ended; span.data() is complete and immutable.
  virtual void on_end(recording_span& span) = 0;
  /// Exports everything received so far, then flushes the exporter (R7.21).
  /// True on success within `timeout` (0: no limit).
  virtual bool force_flush(std::chrono::milliseconds timeout) {
    (void)timeout;
    return true;
  }
  /// Flushes and releases the exporter; later calls are ignored (R7.22). Called once.
  /// A processor that keeps spans past on_end (add_ref or take_end_reference) releases them
  /// here at the latest: a span keeps its provider alive, and the provider owns its processors.
  /// `timeout` (0: no limit) bounds the flush and the release together: the built-in
  /// processors compute one deadline and pass the time left to each step.
  virtual bool shutdown(std::chrono::milliseconds timeout) {
    (void)timeout;
    return true;
  }
};

namespace detail {
/// The simple processor's lock around export calls. Free of contention it costs one
/// compare-exchange to lock and one exchange to unlock, inline; a thread that finds it held
/// sleeps on the word (std::atomic::wait) until the holder wakes it.
class export_mutex {
 public:
  void lock() noexcept {
    int expected = 0;
    if (state_.compare_exchange_strong(expected, 1, std::memory_order_acquire)) [[likely]]
      return;
    // 2: held, and a thread may be waiting; whoever takes it this way keeps the 2, so its
    // unlock wakes the next waiter.
    while (state_.exchange(2, std::memory_order_acquire) != 0)
      state_.wait(2, std::memory_order_relaxed);
  }
  void unlock() noexcept {
    if (state_.exchange(0, std::memory_order_release) == 2) [[unlikely]]
      state_.notify_one();
  }

 private:
  std::atomic<int> state_{0};  // 0: free; 1: held; 2: held, waiters possible
};
}  // namespace detail

/// Counters kept by the built-in processors (R7.26).
struct processor_stats {
  /// Spans accepted for export (sampled, before shutdown).
  std::uint64_t accepted = 0;
  /// Spans handed to the exporter in batches that succeeded / failed.
  std::uint64_t exported = 0;
  std::uint64_t export_failed = 0;
  /// Spans dropped because the queue was full (`error.type=queue_full`).
  std::uint64_t dropped_queue_full = 0;
  /// Spans that ended after shutdown (`error.type=already_shutdown`).
  std::uint64_t dropped_after_shutdown = 0;
  /// Spans the shutdown did not deliver (batch processor): those in its final export attempts
  /// that failed (also counted in export_failed), an export it cut short, and those still
  /// queued when its deadline passed (never attempted), reported once as
  /// `sdk.shutdown.undelivered`; and spans that ended as the shutdown began and reached the
  /// queue after its last export (also in `accepted`, never in `dropped_after_shutdown`),
  /// released by the shutdown or, when they arrive after its last release, by the thread that
  /// queued them, so none stays queued.
  std::uint64_t not_delivered_at_shutdown = 0;
  /// Current queue size and capacity (0 for the simple processor).
  std::uint64_t queue_size = 0;
  std::uint64_t queue_capacity = 0;
};

/// Exports each sampled span as it ends, on the ending thread; export calls never overlap
/// (R7.19).
///
/// Thread safety: all methods may be called concurrently.
/// Errors: a failed export is counted and reported (`sdk.export.failed`, rate-limited).
class CTXFLOW_API simple_span_processor final : public span_processor {
 public:
  explicit simple_span_processor(std::unique_ptr<span_exporter> exporter) noexcept;
  ~simple_span_processor() override;

  void on_end(recording_span& span) noexcept override;
  bool force_flush(std::chrono::milliseconds timeout) noexcept override;
  bool shutdown(std::chrono::milliseconds timeout) noexcept override;
  processor_stats stats() const noexcept;

 private:
  static void bump(std::atomic<std::uint64_t>& counter) noexcept;

  detail::export_mutex mu_;
  std::unique_ptr<span_exporter> exporter_;  // guarded by mu_; null after shutdown
  std::atomic<bool> shut_down_{false};
  // accepted_, exported_ and failed_ are written under mu_ only; after_shutdown_ by anyone.
  std::atomic<std::uint64_t> accepted_{0}, exported_{0}, failed_{0}, after_shutdown_{0};
};

/// Calls several processors in registration order (R7.17). Each child runs inside a guard: one
/// that throws is reported (`sdk.processor.failed`) and switched off; the others keep going.
/// force_flush and shutdown share one deadline among the children: each gets the time left
/// (at least 1 ms), so the call as a whole stays within its timeout when they do.
///
/// Thread safety: all methods may be called concurrently; add() only before use.
class CTXFLOW_API multi_span_processor final : public span_processor {
 public:
  multi_span_processor() noexcept = default;
  explicit multi_span_processor(std::vector<std::unique_ptr<span_processor>> processors);
  ~multi_span_processor() override;

  /// Appends a processor. Not thread-safe: call before spans start.
  void add(std::unique_ptr<span_processor> processor);
  std::size_t size() const noexcept { return entries_.size(); }
  /// True when processor `i` was switched off after throwing.
  bool disabled(std::size_t i) const noexcept;
  /// False when no child does anything in on_start (the built-in simple and batch processors
  /// do nothing there), so span creation can skip the call.
  bool wants_on_start() const noexcept { return starts_; }

  void on_start(recording_span& span, const trace::span_context& parent) noexcept override;
  void on_end(recording_span& span) noexcept override;
  bool force_flush(std::chrono::milliseconds timeout) noexcept override;
  bool shutdown(std::chrono::milliseconds timeout) noexcept override;

 private:
  struct entry {
    std::unique_ptr<span_processor> processor;
    std::atomic<bool> off{false};  // false: active; true: threw once, never called again
  };
  std::vector<std::unique_ptr<entry>> entries_;
  bool starts_ = false;  // a child may do something in on_start
};

}  // namespace ctxflow::sdk
