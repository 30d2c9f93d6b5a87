// SPDX-License-Identifier: Apache-2.0
// The simple processor (R7.19) and the fan-out processor with per-child guards (R1.12).
#include "ctxflow/sdk/span_processor.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/macros.hpp"
#include "ctxflow/sdk/batch_span_processor.hpp"
#include "sdk/provider_state.hpp"

namespace ctxflow::sdk {
namespace {

// Called inside a CTXFLOW_CATCH_ALL handler.
void report_processor_failure(const char* what) noexcept {
  reportf(severity::error, "sdk.processor.failed",
          "a span processor threw from %s (%s); it is switched off", what,
          current_exception_message());
}

// The time left before `deadline` (none: `timeout` 0, no limit), at least 1 ms so that a step
// never receives "no limit" by running late.
struct shared_deadline {
  explicit shared_deadline(std::chrono::milliseconds timeout) noexcept
      : bounded(timeout.count() > 0),
        at(bounded ? std::chrono::steady_clock::now() + timeout
                   : std::chrono::steady_clock::time_point::max()) {}
  std::chrono::milliseconds left() const noexcept {
    if (!bounded) return std::chrono::milliseconds(0);
    const auto l = std::chrono::ceil<std::chrono::milliseconds>(at - std::chrono::steady_clock::now());
    return std::max(l, std::chrono::milliseconds(1));
  }
  bool bounded;
  std::chrono::steady_clock::time_point at;
};

}  // namespace

// ---- simple_span_processor ----

simple_span_processor::simple_span_processor(std::unique_ptr<span_exporter> exporter) noexcept
    : exporter_(std::move(exporter)) {}

simple_span_processor::~simple_span_processor() {
  if (!shut_down_.load(std::memory_order_acquire)) (void)shutdown(std::chrono::milliseconds(30000));
}

// The counters written under mu_ are bumped with a load and a store: every writer holds the
// mutex, so no read-modify-write is needed, and stats() reads them without taking it.
void simple_span_processor::bump(std::atomic<std::uint64_t>& counter) noexcept {
  counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

void simple_span_processor::on_end(recording_span& span) noexcept {
  if (!span.data().context.sampled()) return;  // exporters see sampled spans only (R7.16)
  if (shut_down_.load(std::memory_order_acquire)) {
    after_shutdown_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const span_data* one[1] = {&span.data()};
  std::lock_guard lock(mu_);  // export calls never overlap (R7.19)
  if (!exporter_) {
    after_shutdown_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  bump(accepted_);
  if (exporter_->export_spans(std::span<const span_data* const>(one, 1)) == export_result::success) {
    bump(exported_);
  } else {
    bump(failed_);
    report(severity::warning, "sdk.export.failed", "the exporter failed to export a span");
  }
}

bool simple_span_processor::force_flush(std::chrono::milliseconds timeout) noexcept {
  std::lock_guard lock(mu_);
  return exporter_ ? exporter_->force_flush(timeout) : false;
}

bool simple_span_processor::shutdown(std::chrono::milliseconds timeout) noexcept {
  if (shut_down_.exchange(true, std::memory_order_acq_rel)) return false;
  std::unique_ptr<span_exporter> e;
  {
    std::lock_guard lock(mu_);
    e = std::move(exporter_);
  }
  if (!e) return false;
  const shared_deadline d(timeout);  // flush and shutdown together
  const bool flushed = e->force_flush(d.left());
  return e->shutdown(d.left()) && flushed;
}

processor_stats simple_span_processor::stats() const noexcept {
  processor_stats s;
  s.accepted = accepted_.load(std::memory_order_relaxed);
  s.exported = exported_.load(std::memory_order_relaxed);
  s.export_failed = failed_.load(std::memory_order_relaxed);
  s.dropped_after_shutdown = after_shutdown_.load(std::memory_order_relaxed);
  return s;
}

// ---- multi_span_processor ----

multi_span_processor::multi_span_processor(std::vector<std::unique_ptr<span_processor>> processors) {
  for (auto& p : processors)
    if (p) add(std::move(p));
}

multi_span_processor::~multi_span_processor() = default;

namespace detail {
bool builtin_processor(const span_processor* p) noexcept {
  return dynamic_cast<const simple_span_processor*>(p) != nullptr ||
         dynamic_cast<const batch_span_processor*>(p) != nullptr;
}
}  // namespace detail

namespace {
// False for the built-in processors, which do nothing at span start.
bool works_at_start(const span_processor* p) noexcept {
  if (detail::builtin_processor(p)) return false;
  if (const auto* m = dynamic_cast<const multi_span_processor*>(p)) return m->wants_on_start();
  return true;
}
}  // namespace

void multi_span_processor::add(std::unique_ptr<span_processor> processor) {
  if (works_at_start(processor.get())) starts_ = true;
  auto e = std::make_unique<entry>();
  e->processor = std::move(processor);
  entries_.push_back(std::move(e));
}

bool multi_span_processor::disabled(std::size_t i) const noexcept {
  return i < entries_.size() && entries_[i]->off.load(std::memory_order_relaxed);
}

void multi_span_processor::on_start(recording_span& span, const trace::span_context& parent) noexcept {
  if (!starts_) return;
  for (const auto& e : entries_) {
    if (e->off.load(std::memory_order_relaxed)) continue;
    CTXFLOW_TRY {
      e->processor->on_start(span, parent);
    } CTXFLOW_CATCH_ALL {
      if (!e->off.exchange(true)) report_processor_failure("on_start");
    }
  }
}

void multi_span_processor::on_end(recording_span& span) noexcept {
  // A reference the ending caller handed over (recording_span::take_end_reference) is offered to
  // the last child only: once a child takes it, the span may be released by another thread, so
  // no later child may see it.
  bool* const offer = span.end_reference_;
  if (offer == nullptr) {  // a plain end(): nothing to offer
    for (const auto& e : entries_) {
      if (e->off.load(std::memory_order_relaxed)) continue;
      CTXFLOW_TRY {
        e->processor->on_end(span);
      } CTXFLOW_CATCH_ALL {
        if (!e->off.exchange(true)) report_processor_failure("on_end");
      }
    }
    return;
  }
  span.end_reference_ = nullptr;
  const std::size_t n = entries_.size();
  for (std::size_t i = 0; i < n; ++i) {
    entry& e = *entries_[i];
    if (e.off.load(std::memory_order_relaxed)) continue;
    if (i + 1 == n) span.end_reference_ = offer;
    CTXFLOW_TRY {
      e.processor->on_end(span);
    } CTXFLOW_CATCH_ALL {
      if (!e.off.exchange(true)) report_processor_failure("on_end");
    }
  }
}

bool multi_span_processor::force_flush(std::chrono::milliseconds timeout) noexcept {
  const shared_deadline d(timeout);
  bool ok = true;
  for (const auto& e : entries_) {
    timeout = d.left();
    CTXFLOW_TRY {
      ok = e->processor->force_flush(timeout) && ok;
    } CTXFLOW_CATCH_ALL {
      ok = false;
      if (!e->off.exchange(true)) report_processor_failure("force_flush");
    }
  }
  return ok;
}

bool multi_span_processor::shutdown(std::chrono::milliseconds timeout) noexcept {
  const shared_deadline d(timeout);
  bool ok = true;
  for (const auto& e : entries_) {
    timeout = d.left();
    CTXFLOW_TRY {
      ok = e->processor->shutdown(timeout) && ok;
    } CTXFLOW_CATCH_ALL {
      ok = false;
      if (!e->off.exchange(true)) report_processor_failure("shutdown");
    }
  }
  return ok;
}

}  // namespace ctxflow::sdk
