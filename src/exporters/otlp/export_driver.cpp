// SPDX-License-Identifier: Apache-2.0
// The export loop both OTLP transports share: one export at a time, retries with exponential
// backoff and full jitter or the receiver's requested delay, all inside one deadline that a
// flush or shutdown cuts (export_limits: one attempt, no backoff wait after an interrupt)
// (R8.10-R8.12). See docs/design/otlp.md.
#include "exporters/otlp/export_driver.hpp"

#include <algorithm>
#include <utility>

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/macros.hpp"

namespace ctxflow::exporters::otlp::detail {

export_driver::export_driver(retry_policy retry, milliseconds timeout, std::string endpoint)
    : retry_(retry), timeout_(timeout), endpoint_(std::move(endpoint)) {
  if (retry_.max_attempts == 0) retry_.max_attempts = 1;
  if (!(retry_.backoff_multiplier >= 1.0)) retry_.backoff_multiplier = 1.0;
}

bool export_driver::backoff_wait(milliseconds d, const std::stop_token& interrupt) {
  std::unique_lock lock(mu_);
  return !cv_.wait_for(lock, d, [&] {
    return shut_down_.load(std::memory_order_acquire) || interrupt.stop_requested();
  });
}

void export_driver::fail(std::uint64_t n, const char* why, bool quiet) {
  counters.failed.fetch_add(n, std::memory_order_relaxed);
  reportf(quiet ? severity::debug : severity::error, "otlp.export.failed",
          "%llu spans to %s lost: %s", static_cast<unsigned long long>(n), endpoint_.c_str(),
          why);
}

void export_driver::too_large(std::uint64_t n, std::size_t size, std::size_t limit) {
  counters.failed.fetch_add(n, std::memory_order_relaxed);
  reportf(severity::error, "otlp.export.too_large",
          "%llu spans dropped: request of %zu bytes exceeds max_request_size %zu",
          static_cast<unsigned long long>(n), size, limit);
}

void export_driver::accepted(const std::optional<export_response>& r, std::uint64_t n) {
  if (!r) {
    report(severity::debug, "otlp.export.bad_response",
           "a success response body could not be decoded; counted as full success");
    counters.exported.fetch_add(n, std::memory_order_relaxed);
    return;
  }
  if (r->has_partial_success && r->rejected_spans > 0) {
    const auto k = std::min<std::uint64_t>(static_cast<std::uint64_t>(r->rejected_spans), n);
    counters.rejected.fetch_add(k, std::memory_order_relaxed);
    counters.failed.fetch_add(k, std::memory_order_relaxed);
    counters.exported.fetch_add(n - k, std::memory_order_relaxed);
    reportf(severity::warning, "otlp.export.partial_success",
            "%s rejected %lld of %llu spans: %s", endpoint_.c_str(),
            static_cast<long long>(r->rejected_spans), static_cast<unsigned long long>(n),
            r->error_message.empty() ? "rejected" : r->error_message.c_str());
    return;
  }
  counters.exported.fetch_add(n, std::memory_order_relaxed);
  if (r->has_partial_success && !r->error_message.empty()) {
    reportf(severity::warning, "otlp.export.partial_success", "%s accepted all spans: %s",
            endpoint_.c_str(), r->error_message.c_str());
  }
}

bool export_driver::shut_down_within(milliseconds timeout) noexcept {
  std::unique_lock lock(mu_);
  shut_down_.store(true, std::memory_order_release);
  cv_.notify_all();
  return cv_.wait_for(lock, std::max(timeout, milliseconds(0)), [&] { return !busy_; });
}

void export_driver::shut_down_and_wait() noexcept {
  std::unique_lock lock(mu_);
  shut_down_.store(true, std::memory_order_release);
  cv_.notify_all();
  cv_.wait(lock, [&] { return !busy_; });
}

sdk::export_result export_driver::run(std::span<const sdk::span_data* const> batch,
                                      const sdk::export_limits& limits,
                                      export_transport& transport) {
  std::uint64_t n = 0;
  for (const auto* s : batch) n += s != nullptr ? 1 : 0;
  if (n == 0) return sdk::export_result::success;  // R8.3: no empty envelopes
  if (shut_down_.load(std::memory_order_acquire)) {
    counters.failed.fetch_add(n, std::memory_order_relaxed);
    return sdk::export_result::failure;
  }
  if (limits.deadline != steady::time_point::max() && steady::now() >= limits.deadline) {
    fail(n, "the flush or shutdown deadline passed before the export started", true);
    return sdk::export_result::failure;
  }
  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !busy_ || shut_down_.load(std::memory_order_relaxed); });
    if (shut_down_.load(std::memory_order_relaxed)) {
      counters.failed.fetch_add(n, std::memory_order_relaxed);
      return sdk::export_result::failure;
    }
    busy_ = true;
  }
  struct busy_reset {
    export_driver& self;
    ~busy_reset() {
      {
        std::lock_guard lock(self.mu_);
        self.busy_ = false;
      }
      self.cv_.notify_all();
    }
  } reset{*this};
  return attempts(batch, n, limits, transport);
}

sdk::export_result export_driver::run_guarded(std::span<const sdk::span_data* const> batch,
                                             const sdk::export_limits& limits,
                                             export_transport& transport) noexcept {
  CTXFLOW_TRY {
    return run(batch, limits, transport);
  } CTXFLOW_CATCH_ALL {
    report(severity::error, "otlp.export.failed", "exception during export; batch lost");
    return sdk::export_result::failure;
  }
}

sdk::export_result export_driver::attempts(std::span<const sdk::span_data* const> batch,
                                           std::uint64_t n, const sdk::export_limits& limits,
                                           export_transport& transport) {
  // One deadline for the call: the export timeout, cut to the caller's deadline.
  const auto start = steady::now();
  auto deadline = timeout_.count() == 0 ? steady::time_point::max() : start + timeout_;
  deadline = std::min(deadline, limits.deadline);
  const bool unlimited = deadline == steady::time_point::max();
  const std::uint32_t max_attempts = limits.single_attempt ? 1 : retry_.max_attempts;
  // A flush or shutdown that starts during a backoff wait ends it (see export_limits).
  const std::stop_callback wake_on_interrupt(limits.interrupt, [this] {
    { std::lock_guard lock(mu_); }
    cv_.notify_all();
  });
  if (!transport.prepare(batch, n)) return sdk::export_result::failure;

  auto backoff = retry_.initial_backoff;
  std::string why;
  for (std::uint32_t attempt_no = 1;; ++attempt_no) {
    std::optional<milliseconds> retry_delay;
    counters.requests.fetch_add(1, std::memory_order_relaxed);
    const attempt_outcome outcome = transport.attempt(deadline, n, retry_delay, why);
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
    // R8.12: the receiver's delay when given, otherwise exponential backoff with full jitter.
    milliseconds delay{0};
    if (retry_delay) {
      delay = *retry_delay;
    } else {
      std::uniform_int_distribution<long long> jitter(0, std::max<long long>(backoff.count(), 0));
      delay = milliseconds(jitter(rng_));
      const double next = static_cast<double>(backoff.count()) * retry_.backoff_multiplier;
      backoff = milliseconds(static_cast<long long>(
          std::min(next, static_cast<double>(retry_.max_backoff.count()))));
    }
    const auto now = steady::now();
    if (!unlimited && (delay >= std::chrono::duration_cast<milliseconds>(deadline - now))) {
      why += retry_delay ? "; the requested retry delay goes past the export timeout"
                         : "; no time left in the export timeout for a retry";
      fail(n, why.c_str());
      return sdk::export_result::failure;
    }
    reportf(severity::debug, "otlp.export.retry", "%s; retrying in %lld ms (attempt %u)",
            why.c_str(), static_cast<long long>(delay.count()), attempt_no + 1);
    if ((delay.count() > 0 && !backoff_wait(delay, limits.interrupt)) ||
        shut_down_.load(std::memory_order_acquire) || limits.interrupt.stop_requested()) {
      const bool by_shutdown = shut_down_.load(std::memory_order_acquire);
      fail(n,
           by_shutdown ? "shutdown during retry backoff"
                       : "a flush or shutdown started during retry backoff; no more retries",
           !by_shutdown);
      return sdk::export_result::failure;
    }
    counters.retries.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace ctxflow::exporters::otlp::detail
