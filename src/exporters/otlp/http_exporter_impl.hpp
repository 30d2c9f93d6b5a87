// SPDX-License-Identifier: Apache-2.0
// Private to http_exporter: its state. The libcurl handle and the buffers of the one export that
// runs at a time. The transport (the handle's set-up, one attempt, the response) is in
// http_transport.cpp; the export loop with its retries is the shared detail::export_driver
// (export_driver.hpp).
#pragma once

#include <curl/curl.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "ctxflow/exporters/otlp/http_exporter.hpp"
#include "exporters/otlp/export_driver.hpp"

namespace ctxflow::exporters::otlp {

namespace detail {

/// gzip-compresses `in` into `out` (R8.7). False on a zlib failure.
bool gzip(const std::string& in, std::string& out);

}  // namespace detail

struct http_exporter::impl final : detail::export_transport {
  using steady = std::chrono::steady_clock;
  using milliseconds = std::chrono::milliseconds;

  http_exporter_options opts;
  std::string agent;

  // The export loop, the busy/shut-down hand-shake and the counters. Only the running export
  // (between prepare and its last attempt) touches the members from `curl` to `response_too_large`;
  // shutdown and the destructor release the handle once the driver says no export runs.
  detail::export_driver driver;
  CURL* curl = nullptr;
  curl_slist* header_list = nullptr;
  std::string body;
  std::string compressed;
  const std::string* payload = &body;
  std::string response;
  std::string retry_after;
  bool response_too_large = false;
  // abort: set when shutdown gave up waiting; the transfer callback then stops the request.
  std::atomic<bool> abort{false};

  /// Sets up the libcurl handle for `o` (reported when libcurl cannot be initialised).
  explicit impl(http_exporter_options o);
  ~impl() { release(); }

  /// Frees the handle. Only when no export runs (busy false, shut_down true).
  void release() noexcept;

  // libcurl callbacks; `self_ptr` is the impl.
  static size_t on_body(char* data, size_t size, size_t n, void* self_ptr);
  static size_t on_header(char* data, size_t size, size_t n, void* self_ptr);
  static int on_progress(void* self_ptr, curl_off_t, curl_off_t, curl_off_t, curl_off_t);

  /// Encodes (R8.3), checks the size limit (R8.8) and gzips (R8.7) the batch.
  bool prepare(std::span<const sdk::span_data* const> batch, std::uint64_t n) override;
  /// One HTTP attempt. `retry_delay` is set from Retry-After when present.
  detail::attempt_outcome attempt(steady::time_point deadline, std::uint64_t n,
                                  std::optional<milliseconds>& retry_delay,
                                  std::string& why) override;
};

}  // namespace ctxflow::exporters::otlp
