// SPDX-License-Identifier: Apache-2.0
// The OTLP/HTTP exporter's export loop and public calls: encode, check the size limit (R8.8),
// gzip, then send (http_transport.cpp) with retries for connection failures and
// 429/502/503/504, honouring Retry-After, inside one deadline (R8.10-R8.12). During a flush or
// shutdown the processor's export_limits cut that deadline and the retries (one attempt per
// batch). See docs/design/otlp.md.
#include "ctxflow/exporters/otlp/http_exporter.hpp"

#include <algorithm>
#include <mutex>
#include <random>
#include <stop_token>
#include <string>

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/exporters/otlp/json_encoder.hpp"
#include "ctxflow/exporters/otlp/proto_encoder.hpp"
#include "ctxflow/macros.hpp"
#include "ctxflow/sdk/exporter_registry.hpp"
#include "exporters/otlp/http_exporter_impl.hpp"

namespace ctxflow::exporters::otlp {

using detail::attempt_outcome;
using detail::gzip;
using steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

bool http_exporter::impl::backoff_wait(milliseconds d, const std::stop_token& interrupt) {
  std::unique_lock lock(mu);
  return !cv.wait_for(lock, d, [&] {
    return shut_down.load(std::memory_order_acquire) || interrupt.stop_requested();
  });
}

void http_exporter::impl::fail(std::uint64_t n, const char* why, bool quiet) {
  failed.fetch_add(n, std::memory_order_relaxed);
  reportf(quiet ? severity::debug : severity::error, "otlp.export.failed",
          "%llu spans to %s lost: %s", static_cast<unsigned long long>(n),
          endpoint_for_reports.c_str(), why);
}

sdk::export_result http_exporter::impl::export_batch(
    std::span<const sdk::span_data* const> batch, const sdk::export_limits& limits) {
  std::uint64_t n = 0;
  for (const auto* s : batch) n += s != nullptr ? 1 : 0;
  if (n == 0) return sdk::export_result::success;  // R8.3: no empty envelopes
  if (shut_down.load(std::memory_order_acquire)) {
    failed.fetch_add(n, std::memory_order_relaxed);
    return sdk::export_result::failure;
  }
  const bool bounded = limits.deadline != steady::time_point::max();
  if (bounded && steady::now() >= limits.deadline) {
    fail(n, "the flush or shutdown deadline passed before the export started", true);
    return sdk::export_result::failure;
  }
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return !busy || shut_down.load(std::memory_order_relaxed); });
    if (shut_down.load(std::memory_order_relaxed) || curl == nullptr) {
      failed.fetch_add(n, std::memory_order_relaxed);
      return sdk::export_result::failure;
    }
    busy = true;
  }
  struct busy_reset {
    impl& self;
    ~busy_reset() {
      {
        std::lock_guard lock(self.mu);
        self.busy = false;
      }
      self.cv.notify_all();
    }
  } reset{*this};
  // One deadline for the call: the export timeout, cut to the caller's deadline.
  const auto start = steady::now();
  auto deadline = opts.timeout.count() == 0 ? steady::time_point::max() : start + opts.timeout;
  if (bounded) deadline = std::min(deadline, limits.deadline);
  const bool unlimited = deadline == steady::time_point::max();
  const std::uint32_t max_attempts = limits.single_attempt ? 1 : opts.retry.max_attempts;
  // A flush or shutdown that starts during a backoff wait ends it (see export_limits).
  const std::stop_callback wake_on_interrupt(limits.interrupt, [this] {
    { std::lock_guard lock(mu); }
    cv.notify_all();
  });

  if (opts.protocol == http_protocol::http_json) {
    encode_json(batch, body);
  } else {
    encode_protobuf(batch, body);
  }
  if (body.size() > opts.max_request_size) {  // R8.8
    failed.fetch_add(n, std::memory_order_relaxed);
    reportf(severity::error, "otlp.export.too_large",
            "%llu spans dropped: request of %zu bytes exceeds max_request_size %zu",
            static_cast<unsigned long long>(n), body.size(), opts.max_request_size);
    return sdk::export_result::failure;
  }
  const std::string* payload = &body;
  if (opts.compression == http_compression::gzip) {
    if (!gzip(body, compressed)) {
      fail(n, "gzip compression failed");
      return sdk::export_result::failure;
    }
    payload = &compressed;
  }

  auto backoff = opts.retry.initial_backoff;
  std::string why;
  for (std::uint32_t attempt_no = 1;; ++attempt_no) {
    std::optional<milliseconds> retry_delay;
    const attempt_outcome outcome = attempt(*payload, deadline, unlimited, n, retry_delay, why);
    if (outcome == attempt_outcome::success) return sdk::export_result::success;
    const bool quiet = limits.single_attempt || limits.interrupt.stop_requested();
    if (outcome == attempt_outcome::fail) {
      fail(n, why.c_str(), quiet);
      return sdk::export_result::failure;
    }
    if (limits.single_attempt) {
      why += "; one attempt only (flush or shutdown)";
      fail(n, why.c_str(), true);
      return sdk::export_result::failure;
    }
    if (limits.interrupt.stop_requested()) {
      why += "; a flush or shutdown started, no more retries";
      fail(n, why.c_str(), true);
      return sdk::export_result::failure;
    }
    if (attempt_no >= max_attempts) {
      why += "; gave up after " + std::to_string(attempt_no) + " attempts";
      fail(n, why.c_str());
      return sdk::export_result::failure;
    }
    // R8.12: Retry-After when given, otherwise exponential backoff with full jitter.
    milliseconds delay{0};
    if (retry_delay) {
      delay = *retry_delay;
    } else {
      std::uniform_int_distribution<long long> jitter(0, std::max<long long>(backoff.count(), 0));
      delay = milliseconds(jitter(rng));
      const double next = static_cast<double>(backoff.count()) * opts.retry.backoff_multiplier;
      backoff = milliseconds(static_cast<long long>(
          std::min(next, static_cast<double>(opts.retry.max_backoff.count()))));
    }
    const auto now = steady::now();
    if (!unlimited && (delay >= std::chrono::duration_cast<milliseconds>(deadline - now))) {
      why += retry_delay ? "; Retry-After goes past the export timeout"
                         : "; no time left in the export timeout for a retry";
      fail(n, why.c_str());
      return sdk::export_result::failure;
    }
    reportf(severity::debug, "otlp.export.retry", "%s; retrying in %lld ms (attempt %u)",
            why.c_str(), static_cast<long long>(delay.count()), attempt_no + 1);
    if ((delay.count() > 0 && !backoff_wait(delay, limits.interrupt)) ||
        shut_down.load(std::memory_order_acquire) || limits.interrupt.stop_requested()) {
      const bool by_shutdown = shut_down.load(std::memory_order_acquire);
      fail(n,
           by_shutdown ? "shutdown during retry backoff"
                       : "a flush or shutdown started during retry backoff; no more retries",
           !by_shutdown);
      return sdk::export_result::failure;
    }
    retries.fetch_add(1, std::memory_order_relaxed);
  }
}

http_exporter::http_exporter(http_exporter_options options)
    : impl_(std::make_unique<impl>(std::move(options))) {}

http_exporter::~http_exporter() {
  impl_->abort.store(true, std::memory_order_relaxed);
  std::unique_lock lock(impl_->mu);
  impl_->shut_down.store(true, std::memory_order_release);
  impl_->cv.notify_all();
  impl_->cv.wait(lock, [&] { return !impl_->busy; });
  impl_->release();
}

sdk::export_result http_exporter::export_spans(
    std::span<const sdk::span_data* const> batch) noexcept {
  return export_spans_within(batch, sdk::export_limits{});
}

sdk::export_result http_exporter::export_spans_within(std::span<const sdk::span_data* const> batch,
                                                      const sdk::export_limits& limits) noexcept {
  CTXFLOW_TRY {
    return impl_->export_batch(batch, limits);
  } CTXFLOW_CATCH_ALL {
    report(severity::error, "otlp.export.failed", "exception during export; batch lost");
    return sdk::export_result::failure;
  }
}

bool http_exporter::force_flush(std::chrono::milliseconds) noexcept { return true; }

bool http_exporter::shutdown(std::chrono::milliseconds timeout) noexcept {
  std::unique_lock lock(impl_->mu);
  impl_->shut_down.store(true, std::memory_order_release);
  impl_->cv.notify_all();
  if (!impl_->cv.wait_for(lock, std::max(timeout, milliseconds(0)),
                          [&] { return !impl_->busy; })) {
    impl_->abort.store(true, std::memory_order_relaxed);
    return false;  // the destructor releases the handle once the aborted request returns
  }
  impl_->release();
  return true;
}

http_exporter_stats http_exporter::stats() const noexcept {
  http_exporter_stats s;
  s.exported_spans = impl_->exported.load(std::memory_order_relaxed);
  s.failed_spans = impl_->failed.load(std::memory_order_relaxed);
  s.rejected_spans = impl_->rejected.load(std::memory_order_relaxed);
  s.requests = impl_->requests.load(std::memory_order_relaxed);
  s.retries = impl_->retries.load(std::memory_order_relaxed);
  return s;
}

const http_exporter_options& http_exporter::options() const noexcept { return impl_->opts; }

void register_exporter() noexcept {
  CTXFLOW_TRY {
    sdk::register_exporter_factory("otlp", []() -> std::unique_ptr<sdk::span_exporter> {
      return std::make_unique<http_exporter>(http_exporter_options::from_environment());
    });
  } CTXFLOW_CATCH_ALL {
    report(severity::error, "otlp.export.init_failed", "could not register \"otlp\"");
  }
}

}  // namespace ctxflow::exporters::otlp

// The SDK's exporter registry calls this before its first lookup (a weak reference there), so
// linking ctxflow::otlp_http is enough for OTEL_TRACES_EXPORTER=otlp. The library's link
// interface names it with --undefined, which pulls this object file out of the static archive.
extern "C" __attribute__((visibility("default"))) void ctxflow_otlp_http_register_hook() noexcept {
  ctxflow::exporters::otlp::register_exporter();
}

