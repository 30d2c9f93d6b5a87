// SPDX-License-Identifier: Apache-2.0
// OTLP/HTTP exporter configuration: environment variables (docs/requirements.md §10), endpoint
// resolution (R8.14), header lists (R8.15) and Retry-After values (R8.12).
#include "ctxflow/exporters/otlp/http_exporter_options.hpp"

#include <curl/curl.h>

#include <charconv>
#include <string>

#include "ctxflow/config.hpp"
#include "ctxflow/context/diagnostics.hpp"
#include "base/ascii.hpp"
#include "base/hex.hpp"
#include "internal/env.hpp"
#include "internal/report.hpp"

namespace ctxflow::exporters::otlp {
namespace {

/// This exporter's diagnostic code for settings it ignores.
constexpr std::string_view invalid_code = "otlp.config.invalid";

using internal::trim_ows;

/// An env variable (signal-specific first, R10.1), with its name; empty counts as unset.
struct env_value {
  std::string name;
  std::string value;
};

std::optional<env_value> env(const char* suffix) {
  for (const char* prefix : {"OTEL_EXPORTER_OTLP_TRACES_", "OTEL_EXPORTER_OTLP_"}) {
    std::string name = std::string(prefix) + suffix;
    if (std::optional<std::string> v = internal::env_string(name.c_str()))
      return env_value{std::move(name), std::move(*v)};
  }
  return std::nullopt;
}

bool is_tchar(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
    case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      std::uint8_t byte = 0;
      if (internal::decode_hex_byte(s.data() + i + 1, byte)) {
        out += static_cast<char>(byte);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

/// The endpoint variable's value when it is usable; otherwise reports it (naming the variable,
/// the value and what is used instead) and gives nothing, so that it counts as unset.
std::optional<std::string> checked_endpoint(const char* name, std::string_view instead) {
  std::optional<std::string> v = internal::env_string(name);
  if (!v) return v;
  if (const std::string_view why = endpoint_problem(*v); !why.empty()) {
    internal::report_invalid_setting(invalid_code, name, *v, why, instead);
    return std::nullopt;
  }
  return v;
}

}  // namespace

std::string_view endpoint_problem(std::string_view url) noexcept {
  for (const char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F) return "contains a space or a control character";
  }
  std::size_t at = 0;
  if (internal::istarts_with(url, "http://")) {
    at = 7;
  } else if (internal::istarts_with(url, "https://")) {
    at = 8;
  } else {
    return "not an http:// or https:// URL";
  }
  std::string_view authority = url.substr(at);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (const std::size_t user = authority.rfind('@'); user != std::string_view::npos)
    authority.remove_prefix(user + 1);
  std::string_view host = authority;
  std::string_view port;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {  // an IPv6 literal
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return "an IPv6 host without ']'";
    host = authority.substr(0, close + 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return "unexpected characters after the IPv6 host";
      has_port = true;
      port = after.substr(1);
    }
    if (host.size() == 2) return "no host";
  } else if (const std::size_t colon = authority.find(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    has_port = true;
  }
  if (host.empty()) return "no host";
  if (has_port) {
    unsigned value = 0;
    const auto r = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || r.ec != std::errc() || r.ptr != port.data() + port.size() || value == 0 ||
        value > 65535)
      return "the port is not a number from 1 to 65535";
  }
  return {};
}

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

std::vector<http_header> parse_headers(std::string_view text, std::string_view source) {
  std::vector<http_header> out;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (trim_ows(item).empty()) continue;
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      internal::report_invalid_setting(invalid_code, source, item,
                                       "header pair without '='");
      continue;
    }
    const std::string_view key = trim_ows(item.substr(0, eq));
    bool key_ok = !key.empty();
    for (char c : key) key_ok = key_ok && is_tchar(c);
    if (!key_ok) {
      internal::report_invalid_setting(invalid_code, source, item,
                                       "header name is not an HTTP token");
      continue;
    }
    std::string value = percent_decode(trim_ows(item.substr(eq + 1)));
    bool value_ok = true;
    for (unsigned char c : value) value_ok = value_ok && (c >= 0x20 || c == '\t') && c != 0x7F;
    if (!value_ok) {
      internal::report_invalid_setting(invalid_code, source, item,
                                       "header value contains a control character");
      continue;
    }
    out.emplace_back(std::string(key), std::move(value));
  }
  return out;
}

std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now) {
  value = trim_ows(value);
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

std::string user_agent(std::string_view prefix) {
  std::string ua;
  if (!prefix.empty()) {
    ua.append(prefix);
    ua += ' ';
  }
  ua += "ctxflow-OTLP-Exporter-Cpp/" CTXFLOW_VERSION_STRING;
  return ua;
}

http_exporter_options http_exporter_options::from_environment() {
  http_exporter_options o;
  if (internal::env_string("OTEL_CONFIG_FILE")) {
    report(severity::warning, invalid_code,
           "OTEL_CONFIG_FILE is not supported; using the OTEL_EXPORTER_OTLP_* variables");
  }
  // An invalid endpoint is reported and counts as unset: a valid generic variable stands in for
  // the traces one, and the default for both.
  constexpr std::string_view default_text = "the default http://localhost:4318/v1/traces";
  const std::optional<std::string> base_endpoint =
      checked_endpoint("OTEL_EXPORTER_OTLP_ENDPOINT", default_text);
  const std::optional<std::string> traces_endpoint = checked_endpoint(
      "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
      base_endpoint ? std::string_view("OTEL_EXPORTER_OTLP_ENDPOINT") : default_text);
  o.endpoint = resolve_traces_endpoint(traces_endpoint, base_endpoint);
  if (auto h = env("HEADERS")) o.headers = parse_headers(h->value, h->name);
  if (auto t = env("TIMEOUT")) {
    if (auto ms = internal::parse_uint(t->name.c_str(), t->value, invalid_code))
      o.timeout = std::chrono::milliseconds(*ms);
  }
  if (auto p = env("PROTOCOL")) {
    const std::string v = internal::to_lower(trim_ows(p->value));
    if (v == "http/protobuf") {
      o.protocol = http_protocol::http_protobuf;
    } else if (v == "http/json") {
      o.protocol = http_protocol::http_json;
    } else if (v == "grpc") {
      report(severity::warning, invalid_code,
             "OTLP protocol 'grpc' is not supported; using http/protobuf");
      o.protocol = http_protocol::http_protobuf;
    } else {
      internal::report_invalid_setting(invalid_code, p->name, p->value, "unknown protocol");
    }
  }
  if (auto c = env("COMPRESSION")) {
    const std::string v = internal::to_lower(trim_ows(c->value));
    if (v == "gzip") {
      o.compression = http_compression::gzip;
    } else if (v == "none") {
      o.compression = http_compression::none;
    } else {
      internal::report_invalid_setting(invalid_code, c->name, c->value, "unknown compression");
    }
  }
  if (auto v = env("CERTIFICATE")) o.ca_certificate_path = v->value;
  if (auto v = env("CLIENT_CERTIFICATE")) o.client_certificate_path = v->value;
  if (auto v = env("CLIENT_KEY")) o.client_key_path = v->value;
  return o;
}

}  // namespace ctxflow::exporters::otlp
