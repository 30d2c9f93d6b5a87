// SPDX-License-Identifier: Apache-2.0
// The export thread of the batch span processor (see batch_export_loop.hpp).
#include "sdk/batch_export_loop.hpp"

#include <algorithm>
#include <span>
#include <utility>

#if defined(__linux__)
#include <linux/membarrier.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/macros.hpp"
#include "sdk/batch_pacer.hpp"
#include "sdk/span_returns.hpp"

namespace ctxflow::sdk::detail {

namespace {

using clock = std::chrono::steady_clock;

// The drain's deadline: the caller's, less a reserve (a tenth of the timeout, at most 100 ms)
// for the steps after it (the exporter's flush and shutdown, the join), so that a drain that
// uses all its time still ends before the caller stops waiting.
clock::time_point drain_deadline_for(clock::time_point deadline,
                                     std::chrono::milliseconds timeout) noexcept {
  if (deadline == clock::time_point::max()) return deadline;
  return deadline - std::min<std::chrono::milliseconds>(timeout / 10, std::chrono::milliseconds(100));
}

// The time left before `d` for a step that must not get "no limit" (0): at least 1 ms.
std::chrono::milliseconds left_until(clock::time_point d, std::chrono::milliseconds unbounded) noexcept {
  if (d == clock::time_point::max()) return unbounded;
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(d - clock::now());
  return std::max(left, std::chrono::milliseconds(1));
}

// Registers the process for expedited private membarrier, once; true if shutdowns can use it
// (Linux 4.14 and later, unless a seccomp filter refuses the call). Not under ThreadSanitizer,
// whose builds order the second look with a read-modify-write instead.
bool asymmetric_fence_available() noexcept {
#if defined(__linux__) && defined(__NR_membarrier) && !CTXFLOW_BATCH_TSAN
  static const bool registered = [] {
    const long cmds = ::syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
    if (cmds < 0 || (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0 ||
        (cmds & MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0)
      return false;
    return ::syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
  }();
  return registered;
#else
  return false;
#endif
}

}  // namespace

batch_export_loop::batch_export_loop(const batch_options& opts, span_exporter* exporter,
                                     shard_registry& shards, batch_admission& admission,
                                     span_recycler& recycler, batch_counters& counters) noexcept
    : opts_(opts), exporter_(exporter), shards_(shards), admission_(admission),
      recycler_(recycler), counters_(counters), asymmetric_(asymmetric_fence_available()) {}

void batch_export_loop::start(std::shared_ptr<const void> owner) {
  worker_ = std::thread([this, keep = std::move(owner)] { run(); });
}

void batch_export_loop::mark_stopped() noexcept {
  std::lock_guard lock(mu_);
  exited_ = true;
  stopping_.store(true);
}

void batch_export_loop::notify() noexcept {
  // Passing through mu_ orders the flag with the export thread's check of it (it checks under
  // mu_, then blocks atomically); notifying after unlocking spares the woken thread a second
  // sleep on mu_.
  { std::lock_guard lock(mu_); }
  cv_.notify_one();
}

// Spans queued in every shard (exact, as seen by the export thread).
std::uint64_t batch_export_loop::queued_exact() noexcept {
  std::uint64_t n = 0;
  for (const shard* sh : shards_.local()) n += sh->ring.queued();
  return n;
}

// Takes up to a batch of spans, starting with the shard after the one served first last time.
void batch_export_loop::take() noexcept {
  ptrs_.clear();
  touched_.clear();
  std::vector<shard*>& local = shards_.local();
  const std::size_t n_shards = local.size();
  if (n_shards == 0) return;
  const std::uint64_t batch = admission_.batch();
  if (++rotation_ >= n_shards) rotation_ = 0;
  for (std::size_t k = 0; k < n_shards && ptrs_.size() < batch; ++k) {
    shard& sh = *local[(rotation_ + k) % n_shards];
    if (sh.ring.queued() == 0) continue;
    if (touched_.size() == touched_.capacity()) {
      bool grown = false;
      CTXFLOW_TRY {
        touched_.reserve(2 * touched_.size() + 8);
        grown = true;
      } CTXFLOW_CATCH_ALL {
      }
      if (!grown) break;  // no memory to note another shard: this batch ends here
    }
    // No read of the span objects themselves: their data comes from the recycler.
    sh.ring.take(batch - ptrs_.size(), [&](const recording_span* s) noexcept {
      ptrs_.push_back(recycler_.data_of(s));
    });
    touched_.push_back(&sh);
  }
  admission_.taken(ptrs_.size());
}

// Exports up to a batch within `limits`; returns how many spans were taken. `drain`: a flush or
// shutdown is draining the queue, which reports its failures once at its end.
std::size_t batch_export_loop::export_one_batch(const export_limits& limits, bool drain) noexcept {
  take();
  if (ptrs_.empty()) return 0;
  const auto start = clock::now();
  export_result r = export_result::failure;
  const std::span<const span_data* const> spans(ptrs_.data(), ptrs_.size());
  counters_.in_flight.store(ptrs_.size(), std::memory_order_relaxed);
  CTXFLOW_TRY {
    r = exporter_->export_spans_within(spans, limits);
  } CTXFLOW_CATCH_ALL {
    r = export_result::failure;
  }
  counters_.in_flight.store(0, std::memory_order_relaxed);
  const auto took = clock::now() - start;
  if (opts_.export_timeout.count() > 0 && took > opts_.export_timeout) {
    reportf(severity::warning, "sdk.export.timeout", "an export of %zu spans took %lld ms (limit %lld ms)",
            ptrs_.size(),
            static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()),
            static_cast<long long>(opts_.export_timeout.count()));
  }
  if (r == export_result::success) {
    counters_.exported.fetch_add(ptrs_.size(), std::memory_order_relaxed);
  } else {
    counters_.failed.fetch_add(ptrs_.size(), std::memory_order_relaxed);
    batch_failed_ = true;
    // An export cut short by a starting drain belongs to that drain's report.
    if (drain || limits.interrupt.stop_requested()) {
      drain_failed_ += ptrs_.size();
    } else {
      reportf(severity::warning, "sdk.export.failed", "the exporter failed to export %zu spans",
              ptrs_.size());
    }
  }
  // The producers release their spans themselves (on_end); abandoned shards are served here.
  return_scope returns(recycler_);
  for (shard* sh : touched_) {
    const std::uint64_t t = sh->ring.finish_taken();
    if (sh->abandoned.load(std::memory_order_acquire)) release_foreign(sh->ring, t);
  }
  return ptrs_.size();
}

// Takes every queued span without exporting it (a shutdown whose deadline passed); returns how
// many. Their producers never come back for them: release_all() releases them.
std::uint64_t batch_export_loop::discard_queued() noexcept {
  std::uint64_t n = 0;
  for (shard* sh : shards_.refreshed()) n += sh->ring.skip_queued();
  admission_.taken(n);
  return n;
}

// At least once a second: releases the exported spans of shards whose thread has not come back
// to release them since the previous round, and retires abandoned shards that are empty.
void batch_export_loop::tend_shards() noexcept {
  std::vector<shard*>& local = shards_.local();
  bool removed = false;
  {
    return_scope returns(recycler_);
    for (shard*& sh : local) {
      const std::uint64_t d = sh->ring.done_relaxed();
      const std::uint64_t r = sh->ring.reclaimed_relaxed();
      if (r < d && (r == sh->idle_mark || sh->abandoned.load(std::memory_order_acquire)))
        release_foreign(sh->ring, d);
      sh->idle_mark = sh->ring.reclaimed_relaxed();
      if (sh->abandoned.load(std::memory_order_acquire) && sh->ring.tail() == sh->ring.reclaimed()) {
        shards_.retire(sh);
        sh = nullptr;
        removed = true;
      }
    }
  }
  if (removed) std::erase(local, nullptr);
}

// One report for a whole drain (export thread only).
void batch_export_loop::report_drain(bool stop, std::uint64_t not_attempted,
                                     std::uint64_t left_queued) noexcept {
  const std::uint64_t failed_now = std::exchange(drain_failed_, 0);
  if (stop) {
    const std::uint64_t n = failed_now + not_attempted;
    counters_.not_delivered_at_shutdown.fetch_add(n, std::memory_order_relaxed);
    // Claimed even when nothing is missing: a shutdown that timed out meanwhile stays silent.
    if (!counters_.undelivered_reported.exchange(true, std::memory_order_acq_rel) && n != 0) {
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
            static_cast<unsigned long long>(failed_now), static_cast<unsigned long long>(left_queued));
  }
}

// At most one report per schedule period (at least one second), and one at flush/shutdown.
void batch_export_loop::report_drops(bool now) noexcept {
  const std::uint64_t d = counters_.dropped_full.load(std::memory_order_relaxed);
  const auto t = clock::now();
  const auto period = opts_.schedule_delay > std::chrono::milliseconds(1000)
                          ? std::chrono::duration_cast<clock::duration>(opts_.schedule_delay)
                          : std::chrono::duration_cast<clock::duration>(std::chrono::seconds(1));
  if (!now && t - last_drop_report_ < period) return;
  if (d != dropped_reported_) {
    last_drop_report_ = t;
    reportf(severity::warning, "sdk.batch.dropped",
            "%llu spans dropped because the batch queue (capacity %llu) was full; %llu in total",
            static_cast<unsigned long long>(d - dropped_reported_),
            static_cast<unsigned long long>(admission_.capacity()), static_cast<unsigned long long>(d));
    dropped_reported_ = d;
  }
}

// A fresh interrupt source once no bounded flush is pending (called under mu_).
void batch_export_loop::renew_interrupt() noexcept {
  if (!interrupt_.stop_requested()) return;
  CTXFLOW_TRY {
    interrupt_ = std::stop_source();
  } CTXFLOW_CATCH_ALL {
    // No memory: keep the requested one; exports then make single attempts until it works.
  }
}

// After stopping_ is set, before the export thread can see it (the caller holds mu_): every
// producer's push either happens before the last release reads its ring, or is followed by a
// second look (stopping_after_push) that sees the flag. docs/design/sdk.md §7 has the argument.
void batch_export_loop::stop_fence() noexcept {
#if CTXFLOW_BATCH_TSAN
  (void)stop_sync_.fetch_add(1, std::memory_order_acq_rel);
#else
  if (!asymmetric_) {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    return;
  }
#if defined(__linux__) && defined(__NR_membarrier)
  // Every thread of the process runs a full barrier (or is not running) before this returns,
  // which makes the producers' compiler barrier a fence with respect to it. Registered, so it
  // does not fail; should it, the global command gives the same guarantee, more slowly.
  if (::syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) != 0)
    (void)::syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0);
#endif
#endif
}

void batch_export_loop::release_all() noexcept {
  // Spans that passed on_end's stopping check as the shutdown began and reached a ring after
  // the last export pass: accepted (the ring's tail counts them) and never delivered, so they are
  // counted as undelivered, not as ended after shutdown (which would count them twice).
  const std::uint64_t late = shards_.release_all(recycler_);
  if (late != 0) counters_.not_delivered_at_shutdown.fetch_add(late, std::memory_order_relaxed);
}

void batch_export_loop::run() noexcept {
#if defined(__linux__)
  ::prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);  // 1 µs: naps end on time (batch_pacer)
#endif
  const std::uint64_t batch = admission_.batch();
  CTXFLOW_TRY {
    ptrs_.reserve(batch);
  } CTXFLOW_CATCH_ALL {
  }
  auto deadline = clock::now() + opts_.schedule_delay;
  batch_pacer pace(admission_.capacity(), batch, opts_.schedule_delay);
  const clock::duration tend_period =
      std::min<clock::duration>(opts_.schedule_delay, std::chrono::seconds(1));
  auto next_tend = clock::now() + tend_period;
  bool skip_wait = false;
  for (;;) {
    std::uint64_t flush_target = 0;
    bool stop = false;
    bool woken = false;
    clock::time_point drain_deadline = clock::time_point::max();
    std::stop_token interrupt_token;
    {
      std::unique_lock lock(mu_);
      if (!skip_wait) {
        cv_.wait_until(lock, pace.active() ? std::min(deadline, pace.until()) : deadline, [&] {
          return wake_pending_.load(std::memory_order_relaxed) || flush_requested_ > flush_done_ ||
                 stopping_.load(std::memory_order_relaxed);
        });
      }
      woken = wake_pending_.load(std::memory_order_relaxed);
      wake_pending_.store(false, std::memory_order_relaxed);
      flush_target = flush_requested_;
      stop = stopping_.load(std::memory_order_relaxed);
      if (stop) {
        drain_deadline = stop_deadline_;
      } else if (flush_target > flush_done_local_) {
        // The latest deadline of the flushes served now (max(): one of them has no limit).
        drain_deadline = flush_deadline_pending_;
        flush_deadline_pending_ = clock::time_point::min();
      }
      interrupt_token = interrupt_.get_token();
    }
    skip_wait = false;
    shards_.refreshed();
    const bool flushing = flush_target > flush_done_local_;
    const auto now = clock::now();
    const bool timer = now >= deadline;
    batch_failed_ = false;
    bool exported_any = false;
    std::uint64_t taken_now = 0;
    std::uint64_t not_attempted = 0;
    std::uint64_t left_queued = 0;
    if (flushing || stop) {
      // A drain: one attempt per batch (unless a flush without a limit), none after the
      // deadline.
      export_limits lim;
      lim.deadline = drain_deadline;
      lim.single_attempt = stop || drain_deadline != clock::time_point::max();
      if (!lim.single_attempt) lim.interrupt = interrupt_token;
      for (;;) {
        if (drain_deadline != clock::time_point::max() && clock::now() >= drain_deadline) {
          if (stop)
            not_attempted = discard_queued();
          else
            left_queued = queued_exact();
          break;
        }
        const std::size_t n = export_one_batch(lim, true);
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
        const std::size_t n = export_one_batch(lim, false);
        if (n == 0) break;
        exported_any = true;
        taken_now += n;
      }
    }
    if (pace.next(now, woken, taken_now)) {
      pacing_.store(true, std::memory_order_seq_cst);
    } else if (pacing_.load(std::memory_order_relaxed)) {
      pacing_.store(false, std::memory_order_seq_cst);
      // A producer that saw `pacing_` skipped its wake-up: look at the queue once more.
      skip_wait = admission_.queued() >= static_cast<std::int64_t>(batch);
    }
    // Also under steady load (when the timer never fires): retired shards must not pile up.
    if (timer || stop || now >= next_tend) {
      tend_shards();
      next_tend = now + tend_period;
    }
    if (exported_any || timer) deadline = clock::now() + opts_.schedule_delay;
    report_drops(flushing || stop);
    if (flushing || stop) {
      report_drain(stop, not_attempted, left_queued);
      bool ok = !batch_failed_ && not_attempted == 0 && left_queued == 0;
      const std::chrono::milliseconds flush_left = left_until(drain_deadline, opts_.export_timeout);
      CTXFLOW_TRY {
        ok = exporter_->force_flush(flush_left) && ok;
      } CTXFLOW_CATCH_ALL {
        ok = false;
      }
      // Producers ignore this processor from now on and will not release their exported
      // spans: release them here. This is the last release; a producer that queues a span
      // after it sees the shutdown on its second look and releases that span itself.
      if (stop) release_all();
      std::lock_guard lock(mu_);
      flush_done_ = flush_target;
      flush_done_local_ = flush_target;
      last_flush_ok_ = ok;
      if (!stop && flush_requested_ == flush_target) renew_interrupt();
      if (stop) exited_ = true;
      done_cv_.notify_all();
      if (stop) return;
    }
  }
}

bool batch_export_loop::flush(std::chrono::milliseconds timeout) noexcept {
  const bool bounded = timeout.count() > 0;
  const clock::time_point deadline = bounded ? clock::now() + timeout : clock::time_point::max();
  std::stop_source running_export{std::nostopstate};
  std::uint64_t target = 0;
  {
    std::lock_guard lock(mu_);
    if (exited_ || stopping_.load()) return false;
    target = ++flush_requested_;
    flush_deadline_pending_ = std::max(flush_deadline_pending_, drain_deadline_for(deadline, timeout));
    if (bounded) running_export = interrupt_;
    cv_.notify_one();
  }
  // Outside mu_: the exporter's callback takes its own lock.
  if (bounded) running_export.request_stop();
  std::unique_lock lock(mu_);
  auto done = [&] { return flush_done_ >= target || exited_; };
  if (!bounded) {
    done_cv_.wait(lock, done);
  } else if (!done_cv_.wait_until(lock, deadline, done)) {
    report(severity::warning, "sdk.flush.timeout", "batch_span_processor force_flush timed out");
    return false;
  }
  return flush_done_ >= target && last_flush_ok_;
}

bool batch_export_loop::shutdown(std::chrono::milliseconds timeout) noexcept {
  // One deadline for the drain and the exporter's shutdown together.
  const bool bounded = timeout.count() > 0;
  const clock::time_point deadline = bounded ? clock::now() + timeout : clock::time_point::max();
  bool finished = false;
  std::stop_source running_export{std::nostopstate};
  {
    std::lock_guard lock(mu_);
    stopping_.store(true, std::memory_order_relaxed);
    // Under mu_: the export thread reads the flag under mu_, so its last release comes after.
    stop_fence();
    stop_deadline_ = drain_deadline_for(deadline, timeout);
    running_export = interrupt_;
    cv_.notify_one();
  }
  // Outside mu_: the exporter's callback takes its own lock.
  running_export.request_stop();
  {
    std::unique_lock lock(mu_);
    auto done = [&] { return exited_; };
    if (!bounded) {
      done_cv_.wait(lock, done);
      finished = true;
    } else {
      finished = done_cv_.wait_until(lock, deadline, done);
    }
  }
  bool ok = finished;
  if (finished) {
    if (worker_.joinable()) {
      if (worker_.get_id() == std::this_thread::get_id()) {
        worker_.detach();
      } else {
        // Nothing to release here: the export thread's last release closed the shards, and a
        // producer that queued after it releases its own span (docs/design/sdk.md §7).
        worker_.join();
      }
    }
    std::lock_guard lock(mu_);
    ok = last_flush_ok_;
  } else {
    report(severity::warning, "sdk.shutdown.timeout",
           "batch_span_processor shutdown timed out; the export thread finishes on its own");
    if (!counters_.undelivered_reported.exchange(true, std::memory_order_acq_rel)) {
      // The export thread is still at work: what it has not delivered yet is lost to us.
      std::uint64_t accepted = 0;
      std::uint64_t queued = 0;
      shards_.count(accepted, queued);
      const std::uint64_t n = counters_.not_delivered_at_shutdown.load(std::memory_order_relaxed) +
                              queued + counters_.in_flight.load(std::memory_order_relaxed);
      if (n != 0)
        reportf(severity::warning, "sdk.shutdown.undelivered",
                "at least %llu spans were not delivered at shutdown (the export did not finish "
                "before the deadline)",
                static_cast<unsigned long long>(n));
    }
    if (worker_.joinable()) worker_.detach();
  }
  if (exporter_ != nullptr) {
    // Safe while an abandoned export is still running (span_exporter's contract). The time
    // left of the one deadline; none when the drain already used it up.
    const auto left = finished ? left_until(deadline, timeout) : std::chrono::milliseconds(1);
    ok = exporter_->shutdown(left) && ok;
  }
  return ok;
}

}  // namespace ctxflow::sdk::detail
