// SPDX-License-Identifier: Apache-2.0
// Private to http_exporter: its state. The libcurl handle and the buffers of the one export that
// runs at a time, the busy/shut-down hand-shake with shutdown(), and the counters. The transport
// (the handle's set-up, one attempt, the response) is in http_transport.cpp; the export loop
// with its retries in http_exporter.cpp.
#pragma once

#include <curl/curl.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <span>
#include <stop_token>
#include <string>

#include "ctxflow/exporters/otlp/http_exporter.hpp"

namespace ctxflow::exporters::otlp {

namespace detail {

enum class attempt_outcome : std::uint8_t { success, retry, fail };

/// gzip-compresses `in` into `out` (R8.7). False on a zlib failure.
bool gzip(const std::string& in, std::string& out);

}  // namespace detail

struct http_exporter::impl {
  using steady = std::chrono::steady_clock;
  using milliseconds = std::chrono::milliseconds;

  http_exporter_options opts;
  std::string agent;
  std::string endpoint_for_reports;

  // Exports run one at a time: `busy` (guarded by mu) is true while one runs, and only that
  // export touches the members from `curl` to `rng`. shutdown and the destructor wait for
  // !busy before releasing the handle. (A plain mutex + condition variable rather than
  // std::timed_mutex, whose timed lock ThreadSanitizer cannot see.)
  CURL* curl = nullptr;
  curl_slist* header_list = nullptr;
  std::string body;
  std::string compressed;
  std::string response;
  std::string retry_after;
  bool response_too_large = false;
  std::minstd_rand rng{std::random_device{}()};

  std::mutex mu;
  std::condition_variable cv;  // signals busy becoming false and shut_down becoming true
  bool busy = false;           // guarded by mu
  // shut_down: false until shutdown/destruction starts, then true forever (written under mu).
  std::atomic<bool> shut_down{false};
  // abort: set when shutdown gave up waiting; the transfer callback then stops the request.
  std::atomic<bool> abort{false};

  std::atomic<std::uint64_t> exported{0}, failed{0}, rejected{0}, requests{0}, retries{0};

  /// Sets up the libcurl handle for `o` (reported when libcurl cannot be initialised).
  explicit impl(http_exporter_options o);
  ~impl() { release(); }

  /// Frees the handle. Only when no export runs (busy false, shut_down true).
  void release() noexcept;

  // libcurl callbacks; `self_ptr` is the impl.
  static size_t on_body(char* data, size_t size, size_t n, void* self_ptr);
  static size_t on_header(char* data, size_t size, size_t n, void* self_ptr);
  static int on_progress(void* self_ptr, curl_off_t, curl_off_t, curl_off_t, curl_off_t);

  /// Waits `d` unless shutdown starts or `interrupt` is requested first. False when cut short.
  bool backoff_wait(milliseconds d, const std::stop_token& interrupt);

  /// Counts and reports a lost batch. In a drain (`quiet`) the processor reports the
  /// undelivered spans once for the whole drain, so the batch is reported at debug level.
  void fail(std::uint64_t n, const char* why, bool quiet = false);

  /// One HTTP attempt. `retry_delay` is set from Retry-After when present.
  detail::attempt_outcome attempt(const std::string& payload, steady::time_point deadline,
                                  bool unlimited, std::uint64_t n,
                                  std::optional<milliseconds>& retry_delay, std::string& why);

  /// R8.10: full or partial success.
  void handle_success(bool json_body, std::uint64_t n);

  /// Encodes, compresses and sends one batch with retries, within the export timeout and the
  /// caller's limits.
  sdk::export_result export_batch(std::span<const sdk::span_data* const> batch,
                                  const sdk::export_limits& limits);
};

}  // namespace ctxflow::exporters::otlp
