// SPDX-License-Identifier: Apache-2.0
// The batch span processor (R7.20-R7.22, R7.26): the parts put together, and the producer's
// path (on_end). docs/design/sdk.md has the reasoning and the measurements.
//
//   span_ring.hpp          one producing thread's ring (positions, push, take, reclaim)
//   batch_admission.hpp    the queue capacity over all rings, and when to wake the export thread
//   batch_shards.hpp       a ring with its owners, and the processor's list of them
//   span_returns.hpp       how exported spans go back to their thread (through span_recycler)
//   batch_pacer.hpp        when the export thread paces itself instead of being woken
//   batch_export_loop.hpp  the export thread, flush and shutdown
//   batch_options.cpp      the options from the environment
//
// Here: each thread keeps its shards of its last four processors in a per-thread cache
// (base/per_thread.hpp); on_end releases the thread's spans whose export has returned,
// admits the span, pushes it to the thread's ring and wakes the export thread when a batch is
// complete.
#include "ctxflow/sdk/batch_span_processor.hpp"

#include <atomic>
#include <cstdint>
#include <utility>

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/sdk/recording_span.hpp"
#include "base/per_thread.hpp"
#include "sdk/batch_admission.hpp"
#include "sdk/batch_export_loop.hpp"
#include "sdk/batch_shards.hpp"
#include "sdk/span_pool.hpp"
#include "sdk/span_returns.hpp"

namespace ctxflow::sdk {

namespace {

std::atomic<std::uint64_t> next_processor_uid{1};

// The calling thread's shards, keyed by processor uid (never reused, so an entry of a destroyed
// processor simply never matches again). The least recently added entry makes room.
struct shard_ref {
  std::uint64_t uid = 0;
  detail::shard* sh = nullptr;
};
struct shard_cache {
  static constexpr std::size_t ways = 4;
  shard_ref entries[ways];
};

// At thread exit: the thread lets go of its shards; their export threads drain them. Spans a
// later thread-exit hook ends go through one-slot shards abandoned at once.
void drop_shards(shard_cache& c) noexcept {
  for (shard_ref& e : c.entries) {
    if (e.sh != nullptr) detail::shard::abandon(e.sh);
    e = shard_ref{};
  }
}
using thread_shards = internal::per_thread<shard_cache, &drop_shards>;

// on_end after its push, when the second look saw the shutdown: if the last release is over,
// this thread releases what it queued itself, counted as accepted and not delivered (the
// ring's tail counted it as accepted). The span it queued keeps its provider, and so the
// processor, alive until take_late has claimed it (after the last release nobody else takes
// from the ring); releasing it is the last thing done here. If the last release is still to
// come, it finds the span, and the processor is not touched again.
[[gnu::noinline, gnu::cold]] void queued_during_shutdown(
    detail::shard_registry& shards, detail::batch_counters& counters, detail::shard* sh,
    bool one_shot) noexcept {
  recording_span* last = nullptr;
  const std::uint64_t late = shards.take_late(*sh, last);
  if (late != 0) counters.not_delivered_at_shutdown.fetch_add(late, std::memory_order_relaxed);
  // The shard has owners of its own: abandoning it is safe after the processor is gone too.
  if (one_shot) detail::shard::abandon(sh);
  if (last != nullptr) last->release();  // may free the provider, the processor, `shards`
}

}  // namespace

struct batch_span_processor::state {
  state(std::unique_ptr<span_exporter> e, batch_options o)
      : opts(o),
        exporter(std::move(e)),
        uid(next_processor_uid.fetch_add(1)),
        admission(o.max_queue_size, o.max_export_batch_size),
        ring_slots(o.max_queue_size + o.max_export_batch_size + admission.chunk()),
        shards(admission),
        loop(opts, exporter.get(), shards, admission, detail::span_pool::recycler(), counters) {}

  ~state() {
    // Spans left behind by an abandoned export thread, and the exported ones nobody released.
    loop.release_all();
  }

  // The calling thread's shard; null when the thread is exiting or out of memory.
  detail::shard* local_shard() noexcept {
    shard_cache& c = thread_shards::slot();
    for (shard_ref& e : c.entries)
      if (e.uid == uid) return e.sh;
    if (!thread_shards::arm()) return nullptr;
    detail::shard* sh = shards.make(ring_slots);
    if (sh == nullptr) return nullptr;
    constexpr std::size_t last = shard_cache::ways - 1;
    if (c.entries[last].sh != nullptr) detail::shard::abandon(c.entries[last].sh);
    for (std::size_t i = last; i > 0; --i) c.entries[i] = c.entries[i - 1];
    c.entries[0] = shard_ref{uid, sh};
    return sh;
  }

  const batch_options opts;
  std::unique_ptr<span_exporter> exporter;
  const std::uint64_t uid;  // keys the per-thread shard cache
  detail::batch_admission admission;
  const std::uint64_t ring_slots;
  detail::batch_counters counters;
  detail::shard_registry shards;
  detail::batch_export_loop loop;
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
    state_->loop.mark_stopped();
    return;
  }
  state_->loop.start(state_);
}

batch_span_processor::~batch_span_processor() {
  if (!state_->shutdown_called.load(std::memory_order_acquire))
    (void)shutdown(state_->opts.export_timeout);
}

void batch_span_processor::on_end(recording_span& span) noexcept {
  if (!span.data().context.sampled()) return;  // exporters see sampled spans only (R7.16)
  state& st = *state_;
  if (st.loop.stopping()) {
    st.counters.after_shutdown.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  detail::shard* sh = st.local_shard();
  bool one_shot = false;
  if (sh == nullptr) [[unlikely]] {
    // A thread-exit hook ending a span after the thread's shards were let go (or no memory for
    // a full ring): a one-slot shard, handed to the export thread at once.
    sh = st.shards.make(1);
    if (sh == nullptr) {
      st.counters.dropped_full.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    one_shot = true;
  }
  detail::span_ring& ring = sh->ring;
  // Spans of this thread whose export has returned go back to its span pool first.
  detail::release_own(ring);
  using verdict = detail::batch_admission::verdict;
  const std::uint64_t t = ring.tail_for_producer();
  const verdict a = ring.has_room(t) ? st.admission.admit(sh->run) : verdict::full;
  if (a == verdict::full) [[unlikely]] {
    st.counters.dropped_full.fetch_add(1, std::memory_order_relaxed);
  } else {
    // The queue's reference: the one the ending scope handed over with the end, else a new one.
    if (!span.take_end_reference()) span.add_ref();
    ring.push(t, &span);
    // A shutdown that began after the check above may have made its last release before this
    // push reached the ring (docs/design/sdk.md, "A span queued after the last release").
    if (st.loop.stopping_after_push()) [[unlikely]] {
      queued_during_shutdown(st.shards, st.counters, sh, one_shot);
      return;
    }
    // After the push, so the woken thread sees this span. The shared count can lag behind by
    // the producers' unadded runs, so a thread whose own ring now holds a multiple of a batch
    // wakes the export thread too: a burst that ends inside a run is not left waiting for the
    // schedule delay.
    const std::uint64_t batch = st.admission.batch();
    if (a >= verdict::queued_wake) {
      st.loop.wake(a == verdict::queued_wake_now);
    } else if (const std::uint64_t own = ring.untaken_below(t + 1);
               own == batch || (own > batch && own % batch == 0)) {
      st.loop.wake(false);
    }
  }
  if (one_shot) detail::shard::abandon(sh);  // our share of it; the export thread has the rest
}

bool batch_span_processor::force_flush(std::chrono::milliseconds timeout) noexcept {
  return state_->loop.flush(timeout);
}

bool batch_span_processor::shutdown(std::chrono::milliseconds timeout) noexcept {
  state& st = *state_;
  if (st.shutdown_called.exchange(true, std::memory_order_acq_rel)) return false;
  return st.loop.shutdown(timeout);
}

processor_stats batch_span_processor::stats() const noexcept {
  const state& st = *state_;
  processor_stats s;
  st.shards.count(s.accepted, s.queue_size);
  s.exported = st.counters.exported.load(std::memory_order_relaxed);
  s.export_failed = st.counters.failed.load(std::memory_order_relaxed);
  s.dropped_queue_full = st.counters.dropped_full.load(std::memory_order_relaxed);
  s.dropped_after_shutdown = st.counters.after_shutdown.load(std::memory_order_relaxed);
  s.not_delivered_at_shutdown = st.counters.not_delivered_at_shutdown.load(std::memory_order_relaxed);
  s.queue_capacity = st.admission.capacity();
  return s;
}

const batch_options& batch_span_processor::options() const noexcept { return state_->opts; }

}  // namespace ctxflow::sdk
