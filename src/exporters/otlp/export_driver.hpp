// SPDX-License-Identifier: Apache-2.0
// Private to the OTLP exporters: what the OTLP/HTTP and OTLP/gRPC exporters share around their
// transports. One export at a time (the busy/shut-down hand-shake with shutdown()), the export
// loop with its retries (exponential backoff with full jitter, or the delay the receiver asked
// for) inside one deadline cut by the processor's export_limits, the partial-success accounting
// (R8.10) and the counters. Defined in ctxflow::exporters_otlp (export_driver.cpp).
// See docs/design/otlp.md.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <span>
#include <stop_token>
#include <string>

#include "ctxflow/export.hpp"
#include "ctxflow/exporters/otlp/exporter_options.hpp"
#include "ctxflow/exporters/otlp/response.hpp"
#include "ctxflow/sdk/span_exporter.hpp"

namespace ctxflow::exporters::otlp::detail {

enum class attempt_outcome : std::uint8_t { success, retry, fail };

/// What a transport does for the driver. Both calls run inside an export, one at a time.
class export_transport {
 public:
  using steady = std::chrono::steady_clock;
  /// Encodes (and compresses) `batch` of `n` spans for the attempts. False when the batch cannot
  /// be sent: the transport has counted and reported it (driver::fail, driver::too_large).
  virtual bool prepare(std::span<const sdk::span_data* const> batch, std::uint64_t n) = 0;
  /// One attempt, finished by `deadline` (time_point::max(): no bound). A retryable outcome may
  /// set `retry_delay` (what the receiver asked for); `why` says what went wrong.
  virtual attempt_outcome attempt(steady::time_point deadline, std::uint64_t n,
                                  std::optional<std::chrono::milliseconds>& retry_delay,
                                  std::string& why) = 0;

 protected:
  ~export_transport() = default;
};

/// The counters of an exporter (spans count once per export call, never per retry, R7.26).
struct export_counters {
  std::atomic<std::uint64_t> exported{0}, failed{0}, rejected{0}, requests{0}, retries{0};

  otlp_exporter_stats snapshot() const noexcept {
    otlp_exporter_stats s;
    s.exported_spans = exported.load(std::memory_order_relaxed);
    s.failed_spans = failed.load(std::memory_order_relaxed);
    s.rejected_spans = rejected.load(std::memory_order_relaxed);
    s.requests = requests.load(std::memory_order_relaxed);
    s.retries = retries.load(std::memory_order_relaxed);
    return s;
  }
};

class CTXFLOW_API export_driver {
 public:
  using steady = std::chrono::steady_clock;
  using milliseconds = std::chrono::milliseconds;

  /// `timeout` bounds one export with its retries (0: no bound); `endpoint` names the receiver
  /// in reports. A policy of 0 attempts counts as 1, a multiplier below 1 as 1.
  export_driver(retry_policy retry, milliseconds timeout, std::string endpoint);

  /// An export_spans_within call: checks, waits for its turn, then transport.prepare and the
  /// attempts with retries (R8.12). Never throws but for allocation failure.
  sdk::export_result run(std::span<const sdk::span_data* const> batch,
                         const sdk::export_limits& limits, export_transport& transport);

  /// run() for export_spans_within: an exception (allocation failure) is reported
  /// (`otlp.export.failed`) and the batch fails.
  sdk::export_result run_guarded(std::span<const sdk::span_data* const> batch,
                                 const sdk::export_limits& limits,
                                 export_transport& transport) noexcept;

  /// Makes later exports fail fast and ends backoff waits; waits up to `timeout` for an export
  /// in flight. True when none runs any more (the transport may then be released).
  bool shut_down_within(milliseconds timeout) noexcept;
  /// The same without a bound (for destructors, once any attempt in flight has been cut short).
  void shut_down_and_wait() noexcept;
  bool is_shut_down() const noexcept { return shut_down_.load(std::memory_order_acquire); }

  /// Counts and reports a lost batch (`otlp.export.failed`). In a drain (`quiet`) the processor
  /// reports the undelivered spans once for the whole drain, so this is at debug level.
  void fail(std::uint64_t n, const char* why, bool quiet = false);
  /// Counts and reports a batch whose request is larger than `limit` (R8.8).
  void too_large(std::uint64_t n, std::size_t size, std::size_t limit);
  /// Counts a batch the receiver accepted, minus a partial success's rejections (R8.10). A
  /// response that could not be decoded (nullopt) counts as full success.
  void accepted(const std::optional<export_response>& response, std::uint64_t n);

  const std::string& endpoint() const noexcept { return endpoint_; }

  export_counters counters;

 private:
  /// Waits `d` unless shutdown starts or `interrupt` is requested first. False when cut short.
  bool backoff_wait(milliseconds d, const std::stop_token& interrupt);
  sdk::export_result attempts(std::span<const sdk::span_data* const> batch, std::uint64_t n,
                              const sdk::export_limits& limits, export_transport& transport);

  retry_policy retry_;
  milliseconds timeout_;
  std::string endpoint_;
  std::minstd_rand rng_{std::random_device{}()};  // used by the one running export only

  // Exports run one at a time: `busy_` (guarded by mu_) is true while one runs. (A plain mutex
  // and condition variable rather than std::timed_mutex, whose timed lock ThreadSanitizer
  // cannot see.)
  std::mutex mu_;
  std::condition_variable cv_;  // signals busy_ becoming false and shut_down_ becoming true
  bool busy_ = false;
  // false until shutdown/destruction starts, then true forever (written under mu_).
  std::atomic<bool> shut_down_{false};
};

}  // namespace ctxflow::exporters::otlp::detail
