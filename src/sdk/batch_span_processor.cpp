// SPDX-License-Identifier: Apache-2.0
// The batch span processor (R7.20-R7.22, R7.26).
//
// Queue: a bounded ring with one sequence number per slot (the classic bounded MPMC design,
// used here with one consumer). A producer claims a position with one CAS on `tail`, writes the
// span pointer and publishes it by storing the slot's sequence number; the consumer reads slots
// in order. Producers never wait for the consumer: a full ring drops the span and counts it.
// Every `max_export_batch_size`-th enqueue wakes the export thread (the only lock on that path,
// taken once per batch); otherwise the export thread wakes on its timer, a flush or shutdown.
#include "ctxflow/sdk/batch_span_processor.hpp"

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "ctxflow/context/diagnostics.hpp"
#include "sdk/env.hpp"
#include "sdk/span_pool.hpp"

namespace ctxflow::sdk {

using steady = std::chrono::steady_clock;

batch_options batch_options::from_environment() {
  batch_options o;
  if (auto v = detail::env_millis("OTEL_BSP_SCHEDULE_DELAY")) o.schedule_delay = *v;
  if (auto v = detail::env_millis("OTEL_BSP_EXPORT_TIMEOUT")) o.export_timeout = *v;
  if (auto v = detail::env_uint("OTEL_BSP_MAX_QUEUE_SIZE")) {
    if (*v == 0)
      detail::report_invalid("OTEL_BSP_MAX_QUEUE_SIZE", "0", "must be greater than 0");
    else
      o.max_queue_size = *v;
  }
  if (auto v = detail::env_uint("OTEL_BSP_MAX_EXPORT_BATCH_SIZE")) {
    if (*v == 0)
      detail::report_invalid("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "0", "must be greater than 0");
    else
      o.max_export_batch_size = *v;
  }
  return o;
}

struct batch_span_processor::state {
  struct slot {
    // States: == pos: free for the producer of position pos; == pos + 1: holds the span of
    // position pos; == pos + capacity: consumed, free for position pos + capacity.
    std::atomic<std::uint64_t> seq;
    recording_span* span;  // owned reference while the slot is full
  };

  state(std::unique_ptr<span_exporter> e, batch_options o)
      : opts(o), exporter(std::move(e)), capacity(o.max_queue_size), batch(o.max_export_batch_size),
        slots(new slot[o.max_queue_size]) {
    cap_pow2 = (capacity & (capacity - 1)) == 0;
    batch_pow2 = (batch & (batch - 1)) == 0;
    for (std::uint64_t i = 0; i < capacity; ++i) {
      slots[i].seq.store(i, std::memory_order_relaxed);
      slots[i].span = nullptr;
    }
  }
  ~state() {
    // Spans left behind by an abandoned export thread.
    while (recording_span* s = pop()) s->release();
  }

  std::uint64_t index(std::uint64_t pos) const noexcept {
    return cap_pow2 ? (pos & (capacity - 1)) : (pos % capacity);
  }

  bool push(recording_span* s, std::uint64_t& claimed) noexcept {
    std::uint64_t pos = tail.load(std::memory_order_relaxed);
    for (;;) {
      slot& sl = slots[index(pos)];
      // acquire: the consumer's read of the previous span in this slot is done.
      const std::uint64_t seq = sl.seq.load(std::memory_order_acquire);
      const auto diff = static_cast<std::int64_t>(seq - pos);
      if (diff == 0) {
        if (tail.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
          sl.span = s;
          // release: the span pointer and everything written to the span before end()
          // happen-before the consumer's acquire load of seq.
          sl.seq.store(pos + 1, std::memory_order_release);
          claimed = pos;
          return true;
        }
      } else if (diff < 0) {
        return false;  // the slot still holds the span from one lap ago: full
      } else {
        pos = tail.load(std::memory_order_relaxed);
      }
    }
  }

  // Consumer only.
  recording_span* pop() noexcept {
    slot& sl = slots[index(head)];
    // acquire: pairs with the producer's release store.
    if (sl.seq.load(std::memory_order_acquire) != head + 1) return nullptr;
    recording_span* s = sl.span;
    sl.span = nullptr;
    // release: our read of the slot happens-before the next producer's write.
    sl.seq.store(head + capacity, std::memory_order_release);
    ++head;
    head_published.store(head, std::memory_order_relaxed);
    return s;
  }

  void wake() noexcept {
    if (!wake_pending.exchange(true, std::memory_order_acq_rel)) {
      std::lock_guard lock(mu);
      cv.notify_one();
    }
  }

  std::uint64_t queued() const noexcept {
    const std::uint64_t t = tail.load(std::memory_order_relaxed);
    const std::uint64_t h = head_published.load(std::memory_order_relaxed);
    return t > h ? t - h : 0;
  }

  // Exports up to `batch` spans; returns how many were taken.
  std::size_t export_one_batch(std::vector<recording_span*>& spans,
                               std::vector<const span_data*>& ptrs) noexcept {
    spans.clear();
    ptrs.clear();
    while (spans.size() < batch) {
      recording_span* s = pop();
      if (!s) break;
      spans.push_back(s);
      ptrs.push_back(&s->data());
    }
    if (spans.empty()) return 0;
    const auto start = steady::now();
    export_result r = export_result::failure;
#if CTXFLOW_HAS_EXCEPTIONS
    try {
      r = exporter->export_spans(std::span<const span_data* const>(ptrs.data(), ptrs.size()));
    } catch (...) {
      r = export_result::failure;
    }
#else
    r = exporter->export_spans(std::span<const span_data* const>(ptrs.data(), ptrs.size()));
#endif
    const auto took = steady::now() - start;
    if (opts.export_timeout.count() > 0 && took > opts.export_timeout) {
      reportf(severity::warning, "sdk.export.timeout", "an export of %zu spans took %lld ms (limit %lld ms)",
              spans.size(),
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()),
              static_cast<long long>(opts.export_timeout.count()));
    }
    if (r == export_result::success) {
      exported.fetch_add(spans.size(), std::memory_order_relaxed);
    } else {
      failed.fetch_add(spans.size(), std::memory_order_relaxed);
      batch_failed = true;
      reportf(severity::warning, "sdk.export.failed", "the exporter failed to export %zu spans",
              spans.size());
    }
    // The spans go back to the threads that started them, a run per thread (span_pool.hpp).
    detail::span_pool::begin_returns();
    for (recording_span* s : spans) s->release();
    detail::span_pool::end_returns();
    return spans.size();
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
    std::vector<recording_span*> spans;
    std::vector<const span_data*> ptrs;
#if CTXFLOW_HAS_EXCEPTIONS
    try {
#endif
      spans.reserve(batch);
      ptrs.reserve(batch);
#if CTXFLOW_HAS_EXCEPTIONS
    } catch (...) {
    }
#endif
    auto deadline = steady::now() + opts.schedule_delay;
    for (;;) {
      std::uint64_t flush_target = 0;
      bool stop = false;
      {
        std::unique_lock lock(mu);
        cv.wait_until(lock, deadline, [&] {
          return wake_pending.load(std::memory_order_relaxed) || flush_requested > flush_done ||
                 stopping.load(std::memory_order_relaxed);
        });
        wake_pending.store(false, std::memory_order_relaxed);
        flush_target = flush_requested;
        stop = stopping.load(std::memory_order_relaxed);
      }
      const bool flushing = flush_target > flush_done_local;
      const bool timer = steady::now() >= deadline;
      const bool drain_all = flushing || stop || timer;
      batch_failed = false;
      bool exported_any = false;
      while (drain_all || queued() >= batch) {
        if (export_one_batch(spans, ptrs) == 0) break;
        exported_any = true;
      }
      if (exported_any || timer) deadline = steady::now() + opts.schedule_delay;
      report_drops(flushing || stop);
      if (flushing || stop) {
        bool ok = !batch_failed;
#if CTXFLOW_HAS_EXCEPTIONS
        try {
          ok = exporter->force_flush(opts.export_timeout) && ok;
        } catch (...) {
          ok = false;
        }
#else
        ok = exporter->force_flush(opts.export_timeout) && ok;
#endif
        std::lock_guard lock(mu);
        flush_done = flush_target;
        flush_done_local = flush_target;
        last_flush_ok = ok;
        if (stop) exited = true;
        done_cv.notify_all();
        if (stop) return;
      }
    }
  }

  const batch_options opts;
  std::unique_ptr<span_exporter> exporter;
  const std::uint64_t capacity;
  const std::uint64_t batch;
  bool cap_pow2 = false;
  bool batch_pow2 = false;
  std::unique_ptr<slot[]> slots;

  alignas(64) std::atomic<std::uint64_t> tail{0};  // next position to claim (producers)
  alignas(64) std::uint64_t head = 0;              // next position to read (consumer only)
  std::atomic<std::uint64_t> head_published{0};    // copy of head for stats()
  std::uint64_t flush_done_local = 0;              // consumer only
  std::uint64_t dropped_reported = 0;              // consumer only
  steady::time_point last_drop_report{};           // consumer only
  bool batch_failed = false;                       // consumer only

  alignas(64) std::atomic<std::uint64_t> dropped_full{0};
  std::atomic<std::uint64_t> after_shutdown{0};
  std::atomic<std::uint64_t> exported{0};
  std::atomic<std::uint64_t> failed{0};
  // false until a producer asks the consumer to wake; reset by the consumer under mu.
  std::atomic<bool> wake_pending{false};
  // false until shutdown(); then on_end drops spans and the consumer drains and exits.
  std::atomic<bool> stopping{false};

  std::mutex mu;
  std::condition_variable cv;       // wakes the consumer
  std::condition_variable done_cv;  // flush/shutdown completion
  std::uint64_t flush_requested = 0;  // guarded by mu
  std::uint64_t flush_done = 0;       // guarded by mu
  bool last_flush_ok = true;          // guarded by mu
  bool exited = false;                // guarded by mu
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
  span.add_ref();
  std::uint64_t pos = 0;
  if (!st.push(&span, pos)) [[unlikely]] {
    span.release();
    st.dropped_full.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const std::uint64_t n = pos + 1;
  if ((st.batch_pow2 ? (n & (st.batch - 1)) : (n % st.batch)) == 0) st.wake();
}

bool batch_span_processor::force_flush(std::chrono::milliseconds timeout) noexcept {
  state& st = *state_;
  std::unique_lock lock(st.mu);
  if (st.exited || st.stopping.load()) return false;
  const std::uint64_t target = ++st.flush_requested;
  st.cv.notify_one();
  auto done = [&] { return st.flush_done >= target || st.exited; };
  if (timeout.count() <= 0) {
    st.done_cv.wait(lock, done);
  } else if (!st.done_cv.wait_for(lock, timeout, done)) {
    report(severity::warning, "sdk.flush.timeout", "batch_span_processor force_flush timed out");
    return false;
  }
  return st.flush_done >= target && st.last_flush_ok;
}

bool batch_span_processor::shutdown(std::chrono::milliseconds timeout) noexcept {
  state& st = *state_;
  if (st.shutdown_called.exchange(true, std::memory_order_acq_rel)) return false;
  bool finished = false;
  {
    std::unique_lock lock(st.mu);
    st.stopping.store(true, std::memory_order_relaxed);
    st.cv.notify_one();
    auto done = [&] { return st.exited; };
    if (timeout.count() <= 0) {
      st.done_cv.wait(lock, done);
      finished = true;
    } else {
      finished = st.done_cv.wait_for(lock, timeout, done);
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
        // span after the export thread's last pass. Release it here: a span left in the queue
        // would keep the provider (and so this processor and its queue) alive for good.
        std::uint64_t late = 0;
        while (recording_span* s = st.pop()) {
          s->release();
          ++late;
        }
        if (late != 0) st.after_shutdown.fetch_add(late, std::memory_order_relaxed);
      }
    }
    std::lock_guard lock(st.mu);
    ok = st.last_flush_ok;
  } else {
    report(severity::warning, "sdk.shutdown.timeout",
           "batch_span_processor shutdown timed out; the export thread finishes on its own");
    if (st.worker.joinable()) st.worker.detach();
  }
  if (st.exporter) {
    // Safe while an abandoned export is still running (span_exporter's contract).
    ok = st.exporter->shutdown(finished ? timeout : std::chrono::milliseconds(1)) && ok;
  }
  return ok;
}

processor_stats batch_span_processor::stats() const noexcept {
  const state& st = *state_;
  processor_stats s;
  s.accepted = st.tail.load(std::memory_order_relaxed);
  s.exported = st.exported.load(std::memory_order_relaxed);
  s.export_failed = st.failed.load(std::memory_order_relaxed);
  s.dropped_queue_full = st.dropped_full.load(std::memory_order_relaxed);
  s.dropped_after_shutdown = st.after_shutdown.load(std::memory_order_relaxed);
  s.queue_size = st.queued();
  s.queue_capacity = st.capacity;
  return s;
}

const batch_options& batch_span_processor::options() const noexcept { return state_->opts; }

}  // namespace ctxflow::sdk
