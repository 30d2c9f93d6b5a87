// SPDX-License-Identifier: Apache-2.0
// Private: the export thread of the batch span processor, with its flush and shutdown
// (docs/design/sdk.md, sections 4 and 7).
//
// The export thread waits until a producer wakes it (a batch is ready), its schedule timer
// fires, a flush or a shutdown asks, or (while pacing, batch_pacer.hpp) its nap ends. It then
// takes spans from the shards in turn, hands their data to the exporter, publishes per shard
// how far the export got, and releases the spans of shards whose thread will not come back
// for them (span_returns.hpp). At least once a second it tends the shards: it releases the
// exported spans of idle ones and retires abandoned empty ones.
//
// Flush and shutdown: a shutdown, or a force_flush with a timeout, computes one deadline. The
// export thread then drains the queue with export_limits{deadline, single_attempt}: one attempt
// per batch, none started after the deadline. An export already running when the drain starts
// gets its interrupt token requested, which ends its retries. At shutdown the batches left when
// the deadline passes are discarded; every span the drain did not deliver is counted
// (not_delivered_at_shutdown) and reported once (`sdk.shutdown.undelivered`), not per batch.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stop_token>
#include <thread>
#include <vector>

#include "ctxflow/sdk/batch_options.hpp"
#include "ctxflow/sdk/span_exporter.hpp"
#include "sdk/batch_admission.hpp"
#include "sdk/batch_shards.hpp"

#if defined(__SANITIZE_THREAD__)
#define CTXFLOW_BATCH_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CTXFLOW_BATCH_TSAN 1
#endif
#endif
#ifndef CTXFLOW_BATCH_TSAN
#define CTXFLOW_BATCH_TSAN 0
#endif

namespace ctxflow::sdk::detail {

class span_recycler;

/// The processor's counters (R7.26).
struct batch_counters {
  std::atomic<std::uint64_t> dropped_full{0};
  std::atomic<std::uint64_t> after_shutdown{0};
  std::atomic<std::uint64_t> exported{0};
  std::atomic<std::uint64_t> failed{0};
  // Spans the shutdown did not deliver (failed final exports, or not attempted in time).
  std::atomic<std::uint64_t> not_delivered_at_shutdown{0};
  // Spans in the export call running now (read by a shutdown that timed out).
  std::atomic<std::uint64_t> in_flight{0};
  // Set by whoever reports the shutdown's undelivered spans (once).
  std::atomic<bool> undelivered_reported{false};
};

class batch_export_loop {
 public:
  using clock = std::chrono::steady_clock;

  batch_export_loop(const batch_options& opts, span_exporter* exporter, shard_registry& shards,
                    batch_admission& admission, span_recycler& recycler,
                    batch_counters& counters) noexcept;
  batch_export_loop(const batch_export_loop&) = delete;
  batch_export_loop& operator=(const batch_export_loop&) = delete;

  /// Starts the export thread; it keeps `owner` (the object this loop lives in) alive.
  void start(std::shared_ptr<const void> owner);
  /// No export thread (no exporter): the loop counts as stopped.
  void mark_stopped() noexcept;

  /// True once shutdown started: producers drop their spans.
  bool stopping() const noexcept { return stopping_.load(std::memory_order_relaxed); }
  /// The producer's second look, right after its push (docs/design/sdk.md, "A span queued
  /// after the last release"): false means the shutdown's last release will see the push; true
  /// means it may not, and the producer calls shard_registry::take_late. The fence pairs with
  /// the one shutdown() makes after setting the flag (stop_fence); with membarrier it is a
  /// compiler barrier only, so the hot path gains two loads of this line and three branches.
  bool stopping_after_push() const noexcept {
#if CTXFLOW_BATCH_TSAN
    // ThreadSanitizer models neither membarrier nor fences: a read-modify-write on one word,
    // which it does model, orders the push and the look with shutdown's (sanitizer builds only).
    (void)stop_sync_.fetch_add(0, std::memory_order_acq_rel);
#else
    if (asymmetric_) [[likely]]
      std::atomic_signal_fence(std::memory_order_seq_cst);
    else
      std::atomic_thread_fence(std::memory_order_seq_cst);
#endif
    return stopping_.load(std::memory_order_relaxed);
  }

  /// A producer published a span that completed a batch. A pacing export thread comes back
  /// on its own unless `even_if_pacing`.
  void wake(bool even_if_pacing) noexcept {
    // seq_cst: either the export thread sees our addition to the counter after leaving its
    // paced mode, or we see it has left it.
    if (!even_if_pacing && pacing_.load(std::memory_order_seq_cst)) return;
    if (!wake_pending_.exchange(true, std::memory_order_acq_rel)) notify();
  }

  /// Exports every span queued before the call, then flushes the exporter (0: no limit).
  bool flush(std::chrono::milliseconds timeout) noexcept;
  /// Drains the queue and stops the export thread within `timeout` (0: no limit), then shuts
  /// the exporter down with the time left. Once only (the caller checks).
  bool shutdown(std::chrono::milliseconds timeout) noexcept;
  /// The last release: releases every span the shards still hold (exported ones nobody
  /// released, and queued ones that will never be exported, counted as not delivered) and
  /// closes the shards, so later calls do nothing and a producer that queues after it releases
  /// its own span (shard_registry::take_late). By the export thread as it stops, or when there
  /// is none (processor destroyed without one).
  void release_all() noexcept;

 private:
  void notify() noexcept;
  void run() noexcept;
  std::size_t export_one_batch(const export_limits& limits, bool drain) noexcept;
  void take() noexcept;
  std::uint64_t queued_exact() noexcept;
  std::uint64_t discard_queued() noexcept;
  void tend_shards() noexcept;
  void report_drain(bool stop, std::uint64_t not_attempted, std::uint64_t left_queued) noexcept;
  void report_drops(bool now) noexcept;
  void renew_interrupt() noexcept;
  void stop_fence() noexcept;

  const batch_options& opts_;
  span_exporter* const exporter_;
  shard_registry& shards_;
  batch_admission& admission_;
  span_recycler& recycler_;
  batch_counters& counters_;

  // Export thread only.
  std::vector<const span_data*> ptrs_;
  std::vector<shard*> touched_;
  std::size_t rotation_ = 0;
  std::uint64_t flush_done_local_ = 0;
  std::uint64_t dropped_reported_ = 0;
  clock::time_point last_drop_report_{};
  bool batch_failed_ = false;
  std::uint64_t drain_failed_ = 0;  // spans of failed exports the next drain report covers

  // false until shutdown(); then on_end drops spans and the export thread drains and exits.
  // Every on_end of every producer reads it, so it has a cache line of its own that nothing
  // writes before shutdown: beside the wake flags or the mutex, each wake-up and each lock of
  // mu_ by the export thread would take the line from every producer.
  alignas(64) std::atomic<bool> stopping_{false};
  // True when membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) is registered for the process: then
  // the producers' fence after their push is a compiler barrier and shutdown's is the system
  // call; otherwise both are seq_cst fences. Set at construction, read beside stopping_.
  const bool asymmetric_;
#if CTXFLOW_BATCH_TSAN
  mutable std::atomic<std::uint64_t> stop_sync_{0};
#endif

  // false until a producer asks the export thread to wake; reset by it under mu_.
  alignas(64) std::atomic<bool> wake_pending_{false};
  // true while the export thread paces itself: producers then skip the wake-up.
  std::atomic<bool> pacing_{false};

  std::mutex mu_;
  std::condition_variable cv_;       // wakes the export thread
  std::condition_variable done_cv_;  // flush/shutdown completion
  std::uint64_t flush_requested_ = 0;  // guarded by mu_
  std::uint64_t flush_done_ = 0;       // guarded by mu_
  bool last_flush_ok_ = true;          // guarded by mu_
  bool exited_ = false;                // guarded by mu_
  // Latest deadline of the flush requests not yet picked up (min(): none; max(): no limit).
  clock::time_point flush_deadline_pending_ = clock::time_point::min();  // guarded by mu_
  clock::time_point stop_deadline_ = clock::time_point::max();           // guarded by mu_
  // Requested when a bounded flush or a shutdown starts: ends the running export's retries.
  // Replaced by a fresh one once the flushes are served. Guarded by mu_.
  std::stop_source interrupt_;
  std::thread worker_;
};

}  // namespace ctxflow::sdk::detail
