// SPDX-License-Identifier: Apache-2.0
// The batch span processor (R7.20-R7.22, R7.26).
//
// Queue: one single-producer ring ("shard") per thread that ends spans on this processor, all
// read by the one export thread. A producer writes the span pointer into its own ring and
// publishes it with a release store of its tail; no cache line is written by two producers.
// The export thread takes spans from the shards, exports them, and then publishes per shard how
// far the export got (`done`). It never writes to a span: the producer that queued a span gets
// it back from its own ring and releases it itself, on its next on_end, so the span object
// returns to the thread's free list (span_pool.hpp) without any cross-thread write to it.
// A shard whose thread has exited (or stopped using this processor) is drained and released by
// the export thread, as are shards idle for a whole schedule period.
//
// Capacity (R7.20): a shared signed counter of queued spans. A producer adds its pushes to it in
// runs while the queue is under half full, and one at a time above that; between additions it
// compares against the value it saw last, so the common path reads no shared cache line. A
// run is `chunk` (min(64, batch, capacity / 32)) divided among the producing threads.
// The counter never exceeds the true number of queued spans, so a span is dropped only when the
// queue really holds max_queue_size spans; the queue may exceed max_queue_size by the spans
// producers accepted in runs before the counter passed half full: less than capacity / 32.
// When the counter passes a multiple of max_export_batch_size the export thread is woken (the only
// lock on that path, once per batch) unless it paces itself (see pacer); otherwise it wakes on
// its timer, a flush or shutdown. docs/design/sdk.md has the reasoning and the measurements.
//
// Flush and shutdown (docs/design/sdk.md, "Bounded flush and shutdown"): a shutdown, or a
// force_flush with a timeout, computes one deadline. The export thread then drains the queue
// with export_limits{deadline, single_attempt}: one attempt per batch, none started after the
// deadline. An export already running when the drain starts gets its interrupt token
// requested, which ends its retries. At shutdown the batches left when the deadline passes are
// discarded; every span the drain did not deliver is counted (not_delivered_at_shutdown) and
// reported once (`sdk.shutdown.undelivered`), not per batch.
#include "ctxflow/sdk/batch_span_processor.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <new>
#include <stop_token>
#include <thread>
#include <utility>
#include <vector>

#if defined(__linux__)
#include <sys/prctl.h>
#endif

#include "ctxflow/context/diagnostics.hpp"
#include "internal/env.hpp"
#include "internal/report.hpp"
#include "sdk/span_pool.hpp"

namespace ctxflow::sdk {

using steady = std::chrono::steady_clock;

batch_options batch_options::from_environment() {
  batch_options o;
  if (auto v = internal::env_millis("OTEL_BSP_SCHEDULE_DELAY")) o.schedule_delay = *v;
  if (auto v = internal::env_millis("OTEL_BSP_EXPORT_TIMEOUT")) o.export_timeout = *v;
  if (auto v = internal::env_uint("OTEL_BSP_MAX_QUEUE_SIZE")) {
    if (*v == 0)
      internal::report_invalid_setting(internal::env_invalid_code, "OTEL_BSP_MAX_QUEUE_SIZE", "0", "must be greater than 0");
    else
      o.max_queue_size = *v;
  }
  if (auto v = internal::env_uint("OTEL_BSP_MAX_EXPORT_BATCH_SIZE")) {
    if (*v == 0)
      internal::report_invalid_setting(internal::env_invalid_code, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "0", "must be greater than 0");
    else
      o.max_export_batch_size = *v;
  }
  return o;
}

namespace {

std::atomic<std::uint64_t> next_processor_uid{1};

std::uint64_t round_up_pow2(std::uint64_t v) noexcept {
  std::uint64_t p = 1;
  while (p < v) p <<= 1;
  return p;
}

// One producing thread's queue on one processor. Positions only grow:
//   reclaimed <= done <= taken <= tail
// [reclaimed, done): exported, waiting to be released; [done, taken): being exported;
// [taken, tail): queued.
struct shard {
  shard(std::atomic<recording_span*>* r, std::uint64_t size) noexcept : ring(r), mask(size - 1) {}
  ~shard() { delete[] ring; }
  shard(const shard&) = delete;
  shard& operator=(const shard&) = delete;

  // Written by the producing thread.
  alignas(64) std::atomic<std::uint64_t> tail{0};  // release: the slots below are written
  std::uint64_t unpublished = 0;  // producer only: accepted spans not yet added to state::queued
  std::int64_t seen_queued = 0;   // producer only: state::queued after its last addition
  std::uint64_t run = 1;          // producer only: accepted spans it may leave unadded
  // Advanced by whoever releases exported spans (see reclaim): the producer, or the export
  // thread for an abandoned or idle shard, or shutdown.
  std::atomic<std::uint64_t> reclaimed{0};
  // Written by the export thread.
  alignas(64) std::atomic<std::uint64_t> taken{0};
  std::atomic<std::uint64_t> done{0};  // release: the export of the spans below has returned
  std::uint64_t idle_mark = 0;         // export thread only: `reclaimed` at the last timer tick
  // Set once by the producing thread when it stops using the shard (thread exit or eviction
  // from its cache); from then on only the export thread and shutdown touch the slots.
  alignas(64) std::atomic<bool> abandoned{false};
  // The thread's cache and the processor; the last to let go deletes the shard.
  std::atomic<int> owners{2};
  std::atomic<recording_span*>* ring;  // freed early by a destroyed processor (no pushes then)
  const std::uint64_t mask;
};

// Releases the spans at positions [reclaimed, upto). Any thread may call it, also concurrently:
// each round copies up to 64 slot values, then claims them with a CAS on `reclaimed`. A slot is
// rewritten only once `reclaimed` passed its position, so a successful CAS proves the copies
// were the spans of those positions.
void reclaim(shard& sh, std::uint64_t upto) noexcept {
  constexpr std::uint64_t round = 64;
  recording_span* buf[round];
  // acquire: the slots below `reclaimed` were read by whoever advanced it.
  std::uint64_t r = sh.reclaimed.load(std::memory_order_acquire);
  while (r < upto) {
    const std::uint64_t n = std::min(upto - r, round);
    for (std::uint64_t i = 0; i < n; ++i)
      buf[i] = sh.ring[(r + i) & sh.mask].load(std::memory_order_relaxed);
    if (!sh.reclaimed.compare_exchange_strong(r, r + n, std::memory_order_acq_rel,
                                              std::memory_order_acquire))
      continue;  // somebody else released them; r is reloaded
    for (std::uint64_t i = 0; i < n; ++i) buf[i]->release();
    r += n;
  }
}

// The producing thread is done with the shard.
void abandon(shard* sh) noexcept {
  // release: every push happens-before the export thread's acquire of `abandoned`.
  sh->abandoned.store(true, std::memory_order_release);
  // acq_rel: the last owner sees the other's last accesses.
  if (sh->owners.fetch_sub(1, std::memory_order_acq_rel) == 1) delete sh;
}

// The calling thread's shards, keyed by processor uid (never reused, so an entry of a destroyed
// processor simply never matches again). Trivially destructible: a lookup is a TLS load.
struct shard_ref {
  std::uint64_t uid = 0;
  shard* sh = nullptr;
};
constexpr std::size_t cache_ways = 4;
thread_local constinit shard_ref tls_shards[cache_ways] = {};

// True once the thread's cache was torn down at thread exit; spans a later thread-exit hook
// ends go through one-slot shards abandoned at once.
thread_local constinit bool tls_shards_closed = false;

struct shard_cache_guard {
  bool armed = false;
  ~shard_cache_guard() {
    tls_shards_closed = true;
    for (shard_ref& e : tls_shards) {
      if (e.sh != nullptr) abandon(e.sh);
      e = shard_ref{};
    }
  }
};
thread_local shard_cache_guard tls_shard_guard;

// The export thread's pacing. While spans arrive fast (full batches in quick succession), waking
// the export thread for every batch costs the producing thread a system call (and, on a virtual
// machine, an inter-processor interrupt) per batch. Instead the export thread then sleeps for a
// short period sized from the measured arrival rate, so that at most a quarter of the queue's
// headroom (and at most four batches) arrives while it sleeps, and producers do not wake it. Its
// timer slack is 1 µs (Linux), so a nap is not stretched by the default 50 µs. It goes back to
// being woken as soon as a period brings less than half a batch, and never paces when a quarter
// of the headroom is less than half a batch (small queues).
struct pacer {
  pacer(std::uint64_t queue_capacity, std::uint64_t batch_size,
        std::chrono::milliseconds delay) noexcept
      : batch(batch_size),
        nap_spans(std::min(4 * batch_size, (queue_capacity - batch_size) / 4)),
        longest(std::min<steady::duration>(delay, std::chrono::milliseconds(20))) {}

  // After a round that took `taken` spans; true: sleep until `until` without being woken.
  bool next(steady::time_point now, bool woken, std::uint64_t taken) noexcept {
    if (active) {
      const auto slept = now - since;
      if (taken < batch / 2 || taken == 0) {
        active = false;
        last_wake = now;
        return false;
      }
      return plan(now, slept, taken);
    }
    if (!woken || taken < batch || nap_spans < batch / 2) return false;
    const auto since_last = now - last_wake;
    last_wake = now;
    if (since_last >= longest) return false;  // slow enough: being woken is cheap
    return plan(now, since_last, taken);
  }

  bool plan(steady::time_point now, steady::duration took, std::uint64_t taken) noexcept {
    // took / taken per span, times the spans we want per nap.
    const auto per_span = took / static_cast<std::int64_t>(taken > 0 ? taken : 1);
    steady::duration nap = per_span * static_cast<std::int64_t>(nap_spans);
    nap = std::clamp<steady::duration>(nap, std::chrono::microseconds(20), longest);
    active = true;
    since = now;
    until = now + nap;
    return true;
  }

  const std::uint64_t batch;
  const std::uint64_t nap_spans;  // spans that may arrive in one nap: a quarter of the headroom
  const steady::duration longest;
  bool active = false;
  steady::time_point since{};
  steady::time_point until{};
  steady::time_point last_wake{};
};

}  // namespace

struct batch_span_processor::state {
  state(std::unique_ptr<span_exporter> e, batch_options o)
      : opts(o), exporter(std::move(e)), uid(next_processor_uid.fetch_add(1)),
        capacity(o.max_queue_size), batch(o.max_export_batch_size),
        chunk(std::max<std::uint64_t>(1, std::min<std::uint64_t>({64, batch, capacity / 32}))),
        half(static_cast<std::int64_t>(capacity / 2)),
        ring_size(round_up_pow2(capacity + batch + chunk)) {}

  ~state() {
    // Spans left behind by an abandoned export thread, and the exported ones nobody released.
    release_all();
    for (shard* sh : shards) {
      // The thread may still hold its cache entry, but never pushes again (the uid is dead).
      delete[] sh->ring;
      sh->ring = nullptr;
      if (sh->owners.fetch_sub(1, std::memory_order_acq_rel) == 1) delete sh;
    }
  }

  // ---- producer side ----

  // The calling thread's shard; null when the thread is exiting or out of memory.
  shard* local_shard() noexcept {
    for (shard_ref& e : tls_shards)
      if (e.uid == uid) return e.sh;
    if (tls_shards_closed) return nullptr;
    shard* sh = make_shard(ring_size);
    if (sh == nullptr) return nullptr;
    tls_shard_guard.armed = true;  // first use registers the thread-exit hook
    // The least recently added entry makes room.
    if (tls_shards[cache_ways - 1].sh != nullptr) abandon(tls_shards[cache_ways - 1].sh);
    for (std::size_t i = cache_ways - 1; i > 0; --i) tls_shards[i] = tls_shards[i - 1];
    tls_shards[0] = shard_ref{uid, sh};
    return sh;
  }

  // A new shard of `size` slots (a power of two), registered with the export thread.
  shard* make_shard(std::uint64_t size) noexcept {
    auto* ring = new (std::nothrow) std::atomic<recording_span*>[size];
    if (ring == nullptr) return nullptr;
    auto* sh = new (std::nothrow) shard(ring, size);
    if (sh == nullptr) {
      delete[] ring;
      return nullptr;
    }
    for (std::uint64_t i = 0; i < size; ++i) ring[i].store(nullptr, std::memory_order_relaxed);
    {
      std::lock_guard lock(shards_mu);
#if CTXFLOW_HAS_EXCEPTIONS
      try {
        shards.push_back(sh);
      } catch (...) {
        delete sh;
        return nullptr;
      }
#else
      shards.push_back(sh);
#endif
      shards_version.fetch_add(1, std::memory_order_release);
    }
    producers.fetch_add(1, std::memory_order_relaxed);
    return sh;
  }

  enum class admission { full, queued, queued_wake, queued_wake_now };

  // Admits one more span from `sh` (see the capacity note at the top). queued_wake: the queue
  // reached a multiple of the batch size; wake the export thread once the span is published.
  // queued_wake_now: that, with the queue three quarters full: wake it even while it paces
  // (arrivals sped up during its nap).
  admission admit(shard& sh) noexcept {
    const std::uint64_t u = sh.unpublished;
    // The fast path reads nothing shared: the counter as of this thread's last addition.
    if (u + 1 < sh.run && sh.seen_queued + static_cast<std::int64_t>(u) < half) {
      sh.unpublished = u + 1;
      return admission::queued;
    }
    const auto add = static_cast<std::int64_t>(u + 1);
    // seq_cst: pairs with the export thread leaving its paced mode (see wake()).
    const std::int64_t before = queued.fetch_add(add, std::memory_order_seq_cst);
    sh.unpublished = 0;
    sh.seen_queued = before + add;
    // The runs of all producers together stay under capacity / 32 (see the note at the top).
    const std::uint64_t n = producers.load(std::memory_order_relaxed);
    sh.run = std::max<std::uint64_t>(1, chunk / (n > 0 ? n : 1));
    // `before` counts only spans really queued, so `before + u` is a lower bound of the queue
    // without this span: when it has reached capacity, the queue is full.
    if (before + static_cast<std::int64_t>(u) >= static_cast<std::int64_t>(capacity)) {
      queued.fetch_sub(1, std::memory_order_relaxed);
      return admission::full;
    }
    const std::int64_t after = before + add;
    const auto b = static_cast<std::int64_t>(batch);
    if (after < b || (before >= 0 && before / b == after / b)) return admission::queued;
    return after >= static_cast<std::int64_t>(capacity - capacity / 4) ? admission::queued_wake_now
                                                                         : admission::queued_wake;
  }

  void wake(bool even_if_pacing) noexcept {
    // A pacing export thread comes back on its own, soon enough that the queue cannot fill at
    // the rate it measured. seq_cst: either it sees our addition to `queued` after leaving that
    // mode, or we see it has left it.
    if (!even_if_pacing && pacing.load(std::memory_order_seq_cst)) return;
    if (!wake_pending.exchange(true, std::memory_order_acq_rel)) {
      // Passing through mu orders the flag with the export thread's check of it (it checks
      // under mu, then blocks atomically); notifying after unlocking spares the woken thread
      // a second sleep on mu.
      { std::lock_guard lock(mu); }
      cv.notify_one();
    }
  }

  // ---- export thread ----

  // Refreshes the export thread's copy of the shard list.
  void refresh_shards() {
    const std::uint64_t v = shards_version.load(std::memory_order_acquire);
    if (v == seen_version) return;
    std::lock_guard lock(shards_mu);
    seen_version = shards_version.load(std::memory_order_relaxed);
#if CTXFLOW_HAS_EXCEPTIONS
    try {
      local = shards;
    } catch (...) {
      seen_version = 0;  // try again next time
    }
#else
    local = shards;
#endif
  }

  // Spans queued in every shard (exact, as seen by the export thread).
  std::uint64_t queued_exact() const noexcept {
    std::uint64_t n = 0;
    for (const shard* sh : local)
      n += sh->tail.load(std::memory_order_acquire) - sh->taken.load(std::memory_order_relaxed);
    return n;
  }

  // Takes up to `batch` spans, starting with the shard after the one served first last time.
  void take(std::vector<const span_data*>& ptrs, std::vector<shard*>& touched) noexcept {
    ptrs.clear();
    touched.clear();
    const std::size_t n_shards = local.size();
    if (n_shards == 0) return;
    if (++rotation >= n_shards) rotation = 0;
    for (std::size_t k = 0; k < n_shards && ptrs.size() < batch; ++k) {
      shard& sh = *local[(rotation + k) % n_shards];
      // acquire: the slots below tail (and the spans they point to) are complete.
      const std::uint64_t t = sh.tail.load(std::memory_order_acquire);
      std::uint64_t p = sh.taken.load(std::memory_order_relaxed);
      if (p == t) continue;
      if (touched.size() == touched.capacity()) {
#if CTXFLOW_HAS_EXCEPTIONS
        try {
          touched.reserve(2 * touched.size() + 8);
        } catch (...) {
          break;  // no memory to note another shard: this batch ends here
        }
#else
        touched.reserve(2 * touched.size() + 8);
#endif
      }
      while (p < t && ptrs.size() < batch) {
        const recording_span* s = sh.ring[p & sh.mask].load(std::memory_order_relaxed);
        ptrs.push_back(detail::span_pool::data_of(s));  // no read of the span object itself
        ++p;
      }
      sh.taken.store(p, std::memory_order_relaxed);
      touched.push_back(&sh);
    }
    queued.fetch_sub(static_cast<std::int64_t>(ptrs.size()), std::memory_order_relaxed);
  }

  // Exports up to `batch` spans within `limits`; returns how many were taken. `drain`: a flush
  // or shutdown is draining the queue, which reports its failures once at its end.
  std::size_t export_one_batch(std::vector<const span_data*>& ptrs, std::vector<shard*>& touched,
                               const export_limits& limits, bool drain) noexcept {
    take(ptrs, touched);
    if (ptrs.empty()) return 0;
    const auto start = steady::now();
    export_result r = export_result::failure;
    const std::span<const span_data* const> spans(ptrs.data(), ptrs.size());
    in_flight.store(ptrs.size(), std::memory_order_relaxed);
#if CTXFLOW_HAS_EXCEPTIONS
    try {
      r = exporter->export_spans_within(spans, limits);
    } catch (...) {
      r = export_result::failure;
    }
#else
    r = exporter->export_spans_within(spans, limits);
#endif
    in_flight.store(0, std::memory_order_relaxed);
    const auto took = steady::now() - start;
    if (opts.export_timeout.count() > 0 && took > opts.export_timeout) {
      reportf(severity::warning, "sdk.export.timeout", "an export of %zu spans took %lld ms (limit %lld ms)",
              ptrs.size(),
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()),
              static_cast<long long>(opts.export_timeout.count()));
    }
    if (r == export_result::success) {
      exported.fetch_add(ptrs.size(), std::memory_order_relaxed);
    } else {
      failed.fetch_add(ptrs.size(), std::memory_order_relaxed);
      batch_failed = true;
      // An export cut short by a starting drain belongs to that drain's report.
      if (drain || limits.interrupt.stop_requested()) {
        drain_failed += ptrs.size();
      } else {
        reportf(severity::warning, "sdk.export.failed", "the exporter failed to export %zu spans",
                ptrs.size());
      }
    }
    // The producers release their spans themselves (on_end); abandoned shards are served here.
    detail::span_pool::begin_returns();
    for (shard* sh : touched) {
      const std::uint64_t t = sh->taken.load(std::memory_order_relaxed);
      // release: our reads of the spans happen-before their release and reuse.
      sh->done.store(t, std::memory_order_release);
      if (sh->abandoned.load(std::memory_order_acquire)) reclaim(*sh, t);
    }
    detail::span_pool::end_returns();
    return ptrs.size();
  }

  // Takes every queued span without exporting it (a shutdown whose deadline passed); returns
  // how many. Their producers never come back for them: release_all() releases them.
  std::uint64_t discard_queued() noexcept {
    refresh_shards();
    std::uint64_t n = 0;
    for (shard* sh : local) {
      const std::uint64_t t = sh->tail.load(std::memory_order_acquire);
      const std::uint64_t p = sh->taken.load(std::memory_order_relaxed);
      if (p == t) continue;
      n += t - p;
      sh->taken.store(t, std::memory_order_relaxed);
      sh->done.store(t, std::memory_order_release);
    }
    queued.fetch_sub(static_cast<std::int64_t>(n), std::memory_order_relaxed);
    return n;
  }

  // The drain's deadline: the caller's, less a reserve (a tenth of the timeout, at most 100 ms)
  // for the steps after it (the exporter's flush and shutdown, the join), so that a drain that
  // uses all its time still ends before the caller stops waiting.
  static steady::time_point drain_deadline_for(steady::time_point deadline,
                                               std::chrono::milliseconds timeout) noexcept {
    if (deadline == steady::time_point::max()) return deadline;
    return deadline - std::min<std::chrono::milliseconds>(timeout / 10, std::chrono::milliseconds(100));
  }

  // The time left before `d` for a step that must not get "no limit" (0): at least 1 ms.
  static std::chrono::milliseconds left_until(steady::time_point d,
                                              std::chrono::milliseconds unbounded) noexcept {
    if (d == steady::time_point::max()) return unbounded;
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(d - steady::now());
    return std::max(left, std::chrono::milliseconds(1));
  }

  // One report for a whole drain (export thread only).
  void report_drain(bool stop, std::uint64_t not_attempted, std::uint64_t left_queued) noexcept {
    const std::uint64_t failed_now = std::exchange(drain_failed, 0);
    if (stop) {
      const std::uint64_t n = failed_now + not_attempted;
      not_delivered_at_shutdown.fetch_add(n, std::memory_order_relaxed);
      // Claimed even when nothing is missing: a shutdown that timed out meanwhile stays silent.
      if (!undelivered_reported.exchange(true, std::memory_order_acq_rel) && n != 0) {
        reportf(severity::warning, "sdk.shutdown.undelivered",
                "%llu spans were not delivered at shutdown (%llu in failed exports, %llu not "
                "attempted before the deadline)",
                static_cast<unsigned long long>(n), static_cast<unsigned long long>(failed_now),
                static_cast<unsigned long long>(not_attempted));
      }
    } else if (failed_now != 0 || left_queued != 0) {
      reportf(severity::warning, "sdk.flush.undelivered",
              "force_flush: %llu spans in failed exports; %llu still queued when its deadline "
              "passed",
              static_cast<unsigned long long>(failed_now),
              static_cast<unsigned long long>(left_queued));
    }
  }

  // A fresh interrupt source once no bounded flush is pending (called under mu).
  void renew_interrupt() noexcept {
    if (!interrupt.stop_requested()) return;
#if CTXFLOW_HAS_EXCEPTIONS
    try {
      interrupt = std::stop_source();
    } catch (...) {
      // No memory: keep the requested one; exports then make single attempts until it works.
    }
#else
    interrupt = std::stop_source();
#endif
  }

  // At least once a second: releases the exported spans of shards whose thread has not come back
  // to release them since the previous round, and retires abandoned shards that are empty.
  void tend_shards() noexcept {
    detail::span_pool::begin_returns();
    bool removed = false;
    for (shard*& sh : local) {
      const std::uint64_t d = sh->done.load(std::memory_order_relaxed);
      const std::uint64_t r = sh->reclaimed.load(std::memory_order_relaxed);
      if (r < d && (r == sh->idle_mark || sh->abandoned.load(std::memory_order_acquire))) reclaim(*sh, d);
      sh->idle_mark = sh->reclaimed.load(std::memory_order_relaxed);
      if (sh->abandoned.load(std::memory_order_acquire) &&
          sh->tail.load(std::memory_order_acquire) == sh->reclaimed.load(std::memory_order_acquire)) {
        retire(sh);
        sh = nullptr;
        removed = true;
      }
    }
    detail::span_pool::end_returns();
    if (removed) std::erase(local, nullptr);
  }

  // Removes an empty abandoned shard from the list (export thread only).
  void retire(shard* sh) noexcept {
    // The thread's last run, never added (acquire of `abandoned` made it visible): without it
    // the counter would stay low for good.
    queued.fetch_add(static_cast<std::int64_t>(sh->unpublished), std::memory_order_relaxed);
    {
      std::lock_guard lock(shards_mu);
      std::erase(shards, sh);
      retired_accepted += sh->tail.load(std::memory_order_relaxed);
    }
    producers.fetch_sub(1, std::memory_order_relaxed);
    if (sh->owners.fetch_sub(1, std::memory_order_acq_rel) == 1) delete sh;
  }

  // At most one report per schedule period (at least one second), and one at flush/shutdown.
  void report_drops(bool now) noexcept {
    const std::uint64_t d = dropped_full.load(std::memory_order_relaxed);
    const auto t = steady::now();
    const auto period = opts.schedule_delay > std::chrono::milliseconds(1000)
                            ? std::chrono::duration_cast<steady::duration>(opts.schedule_delay)
                            : std::chrono::duration_cast<steady::duration>(std::chrono::seconds(1));
    if (!now && t - last_drop_report < period) return;
    if (d != dropped_reported) {
      last_drop_report = t;
      reportf(severity::warning, "sdk.batch.dropped",
              "%llu spans dropped because the batch queue (capacity %llu) was full; %llu in total",
              static_cast<unsigned long long>(d - dropped_reported),
              static_cast<unsigned long long>(capacity), static_cast<unsigned long long>(d));
      dropped_reported = d;
    }
  }

  void run() noexcept {
#if defined(__linux__)
    ::prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);  // 1 µs: naps end on time (see pacer)
#endif
    std::vector<const span_data*> ptrs;
    std::vector<shard*> touched;
#if CTXFLOW_HAS_EXCEPTIONS
    try {
#endif
      ptrs.reserve(batch);
#if CTXFLOW_HAS_EXCEPTIONS
    } catch (...) {
    }
#endif
    auto deadline = steady::now() + opts.schedule_delay;
    pacer pace(capacity, batch, opts.schedule_delay);
    const steady::duration tend_period =
        std::min<steady::duration>(opts.schedule_delay, std::chrono::seconds(1));
    auto next_tend = steady::now() + tend_period;
    bool skip_wait = false;
    for (;;) {
      std::uint64_t flush_target = 0;
      bool stop = false;
      bool woken = false;
      steady::time_point drain_deadline = steady::time_point::max();
      std::stop_token interrupt_token;
      {
        std::unique_lock lock(mu);
        if (!skip_wait) {
          cv.wait_until(lock, pace.active ? std::min(deadline, pace.until) : deadline, [&] {
            return wake_pending.load(std::memory_order_relaxed) || flush_requested > flush_done ||
                   stopping.load(std::memory_order_relaxed);
          });
        }
        woken = wake_pending.load(std::memory_order_relaxed);
        wake_pending.store(false, std::memory_order_relaxed);
        flush_target = flush_requested;
        stop = stopping.load(std::memory_order_relaxed);
        if (stop) {
          drain_deadline = stop_deadline;
        } else if (flush_target > flush_done_local) {
          // The latest deadline of the flushes served now (max(): one of them has no limit).
          drain_deadline = flush_deadline_pending;
          flush_deadline_pending = steady::time_point::min();
        }
        interrupt_token = interrupt.get_token();
      }
      skip_wait = false;
      refresh_shards();
      const bool flushing = flush_target > flush_done_local;
      const auto now = steady::now();
      const bool timer = now >= deadline;
      batch_failed = false;
      bool exported_any = false;
      std::uint64_t taken_now = 0;
      std::uint64_t not_attempted = 0;
      std::uint64_t left_queued = 0;
      if (flushing || stop) {
        // A drain: one attempt per batch (unless a flush without a limit), none after the
        // deadline.
        export_limits lim;
        lim.deadline = drain_deadline;
        lim.single_attempt = stop || drain_deadline != steady::time_point::max();
        if (!lim.single_attempt) lim.interrupt = interrupt_token;
        for (;;) {
          if (drain_deadline != steady::time_point::max() && steady::now() >= drain_deadline) {
            if (stop)
              not_attempted = discard_queued();
            else
              left_queued = queued_exact();
            break;
          }
          const std::size_t n = export_one_batch(ptrs, touched, lim, true);
          if (n == 0) break;
          exported_any = true;
          taken_now += n;
        }
      } else {
        export_limits lim;
        lim.interrupt = interrupt_token;
        while (timer || queued_exact() >= batch) {
          // A bounded flush or shutdown has started: the next round drains under its limits.
          if (interrupt_token.stop_requested()) break;
          const std::size_t n = export_one_batch(ptrs, touched, lim, false);
          if (n == 0) break;
          exported_any = true;
          taken_now += n;
        }
      }
      if (pace.next(now, woken, taken_now)) {
        pacing.store(true, std::memory_order_seq_cst);
      } else if (pacing.load(std::memory_order_relaxed)) {
        pacing.store(false, std::memory_order_seq_cst);
        // A producer that saw `pacing` skipped its wake-up: look at the queue once more.
        skip_wait = queued.load(std::memory_order_seq_cst) >= static_cast<std::int64_t>(batch);
      }
      // Also under steady load (when the timer never fires): retired shards must not pile up.
      if (timer || stop || now >= next_tend) {
        tend_shards();
        next_tend = now + tend_period;
      }
      if (exported_any || timer) deadline = steady::now() + opts.schedule_delay;
      report_drops(flushing || stop);
      if (flushing || stop) {
        report_drain(stop, not_attempted, left_queued);
        bool ok = !batch_failed && not_attempted == 0 && left_queued == 0;
        const std::chrono::milliseconds flush_left = left_until(drain_deadline, opts.export_timeout);
#if CTXFLOW_HAS_EXCEPTIONS
        try {
          ok = exporter->force_flush(flush_left) && ok;
        } catch (...) {
          ok = false;
        }
#else
        ok = exporter->force_flush(flush_left) && ok;
#endif
        // Producers ignore this processor from now on and will not release their exported
        // spans: release them here (shutdown repeats this for late arrivals once we are gone).
        if (stop) release_all();
        std::lock_guard lock(mu);
        flush_done = flush_target;
        flush_done_local = flush_target;
        last_flush_ok = ok;
        if (!stop && flush_requested == flush_target) renew_interrupt();
        if (stop) exited = true;
        done_cv.notify_all();
        if (stop) return;
      }
    }
  }

  // After the export thread is gone: takes what a producer queued after its last pass (counted
  // as after-shutdown drops) and releases every span still held.
  void release_all() noexcept {
    std::uint64_t late = 0;
    detail::span_pool::begin_returns();
    std::lock_guard lock(shards_mu);
    for (shard* sh : shards) {
      const std::uint64_t t = sh->tail.load(std::memory_order_acquire);
      late += t - sh->taken.load(std::memory_order_relaxed);
      sh->taken.store(t, std::memory_order_relaxed);
      sh->done.store(t, std::memory_order_release);
      reclaim(*sh, t);
    }
    detail::span_pool::end_returns();
    if (late != 0) after_shutdown.fetch_add(late, std::memory_order_relaxed);
  }

  const batch_options opts;
  std::unique_ptr<span_exporter> exporter;
  const std::uint64_t uid;       // keys the per-thread shard cache
  const std::uint64_t capacity;
  const std::uint64_t batch;
  const std::uint64_t chunk;     // the runs of all producers together (see admit)
  const std::int64_t half;       // above this, every push updates `queued`
  const std::uint64_t ring_size;
  // Registered shards (read by producers once per run; written when a shard comes or goes).
  std::atomic<std::uint64_t> producers{0};

  // Queued spans: producers add (in runs), the export thread subtracts what it takes. Never
  // above the true count; may go below zero while runs are unpublished.
  alignas(64) std::atomic<std::int64_t> queued{0};

  alignas(64) std::mutex shards_mu;
  std::vector<shard*> shards;              // guarded by shards_mu
  std::uint64_t retired_accepted = 0;      // guarded by shards_mu: accepted by removed shards
  std::atomic<std::uint64_t> shards_version{0};

  // Export thread only.
  std::vector<shard*> local;
  std::uint64_t seen_version = 0;
  std::size_t rotation = 0;
  std::uint64_t flush_done_local = 0;
  std::uint64_t dropped_reported = 0;
  steady::time_point last_drop_report{};
  bool batch_failed = false;
  std::uint64_t drain_failed = 0;  // spans of failed exports the next drain report covers

  alignas(64) std::atomic<std::uint64_t> dropped_full{0};
  std::atomic<std::uint64_t> after_shutdown{0};
  std::atomic<std::uint64_t> exported{0};
  std::atomic<std::uint64_t> failed{0};
  // Spans the shutdown did not deliver (failed final exports, or not attempted in time).
  std::atomic<std::uint64_t> not_delivered_at_shutdown{0};
  // Spans in the export call running now (read by a shutdown that timed out).
  std::atomic<std::uint64_t> in_flight{0};
  // Set by whoever reports the shutdown's undelivered spans (once).
  std::atomic<bool> undelivered_reported{false};
  // false until a producer asks the consumer to wake; reset by the consumer under mu.
  std::atomic<bool> wake_pending{false};
  // true while the export thread paces itself (wakes on a short timer, see pacer): producers
  // then skip the wake-up.
  std::atomic<bool> pacing{false};
  // false until shutdown(); then on_end drops spans and the consumer drains and exits.
  std::atomic<bool> stopping{false};

  std::mutex mu;
  std::condition_variable cv;       // wakes the consumer
  std::condition_variable done_cv;  // flush/shutdown completion
  std::uint64_t flush_requested = 0;  // guarded by mu
  std::uint64_t flush_done = 0;       // guarded by mu
  bool last_flush_ok = true;          // guarded by mu
  bool exited = false;                // guarded by mu
  // Latest deadline of the flush requests not yet picked up (min(): none; max(): no limit).
  steady::time_point flush_deadline_pending = steady::time_point::min();  // guarded by mu
  steady::time_point stop_deadline = steady::time_point::max();           // guarded by mu
  // Requested when a bounded flush or a shutdown starts: ends the running export's retries.
  // Replaced by a fresh one once the flushes are served. Guarded by mu.
  std::stop_source interrupt;
  std::thread worker;
  std::atomic<bool> shutdown_called{false};
};

batch_span_processor::batch_span_processor(std::unique_ptr<span_exporter> exporter,
                                           batch_options options) {
  if (options.max_queue_size == 0) {
    report(severity::warning, "sdk.batch.invalid", "max_queue_size 0 replaced by 2048");
    options.max_queue_size = 2048;
  }
  if (options.max_export_batch_size == 0) {
    report(severity::warning, "sdk.batch.invalid", "max_export_batch_size 0 replaced by 512");
    options.max_export_batch_size = 512;
  }
  if (options.max_export_batch_size > options.max_queue_size) {
    reportf(severity::warning, "sdk.batch.invalid",
            "max_export_batch_size %zu is larger than max_queue_size %zu; clamped",
            options.max_export_batch_size, options.max_queue_size);
    options.max_export_batch_size = options.max_queue_size;
  }
  if (options.schedule_delay.count() <= 0) options.schedule_delay = std::chrono::milliseconds(1);
  if (!exporter) {
    report(severity::warning, "sdk.batch.invalid", "batch_span_processor without an exporter");
  }
  state_ = std::make_shared<state>(std::move(exporter), options);
  if (!state_->exporter) {
    state_->exited = true;
    state_->stopping.store(true);
    return;
  }
  state_->worker = std::thread([s = state_] { s->run(); });
}

batch_span_processor::~batch_span_processor() {
  if (!state_->shutdown_called.load(std::memory_order_acquire))
    (void)shutdown(state_->opts.export_timeout);
}

void batch_span_processor::on_end(recording_span& span) noexcept {
  if (!span.data().context.sampled()) return;  // exporters see sampled spans only (R7.16)
  state& st = *state_;
  if (st.stopping.load(std::memory_order_relaxed)) {
    st.after_shutdown.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  shard* sh = st.local_shard();
  bool one_shot = false;
  if (sh == nullptr) [[unlikely]] {
    // A thread-exit hook ending a span after the thread's shards were let go (or no memory for
    // a full ring): a one-slot shard, handed to the export thread at once.
    sh = st.make_shard(1);
    if (sh == nullptr) {
      st.dropped_full.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    one_shot = true;
  }
  // Spans of this thread whose export has returned go back to its span pool first.
  // acquire: the export thread's reads of them happen-before their reuse.
  const std::uint64_t done = sh->done.load(std::memory_order_acquire);
  if (sh->reclaimed.load(std::memory_order_relaxed) != done) reclaim(*sh, done);
  const std::uint64_t t = sh->tail.load(std::memory_order_relaxed);
  const auto a = t - sh->reclaimed.load(std::memory_order_relaxed) > sh->mask
                     ? state::admission::full
                     : st.admit(*sh);
  if (a == state::admission::full) [[unlikely]] {
    st.dropped_full.fetch_add(1, std::memory_order_relaxed);
  } else {
    span.add_ref();
    sh->ring[t & sh->mask].store(&span, std::memory_order_relaxed);
    // release: the slot, and everything written to the span before end(), happen-before the
    // export thread's acquire load of tail.
    sh->tail.store(t + 1, std::memory_order_release);
    // After the store, so the woken thread sees this span. The shared count can lag behind
    // by the producers' unadded runs, so a thread whose own ring now holds a multiple of a
    // batch wakes the export thread too: a burst that ends inside a run is not left waiting
    // for the schedule delay.
    if (a >= state::admission::queued_wake) {
      st.wake(a == state::admission::queued_wake_now);
    } else if (const std::uint64_t own = t + 1 - sh->taken.load(std::memory_order_relaxed);
               own == st.batch || (own > st.batch && own % st.batch == 0)) {
      st.wake(false);
    }
  }
  if (one_shot) abandon(sh);  // the calling thread's share of it; the export thread has the rest
}

bool batch_span_processor::force_flush(std::chrono::milliseconds timeout) noexcept {
  state& st = *state_;
  const bool bounded = timeout.count() > 0;
  const steady::time_point deadline = bounded ? steady::now() + timeout : steady::time_point::max();
  std::stop_source running_export{std::nostopstate};
  std::uint64_t target = 0;
  {
    std::lock_guard lock(st.mu);
    if (st.exited || st.stopping.load()) return false;
    target = ++st.flush_requested;
    st.flush_deadline_pending =
        std::max(st.flush_deadline_pending, state::drain_deadline_for(deadline, timeout));
    if (bounded) running_export = st.interrupt;
    st.cv.notify_one();
  }
  // Outside mu: the exporter's callback takes its own lock.
  if (bounded) running_export.request_stop();
  std::unique_lock lock(st.mu);
  auto done = [&] { return st.flush_done >= target || st.exited; };
  if (!bounded) {
    st.done_cv.wait(lock, done);
  } else if (!st.done_cv.wait_until(lock, deadline, done)) {
    report(severity::warning, "sdk.flush.timeout", "batch_span_processor force_flush timed out");
    return false;
  }
  return st.flush_done >= target && st.last_flush_ok;
}

bool batch_span_processor::shutdown(std::chrono::milliseconds timeout) noexcept {
  state& st = *state_;
  if (st.shutdown_called.exchange(true, std::memory_order_acq_rel)) return false;
  // One deadline for the drain and the exporter's shutdown together.
  const bool bounded = timeout.count() > 0;
  const steady::time_point deadline = bounded ? steady::now() + timeout : steady::time_point::max();
  bool finished = false;
  std::stop_source running_export{std::nostopstate};
  {
    std::lock_guard lock(st.mu);
    st.stopping.store(true, std::memory_order_relaxed);
    st.stop_deadline = state::drain_deadline_for(deadline, timeout);
    running_export = st.interrupt;
    st.cv.notify_one();
  }
  // Outside mu: the exporter's callback takes its own lock.
  running_export.request_stop();
  {
    std::unique_lock lock(st.mu);
    auto done = [&] { return st.exited; };
    if (!bounded) {
      st.done_cv.wait(lock, done);
      finished = true;
    } else {
      finished = st.done_cv.wait_until(lock, deadline, done);
    }
  }
  bool ok = finished;
  if (finished) {
    if (st.worker.joinable()) {
      if (st.worker.get_id() == std::this_thread::get_id()) {
        st.worker.detach();
      } else {
        st.worker.join();
        // A producer that passed the stopping check just before shutdown may have queued a
        // span after the export thread's last pass, and exported spans wait for producers
        // that will not come back (on_end ignores them now). Release them all here: a span
        // left in a shard keeps the provider (and so this processor) alive for good.
        st.release_all();
      }
    }
    std::lock_guard lock(st.mu);
    ok = st.last_flush_ok;
  } else {
    report(severity::warning, "sdk.shutdown.timeout",
           "batch_span_processor shutdown timed out; the export thread finishes on its own");
    if (!st.undelivered_reported.exchange(true, std::memory_order_acq_rel)) {
      // The export thread is still at work: what it has not delivered yet is lost to us.
      const processor_stats now = stats();
      const std::uint64_t n = now.not_delivered_at_shutdown + now.queue_size +
                              st.in_flight.load(std::memory_order_relaxed);
      if (n != 0)
        reportf(severity::warning, "sdk.shutdown.undelivered",
                "at least %llu spans were not delivered at shutdown (the export did not finish "
                "before the deadline)",
                static_cast<unsigned long long>(n));
    }
    if (st.worker.joinable()) st.worker.detach();
  }
  if (st.exporter) {
    // Safe while an abandoned export is still running (span_exporter's contract). The time
    // left of the one deadline; none when the drain already used it up.
    const auto left = finished ? state::left_until(deadline, timeout) : std::chrono::milliseconds(1);
    ok = st.exporter->shutdown(left) && ok;
  }
  return ok;
}

processor_stats batch_span_processor::stats() const noexcept {
  state& st = *state_;
  processor_stats s;
  {
    std::lock_guard lock(st.shards_mu);
    s.accepted = st.retired_accepted;
    for (const shard* sh : st.shards) {
      const std::uint64_t t = sh->tail.load(std::memory_order_acquire);
      const std::uint64_t k = sh->taken.load(std::memory_order_relaxed);
      s.accepted += t;
      s.queue_size += t > k ? t - k : 0;
    }
  }
  s.exported = st.exported.load(std::memory_order_relaxed);
  s.export_failed = st.failed.load(std::memory_order_relaxed);
  s.dropped_queue_full = st.dropped_full.load(std::memory_order_relaxed);
  s.dropped_after_shutdown = st.after_shutdown.load(std::memory_order_relaxed);
  s.not_delivered_at_shutdown = st.not_delivered_at_shutdown.load(std::memory_order_relaxed);
  s.queue_capacity = st.capacity;
  return s;
}

const batch_options& batch_span_processor::options() const noexcept { return state_->opts; }

}  // namespace ctxflow::sdk
