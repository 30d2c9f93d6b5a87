// SPDX-License-Identifier: Apache-2.0
// Private: the batch processor's queue capacity over all per-thread rings (docs/design/sdk.md,
// section 3).
//
// A shared signed counter of queued spans. A producer adds its pushes to it in runs while the
// queue is under half full, and one at a time above that; between additions it compares against
// the value it saw last, so the common path reads no shared cache line. A run is `chunk`
// (min(max_chunk, batch, capacity / 32)) divided among the producing threads.
// The counter never exceeds the true number of queued spans, so a span is refused only when the
// queue really holds max_queue_size spans; the queue may exceed max_queue_size by the spans
// producers accepted in runs before the counter passed half full: less than capacity / 32.
// When the counter passes a multiple of the batch size the producer is told to wake the export
// thread (once per batch).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>

namespace ctxflow::sdk::detail {

class batch_admission {
 public:
  enum class verdict {
    full,             // refused: the queue holds max_queue_size spans
    queued,           // accepted
    queued_wake,      // accepted; the queue reached a multiple of the batch size: wake the export
                      // thread once the span is published (unless it paces itself)
    queued_wake_now,  // that, with the queue three quarters full: wake it even while it paces
  };

  /// One producer's share (producer-only, no synchronisation).
  struct producer_run {
    std::uint64_t unpublished = 0;  // accepted spans not yet added to the counter
    std::int64_t seen = 0;          // the counter after this producer's last addition
    std::uint64_t length = 1;       // accepted spans it may leave unadded
  };

  /// The longest run of all producers together. With two producers each addition finds the
  /// counter's line in the other producer's cache, so a run of n spans costs each of them one
  /// line transfer per n / 2 spans (docs/design/sdk.md 9.6).
  static constexpr std::uint64_t max_chunk = 256;

  batch_admission(std::uint64_t capacity, std::uint64_t batch) noexcept;

  /// Admits one more span of the producer owning `run`.
  verdict admit(producer_run& run) noexcept {
    const std::uint64_t u = run.unpublished;
    // The fast path reads nothing shared: the counter as of this producer's last addition.
    if (u + 1 < run.length && run.seen + static_cast<std::int64_t>(u) < half_) {
      run.unpublished = u + 1;
      return verdict::queued;
    }
    return admit_counted(run);
  }

  /// The export thread took `n` spans.
  void taken(std::uint64_t n) noexcept {
    queued_.fetch_sub(static_cast<std::int64_t>(n), std::memory_order_relaxed);
  }
  /// A producer that will push no more: its last run is added, so the counter does not stay low
  /// for good. The caller has acquired the producer's writes to `run`.
  void settle(const producer_run& run) noexcept {
    queued_.fetch_add(static_cast<std::int64_t>(run.unpublished), std::memory_order_relaxed);
  }
  /// Producers share the run length among themselves.
  void add_producer() noexcept { producers_.fetch_add(1, std::memory_order_relaxed); }
  void remove_producer() noexcept { producers_.fetch_sub(1, std::memory_order_relaxed); }

  /// The counter (seq_cst: pairs with a producer's addition; see batch_export_loop::wake).
  std::int64_t queued() const noexcept { return queued_.load(std::memory_order_seq_cst); }
  std::uint64_t capacity() const noexcept { return capacity_; }
  std::uint64_t batch() const noexcept { return batch_; }
  /// The runs of all producers together.
  std::uint64_t chunk() const noexcept { return chunk_; }

 private:
  verdict admit_counted(producer_run& run) noexcept;

  const std::uint64_t capacity_;
  const std::uint64_t batch_;
  const std::uint64_t chunk_;
  const std::int64_t half_;  // above this, every push updates the counter
  // Registered producers (read once per run; written when a producer comes or goes).
  std::atomic<std::uint64_t> producers_{0};
  // Queued spans: producers add (in runs), the export thread subtracts what it takes. Never
  // above the true count; may go below zero while runs are unpublished.
  alignas(64) std::atomic<std::int64_t> queued_{0};
};

}  // namespace ctxflow::sdk::detail
