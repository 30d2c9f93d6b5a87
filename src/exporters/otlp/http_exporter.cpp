// SPDX-License-Identifier: Apache-2.0
// The OTLP/HTTP exporter on one reused libcurl easy handle (keep-alive, R8.7): encode, check the
// size limit (R8.8), gzip, then POST with retries for connection failures and 429/502/503/504,
// honouring Retry-After, inside one deadline (R8.10-R8.12). During a flush or shutdown the
// processor's export_limits cut that deadline and the retries (one attempt per batch). See
// docs/design/otlp.md.
#include "ctxflow/exporters/otlp/http_exporter.hpp"

#include <curl/curl.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <random>
#include <stop_token>
#include <string>

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/exporters/otlp/json_encoder.hpp"
#include "ctxflow/exporters/otlp/proto_encoder.hpp"
#include "ctxflow/exporters/otlp/response.hpp"
#include "ctxflow/sdk/exporter_registry.hpp"

namespace ctxflow::exporters::otlp {
namespace {

using steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

/// curl_global_init is not safe to race with other libcurl calls; do it once, first.
bool curl_ready() noexcept {
  static const bool ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  return ok;
}

bool istarts_with(std::string_view s, std::string_view prefix) noexcept {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

/// gzip-compresses `in` into `out` (R8.7). False on a zlib failure.
bool gzip(const std::string& in, std::string& out) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK)
    return false;
  out.resize(deflateBound(&zs, static_cast<uLong>(in.size())) + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return rc == Z_STREAM_END;
}

enum class attempt_outcome : std::uint8_t { success, retry, fail };

}  // namespace

struct http_exporter::impl {
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

  explicit impl(http_exporter_options o) : opts(std::move(o)) {
    agent = user_agent(opts.user_agent_prefix);
    endpoint_for_reports = opts.endpoint.substr(0, 200);
    if (opts.retry.max_attempts == 0) opts.retry.max_attempts = 1;
    if (!(opts.retry.backoff_multiplier >= 1.0)) opts.retry.backoff_multiplier = 1.0;
    if (!curl_ready() || (curl = curl_easy_init()) == nullptr) {
      report(severity::error, "otlp.export.init_failed", "libcurl could not be initialised");
      return;
    }
    header_list = curl_slist_append(header_list, opts.protocol == http_protocol::http_json
                                                     ? "Content-Type: application/json"
                                                     : "Content-Type: application/x-protobuf");
    if (opts.compression == http_compression::gzip)
      header_list = curl_slist_append(header_list, "Content-Encoding: gzip");
    header_list = curl_slist_append(header_list, "Expect:");  // no 100-continue round trip
    for (const auto& [k, v] : opts.headers) {
      const std::string line = k + ": " + v;
      header_list = curl_slist_append(header_list, line.c_str());
    }
    curl_easy_setopt(curl, CURLOPT_URL, opts.endpoint.c_str());
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, header_list);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, agent.c_str());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);  // R8.11 [D]
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "gzip");  // R8.7: we can decode gzip
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &impl::on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, this);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &impl::on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, this);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &impl::on_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, this);
    if (!opts.ca_certificate_path.empty())
      curl_easy_setopt(curl, CURLOPT_CAINFO, opts.ca_certificate_path.c_str());
    if (!opts.client_certificate_path.empty())
      curl_easy_setopt(curl, CURLOPT_SSLCERT, opts.client_certificate_path.c_str());
    if (!opts.client_key_path.empty())
      curl_easy_setopt(curl, CURLOPT_SSLKEY, opts.client_key_path.c_str());
  }

  ~impl() { release(); }

  /// Frees the handle. Only when no export runs (busy false, shut_down true).
  void release() noexcept {
    if (curl != nullptr) curl_easy_cleanup(curl);
    curl = nullptr;
    if (header_list != nullptr) curl_slist_free_all(header_list);
    header_list = nullptr;
  }

  static size_t on_body(char* data, size_t size, size_t n, void* self_ptr) {
    auto* self = static_cast<impl*>(self_ptr);
    const size_t bytes = size * n;
    if (self->response.size() + bytes > self->opts.max_response_size) {
      self->response_too_large = true;
      return 0;  // aborts the transfer with CURLE_WRITE_ERROR
    }
    self->response.append(data, bytes);
    return bytes;
  }

  static size_t on_header(char* data, size_t size, size_t n, void* self_ptr) {
    auto* self = static_cast<impl*>(self_ptr);
    const size_t bytes = size * n;
    std::string_view line(data, bytes);
    if (istarts_with(line, "retry-after:")) {
      line.remove_prefix(12);
      while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
      self->retry_after.assign(line.substr(0, 128));
    } else if (istarts_with(line, "http/")) {
      self->retry_after.clear();  // a new response (after an interim one) starts
    }
    return bytes;
  }

  static int on_progress(void* self_ptr, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<impl*>(self_ptr)->abort.load(std::memory_order_relaxed) ? 1 : 0;
  }

  /// Waits `d` unless shutdown starts or `interrupt` is requested first. False when cut short.
  bool backoff_wait(milliseconds d, const std::stop_token& interrupt) {
    std::unique_lock lock(mu);
    return !cv.wait_for(lock, d, [&] {
      return shut_down.load(std::memory_order_acquire) || interrupt.stop_requested();
    });
  }

  /// Counts and reports a lost batch. In a drain (`quiet`) the processor reports the
  /// undelivered spans once for the whole drain, so the batch is reported at debug level.
  void fail(std::uint64_t n, const char* why, bool quiet = false) {
    failed.fetch_add(n, std::memory_order_relaxed);
    reportf(quiet ? severity::debug : severity::error, "otlp.export.failed",
            "%llu spans to %s lost: %s", static_cast<unsigned long long>(n),
            endpoint_for_reports.c_str(), why);
  }

  /// One HTTP attempt. `retry_delay` is set from Retry-After when present.
  attempt_outcome attempt(const std::string& payload, steady::time_point deadline,
                          bool unlimited, std::uint64_t n, std::optional<milliseconds>& retry_delay,
                          std::string& why) {
    response.clear();
    retry_after.clear();
    response_too_large = false;
    long total_ms = 0;
    if (!unlimited) {
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - steady::now());
      total_ms = std::max<long>(1, static_cast<long>(left.count()));
    }
    long connect_ms = static_cast<long>(opts.connect_timeout.count());
    if (total_ms != 0 && (connect_ms <= 0 || connect_ms > total_ms)) connect_ms = total_ms;
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, total_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, std::max<long>(connect_ms, 0));
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(payload.size()));
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, payload.data());
    requests.fetch_add(1, std::memory_order_relaxed);
    const CURLcode rc = curl_easy_perform(curl);
    if (rc != CURLE_OK) {
      why = std::string("transport error: ") + curl_easy_strerror(rc);
      switch (rc) {
        case CURLE_WRITE_ERROR:
          if (response_too_large) why = "response larger than max_response_size";
          return attempt_outcome::fail;
        case CURLE_ABORTED_BY_CALLBACK:
          why = "aborted by shutdown";
          return attempt_outcome::fail;
        case CURLE_COULDNT_CONNECT:
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_PARTIAL_FILE:
        case CURLE_OPERATION_TIMEDOUT:
        case CURLE_SSL_CONNECT_ERROR:
          return attempt_outcome::retry;  // R8.11: no response, or no connection
        default:
          return attempt_outcome::fail;
      }
    }
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    char* ctype = nullptr;
    curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &ctype);
    const std::string_view content_type = ctype != nullptr ? ctype : "";
    const bool json_body = content_type.find("json") != std::string_view::npos ||
                           (content_type.empty() && opts.protocol == http_protocol::http_json);
    if (status >= 200 && status < 300) {
      handle_success(json_body, n);
      return attempt_outcome::success;
    }
    why = "HTTP " + std::to_string(status);
    if (status == 429 || status == 502 || status == 503 || status == 504) {
      if ((status == 429 || status == 503) && !retry_after.empty())
        retry_delay = parse_retry_after(retry_after, std::chrono::system_clock::now());
      return attempt_outcome::retry;  // R8.11, R8.12
    }
    if (status >= 300 && status < 400) {
      why += " (redirects are not followed)";
      return attempt_outcome::fail;
    }
    // R8.11: every other status is final. Report the receiver's google.rpc.Status message.
    const auto st = json_body ? parse_rpc_status_json(response)
                              : parse_rpc_status_protobuf(response);
    const std::string detail = st && !st->message.empty() ? st->message : std::string();
    reportf(severity::error, "otlp.export.rejected", "%s answered HTTP %ld%s%s",
            endpoint_for_reports.c_str(), status, detail.empty() ? "" : ": ", detail.c_str());
    return attempt_outcome::fail;
  }

  /// R8.10: full or partial success.
  void handle_success(bool json_body, std::uint64_t n) {
    const auto r = json_body ? parse_export_response_json(response)
                             : parse_export_response_protobuf(response);
    if (!r) {
      report(severity::debug, "otlp.export.bad_response",
             "a success response body could not be decoded; counted as full success");
      exported.fetch_add(n, std::memory_order_relaxed);
      return;
    }
    if (r->has_partial_success && r->rejected_spans > 0) {
      const auto k = std::min<std::uint64_t>(static_cast<std::uint64_t>(r->rejected_spans), n);
      rejected.fetch_add(k, std::memory_order_relaxed);
      failed.fetch_add(k, std::memory_order_relaxed);
      exported.fetch_add(n - k, std::memory_order_relaxed);
      reportf(severity::warning, "otlp.export.partial_success",
              "%s rejected %lld of %llu spans: %s", endpoint_for_reports.c_str(),
              static_cast<long long>(r->rejected_spans), static_cast<unsigned long long>(n),
              r->error_message.empty() ? "rejected" : r->error_message.c_str());
      return;
    }
    exported.fetch_add(n, std::memory_order_relaxed);
    if (r->has_partial_success && !r->error_message.empty()) {
      reportf(severity::warning, "otlp.export.partial_success", "%s accepted all spans: %s",
              endpoint_for_reports.c_str(), r->error_message.c_str());
    }
  }

  sdk::export_result export_batch(std::span<const sdk::span_data* const> batch,
                                  const sdk::export_limits& limits) {
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
};

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
#if CTXFLOW_HAS_EXCEPTIONS
  try {
#endif
    return impl_->export_batch(batch, limits);
#if CTXFLOW_HAS_EXCEPTIONS
  } catch (...) {
    report(severity::error, "otlp.export.failed", "exception during export; batch lost");
    return sdk::export_result::failure;
  }
#endif
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
#if CTXFLOW_HAS_EXCEPTIONS
  try {
#endif
    sdk::register_exporter_factory("otlp", []() -> std::unique_ptr<sdk::span_exporter> {
      return std::make_unique<http_exporter>(http_exporter_options::from_environment());
    });
#if CTXFLOW_HAS_EXCEPTIONS
  } catch (...) {
    report(severity::error, "otlp.export.init_failed", "could not register \"otlp\"");
  }
#endif
}

}  // namespace ctxflow::exporters::otlp

// The SDK's exporter registry calls this before its first lookup (a weak reference there), so
// linking ctxflow::otlp_http is enough for OTEL_TRACES_EXPORTER=otlp. The library's link
// interface names it with --undefined, which pulls this object file out of the static archive.
extern "C" __attribute__((visibility("default"))) void ctxflow_otlp_http_register_hook() noexcept {
  ctxflow::exporters::otlp::register_exporter();
}
