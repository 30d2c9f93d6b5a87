// SPDX-License-Identifier: Apache-2.0
// http_exporter: the transport, on one reused libcurl easy handle (keep-alive, R8.7). The
// handle's set-up (headers, TLS files, callbacks), one POST with its timeouts, what the answer
// means (success, partial success, a status to retry or a final failure, R8.10-R8.12), and
// gzip for the request body.
#include <curl/curl.h>
#include <zlib.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/exporters/otlp/json_encoder.hpp"
#include "ctxflow/exporters/otlp/proto_encoder.hpp"
#include "ctxflow/exporters/otlp/response.hpp"
#include "base/ascii.hpp"
#include "exporters/otlp/http_exporter_impl.hpp"
#include "internal/report.hpp"

namespace ctxflow::exporters::otlp {

using detail::attempt_outcome;
using steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

/// curl_global_init is not safe to race with other libcurl calls; do it once, first.
bool curl_ready() noexcept {
  static const bool ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  return ok;
}

http_exporter_options checked_options(http_exporter_options o);

}  // namespace

bool detail::gzip(const std::string& in, std::string& out) {
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

namespace {

/// The options with an unusable endpoint replaced by the default, and the retry policy made
/// usable.
http_exporter_options checked_options(http_exporter_options o) {
  if (const std::string_view why = endpoint_problem(o.endpoint); !why.empty()) {
    internal::report_invalid_setting("otlp.config.invalid", "http_exporter_options::endpoint",
                                     o.endpoint, why,
                                     "the default http://localhost:4318/v1/traces");
    o.endpoint = http_exporter_options{}.endpoint;
  }
  if (o.retry.max_attempts == 0) o.retry.max_attempts = 1;
  if (!(o.retry.backoff_multiplier >= 1.0)) o.retry.backoff_multiplier = 1.0;
  return o;
}

}  // namespace

http_exporter::impl::impl(http_exporter_options o)
    : opts(checked_options(std::move(o))),
      agent(user_agent(opts.user_agent_prefix)),
      driver(opts.retry, opts.timeout, opts.endpoint.substr(0, 200)) {
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

/// Frees the handle. Only when no export runs (busy false, shut_down true).
void http_exporter::impl::release() noexcept {
  if (curl != nullptr) curl_easy_cleanup(curl);
  curl = nullptr;
  if (header_list != nullptr) curl_slist_free_all(header_list);
  header_list = nullptr;
}

size_t http_exporter::impl::on_body(char* data, size_t size, size_t n, void* self_ptr) {
  auto* self = static_cast<impl*>(self_ptr);
  const size_t bytes = size * n;
  if (self->response.size() + bytes > self->opts.max_response_size) {
    self->response_too_large = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  self->response.append(data, bytes);
  return bytes;
}

size_t http_exporter::impl::on_header(char* data, size_t size, size_t n, void* self_ptr) {
  auto* self = static_cast<impl*>(self_ptr);
  const size_t bytes = size * n;
  std::string_view line(data, bytes);
  if (internal::istarts_with(line, "retry-after:")) {
    line.remove_prefix(12);
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
    self->retry_after.assign(line.substr(0, 128));
  } else if (internal::istarts_with(line, "http/")) {
    self->retry_after.clear();  // a new response (after an interim one) starts
  }
  return bytes;
}

int http_exporter::impl::on_progress(void* self_ptr, curl_off_t, curl_off_t, curl_off_t,
                                     curl_off_t) {
  return static_cast<impl*>(self_ptr)->abort.load(std::memory_order_relaxed) ? 1 : 0;
}

bool http_exporter::impl::prepare(std::span<const sdk::span_data* const> batch,
                                  std::uint64_t n) {
  if (curl == nullptr) {  // libcurl could not be initialised (reported then)
    driver.counters.failed.fetch_add(n, std::memory_order_relaxed);
    return false;
  }
  if (opts.protocol == http_protocol::http_json) {
    encode_json(batch, body);
  } else {
    encode_protobuf(batch, body);
  }
  if (body.size() > opts.max_request_size) {  // R8.8
    driver.too_large(n, body.size(), opts.max_request_size);
    return false;
  }
  payload = &body;
  if (opts.compression == http_compression::gzip) {
    if (!detail::gzip(body, compressed)) {
      driver.fail(n, "gzip compression failed");
      return false;
    }
    payload = &compressed;
  }
  return true;
}

attempt_outcome http_exporter::impl::attempt(steady::time_point deadline, std::uint64_t n,
                                             std::optional<milliseconds>& retry_delay,
                                             std::string& why) {
  const bool unlimited = deadline == steady::time_point::max();
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
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(payload->size()));
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, payload->data());
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
  if (status >= 200 && status < 300) {  // R8.10: full or partial success
    driver.accepted(json_body ? parse_export_response_json(response)
                              : parse_export_response_protobuf(response),
                    n);
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
          driver.endpoint().c_str(), status, detail.empty() ? "" : ": ", detail.c_str());
  return attempt_outcome::fail;
}

}  // namespace ctxflow::exporters::otlp
