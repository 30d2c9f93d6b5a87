// SPDX-License-Identifier: Apache-2.0
// Private: the per-thread ring of the batch span processor (docs/design/sdk.md, section 2).
//
// One producing thread's queue of ended spans on one processor: a bounded single-producer ring
// of span pointers, read by one consumer (the export thread). Positions only grow:
//
//   reclaimed <= done <= taken <= tail
//   [reclaimed, done): exported, waiting to be released; [done, taken): being exported;
//   [taken, tail): queued.
//
// The producer writes a slot and publishes it with a release store of `tail`. The consumer
// takes slots below `tail`, and once their export returned publishes `done` with a release
// store. It never writes a slot or a span: a slot is rewritten only after `reclaimed` passed
// it, and reclaim() (any thread, also concurrently) is the only way `reclaimed` moves.
// The ring never dereferences the pointers it holds.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>

#include "sdk/prefetch.hpp"

namespace ctxflow::sdk {
class recording_span;
}

namespace ctxflow::sdk::detail {

class span_ring {
 public:
  /// Spans reclaim() copies and claims per round.
  static constexpr std::uint64_t reclaim_round = 64;

  /// A ring of at least `min_slots` slots (rounded up to a power of two). Check valid(): the
  /// slots are allocated without throwing.
  explicit span_ring(std::uint64_t min_slots) noexcept;
  ~span_ring();
  span_ring(const span_ring&) = delete;
  span_ring& operator=(const span_ring&) = delete;

  /// False if the slots could not be allocated (or were freed).
  bool valid() const noexcept { return slots_ != nullptr; }
  /// Slots in the ring (a power of two).
  std::uint64_t size() const noexcept { return mask_ + 1; }
  /// Frees the slots early; only when nobody pushes, takes or reclaims any more.
  void free_slots() noexcept;

  // ---- producer (one thread) ----

  /// The next position to write (the producer's own value).
  std::uint64_t tail_for_producer() const noexcept { return tail_.load(std::memory_order_relaxed); }
  /// True if position `t` (the tail) has a free slot: everything below t - size() is reclaimed.
  bool has_room(std::uint64_t t) const noexcept {
    return t - reclaimed_.load(std::memory_order_relaxed) <= mask_;
  }
  /// Writes `s` at position `t` (the tail; has_room(t)) and publishes it. release: the slot,
  /// and everything written to the span before, happen-before the consumer's acquire of tail.
  /// Also asks for the slot line after this one in the state for writing (docs/design/sdk.md
  /// 9.5): the consumer read it on the ring's last lap, and a store that has to fetch it would
  /// hold up the producer's next locked instruction until it arrived.
  void push(std::uint64_t t, recording_span* s) noexcept {
    slots_[t & mask_].store(s, std::memory_order_relaxed);
    tail_.store(t + 1, std::memory_order_release);
    prefetch_line_for_write(&slots_[(t + slots_per_line) & mask_]);
  }
  /// Spans below `tail` the consumer has not taken yet (the producer's view; may lag).
  std::uint64_t untaken_below(std::uint64_t tail) const noexcept {
    return tail - taken_.load(std::memory_order_relaxed);
  }

  // ---- consumer (the export thread) ----

  /// Spans queued and not taken (exact for the consumer).
  std::uint64_t queued() const noexcept {
    return tail_.load(std::memory_order_acquire) - taken_.load(std::memory_order_relaxed);
  }
  /// Takes up to `max` queued spans in order, calling `each(const recording_span*)` for each;
  /// returns how many. acquire of tail: the slots (and the spans) below it are complete.
  template <class F>
  std::uint64_t take(std::uint64_t max, F&& each) noexcept {
    const std::uint64_t t = tail_.load(std::memory_order_acquire);
    const std::uint64_t start = taken_.load(std::memory_order_relaxed);
    const std::uint64_t end = start + std::min(t - start, max);
    for (std::uint64_t p = start; p < end; ++p)
      each(static_cast<const recording_span*>(slots_[p & mask_].load(std::memory_order_relaxed)));
    taken_.store(end, std::memory_order_relaxed);
    return end - start;
  }
  /// The export of everything taken has returned: publishes `done` (release: the consumer's
  /// reads of those spans happen-before their release and reuse). Returns the new `done`.
  std::uint64_t finish_taken() noexcept {
    const std::uint64_t t = taken_.load(std::memory_order_relaxed);
    done_.store(t, std::memory_order_release);
    return t;
  }
  /// Takes and finishes every queued span without handing it out; returns how many.
  std::uint64_t skip_queued() noexcept;

  // ---- any thread ----

  /// How far exports have returned. acquire: the consumer's reads of the spans below it
  /// happen-before a release of them.
  std::uint64_t done() const noexcept { return done_.load(std::memory_order_acquire); }
  std::uint64_t done_relaxed() const noexcept { return done_.load(std::memory_order_relaxed); }
  /// Everything below it has been handed to a reclaim() sink.
  std::uint64_t reclaimed() const noexcept { return reclaimed_.load(std::memory_order_acquire); }
  std::uint64_t reclaimed_relaxed() const noexcept { return reclaimed_.load(std::memory_order_relaxed); }
  /// Spans ever pushed.
  std::uint64_t tail() const noexcept { return tail_.load(std::memory_order_acquire); }
  /// Spans ever taken (relaxed: for the consumer, or a count that may lag).
  std::uint64_t taken() const noexcept { return taken_.load(std::memory_order_relaxed); }

  /// Hands the spans at positions [reclaimed, upto) (upto <= done) to `sink(recording_span*
  /// const* spans, std::uint64_t n)`, each exactly once whichever thread claims it. Any thread
  /// may call it, also concurrently: each round copies up to reclaim_round slot values, then
  /// claims them with a CAS on `reclaimed`. A slot is rewritten only once `reclaimed` passed its
  /// position, so a successful CAS proves the copies were the spans of those positions.
  template <class Sink>
  void reclaim(std::uint64_t upto, Sink&& sink) noexcept {
    recording_span* buf[reclaim_round];
    // acquire: the slots below `reclaimed` were read by whoever advanced it.
    std::uint64_t r = reclaimed_.load(std::memory_order_acquire);
    while (r < upto) {
      const std::uint64_t n = std::min(upto - r, reclaim_round);
      for (std::uint64_t i = 0; i < n; ++i) buf[i] = slots_[(r + i) & mask_].load(std::memory_order_relaxed);
      if (!reclaimed_.compare_exchange_strong(r, r + n, std::memory_order_acq_rel,
                                              std::memory_order_acquire))
        continue;  // somebody else claimed them; r is reloaded
      sink(static_cast<recording_span* const*>(buf), n);
      r += n;
    }
  }

 private:
  static constexpr std::uint64_t slots_per_line = 64 / sizeof(recording_span*);

  // Set at construction; read by all.
  alignas(64) std::atomic<recording_span*>* slots_;
  const std::uint64_t mask_;
  // Written by the producer.
  std::atomic<std::uint64_t> tail_{0};  // release: the slots below are written
  // Advanced by whoever reclaims (the producer, the export thread, a shutdown).
  std::atomic<std::uint64_t> reclaimed_{0};
  // Written by the consumer.
  alignas(64) std::atomic<std::uint64_t> taken_{0};
  std::atomic<std::uint64_t> done_{0};  // release: the export of the spans below has returned
};

}  // namespace ctxflow::sdk::detail
