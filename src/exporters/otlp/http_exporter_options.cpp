// SPDX-License-Identifier: Apache-2.0
// OTLP/HTTP exporter configuration: environment variables (docs/requirements.md §10; the ones
// the gRPC exporter shares are read in otlp_options.cpp), endpoint resolution (R8.14) and
// Retry-After values (R8.12).
#include "ctxflow/exporters/otlp/http_exporter_options.hpp"

#include <curl/curl.h>

#include <charconv>
#include <string>

#include "ctxflow/context/diagnostics.hpp"
#include "base/ascii.hpp"
#include "exporters/otlp/otlp_env.hpp"
#include "internal/report.hpp"

namespace ctxflow::exporters::otlp {

std::string resolve_traces_endpoint(std::optional<std::string_view> traces_endpoint,
                                    std::optional<std::string_view> base_endpoint) {
  // Splits a URL into [scheme://authority][path][?query#fragment].
  auto split = [](std::string_view url, std::size_t& path_begin, std::size_t& path_end) {
    const std::size_t scheme = url.find("://");
    const std::size_t authority = scheme == std::string_view::npos ? 0 : scheme + 3;
    path_begin = url.find_first_of("/?#", authority);
    if (path_begin == std::string_view::npos) path_begin = url.size();
    path_end = url.find_first_of("?#", path_begin);
    if (path_end == std::string_view::npos) path_end = url.size();
  };
  std::size_t pb = 0, pe = 0;
  if (traces_endpoint && !traces_endpoint->empty()) {
    const std::string_view url = *traces_endpoint;
    split(url, pb, pe);
    std::string out(url);
    if (pb == pe) out.insert(pb, "/");
    return out;
  }
  if (base_endpoint && !base_endpoint->empty()) {
    const std::string_view url = *base_endpoint;
    split(url, pb, pe);
    std::string path(url.substr(pb, pe - pb));
    if (path.empty() || path.back() != '/') path += '/';
    path += "v1/traces";
    return std::string(url.substr(0, pb)) + path + std::string(url.substr(pe));
  }
  return "http://localhost:4318/v1/traces";
}

std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now) {
  value = internal::trim_ows(value);
  if (value.empty()) return std::nullopt;
  if (value.front() >= '0' && value.front() <= '9') {
    std::uint64_t seconds = 0;
    const auto r = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (r.ec == std::errc::result_out_of_range) return std::chrono::milliseconds::max();
    if (r.ec != std::errc() || r.ptr != value.data() + value.size()) return std::nullopt;
    if (seconds > 1'000'000'000ull) return std::chrono::milliseconds::max();
    return std::chrono::milliseconds(seconds * 1000);
  }
  // An HTTP-date (IMF-fixdate, RFC 850 or asctime form); libcurl parses all three.
  const std::string text(value);
  const time_t when = curl_getdate(text.c_str(), nullptr);
  if (when == static_cast<time_t>(-1)) return std::nullopt;
  const auto target = std::chrono::system_clock::from_time_t(when);
  if (target <= now) return std::chrono::milliseconds(0);
  return std::chrono::duration_cast<std::chrono::milliseconds>(target - now);
}

http_exporter_options http_exporter_options::from_environment() {
  using detail::invalid_code;
  http_exporter_options o;
  detail::warn_config_file();
  // An invalid endpoint is reported and counts as unset: a valid generic variable stands in for
  // the traces one, and the default for both.
  constexpr std::string_view default_text = "the default http://localhost:4318/v1/traces";
  const std::optional<std::string> base_endpoint =
      detail::checked_endpoint("OTEL_EXPORTER_OTLP_ENDPOINT", default_text);
  const std::optional<std::string> traces_endpoint = detail::checked_endpoint(
      "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
      base_endpoint ? std::string_view("OTEL_EXPORTER_OTLP_ENDPOINT") : default_text);
  o.endpoint = resolve_traces_endpoint(traces_endpoint, base_endpoint);
  if (auto p = detail::otlp_protocol_env()) {
    if (p->value == "http/protobuf") {
      o.protocol = http_protocol::http_protobuf;
    } else if (p->value == "http/json") {
      o.protocol = http_protocol::http_json;
    } else if (p->value == "grpc") {
      report(severity::warning, invalid_code,
             "OTLP protocol 'grpc' needs the OTLP/gRPC exporter (ctxflow::otlp_grpc), which is "
             "not linked; using http/protobuf");
      o.protocol = http_protocol::http_protobuf;
    } else {
      internal::report_invalid_setting(invalid_code, p->name, p->value, "unknown protocol");
    }
  }
  detail::apply_transport_env(o);
  return o;
}

}  // namespace ctxflow::exporters::otlp
