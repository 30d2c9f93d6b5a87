// SPDX-License-Identifier: Apache-2.0
// What the OTLP exporters share in their configuration: endpoint checks, header lists (R8.15),
// the User-Agent (R8.9) and the OTEL_EXPORTER_OTLP_(TRACES_)* variables both transports read
// (docs/requirements.md §10).
#include <charconv>
#include <string>

#include "ctxflow/config.hpp"
#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/exporters/otlp/exporter_options.hpp"
#include "base/ascii.hpp"
#include "base/hex.hpp"
#include "exporters/otlp/otlp_env.hpp"
#include "internal/env.hpp"
#include "internal/report.hpp"

namespace ctxflow::exporters::otlp {
namespace {

using detail::invalid_code;
using internal::trim_ows;

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

std::string user_agent(std::string_view prefix) {
  std::string ua;
  if (!prefix.empty()) {
    ua.append(prefix);
    ua += ' ';
  }
  ua += "ctxflow-OTLP-Exporter-Cpp/" CTXFLOW_VERSION_STRING;
  return ua;
}

namespace detail {

std::optional<env_value> otlp_env(const char* suffix) {
  for (const char* prefix : {"OTEL_EXPORTER_OTLP_TRACES_", "OTEL_EXPORTER_OTLP_"}) {
    std::string name = std::string(prefix) + suffix;
    if (std::optional<std::string> v = internal::env_string(name.c_str()))
      return env_value{std::move(name), std::move(*v)};
  }
  return std::nullopt;
}

std::optional<std::string> checked_endpoint(const char* name, std::string_view instead) {
  std::optional<std::string> v = internal::env_string(name);
  if (!v) return v;
  if (const std::string_view why = endpoint_problem(*v); !why.empty()) {
    internal::report_invalid_setting(invalid_code, name, *v, why, instead);
    return std::nullopt;
  }
  return v;
}

std::optional<env_value> otlp_protocol_env() {
  std::optional<env_value> p = otlp_env("PROTOCOL");
  if (p) p->value = internal::to_lower(trim_ows(p->value));
  return p;
}

void warn_config_file() {
  if (internal::env_string("OTEL_CONFIG_FILE")) {
    report(severity::warning, invalid_code,
           "OTEL_CONFIG_FILE is not supported; using the OTEL_EXPORTER_OTLP_* variables");
  }
}

std::optional<std::chrono::milliseconds> otlp_timeout_env() {
  const std::optional<env_value> t = otlp_env("TIMEOUT");
  if (!t) return std::nullopt;
  const auto ms = internal::parse_uint(t->name.c_str(), t->value, invalid_code);
  if (!ms) return std::nullopt;
  return std::chrono::milliseconds(*ms);
}

std::optional<otlp_compression> otlp_compression_env() {
  const std::optional<env_value> c = otlp_env("COMPRESSION");
  if (!c) return std::nullopt;
  const std::string v = internal::to_lower(trim_ows(c->value));
  if (v == "gzip") return otlp_compression::gzip;
  if (v == "none") return otlp_compression::none;
  internal::report_invalid_setting(invalid_code, c->name, c->value, "unknown compression");
  return std::nullopt;
}

void apply_transport_env(otlp_exporter_options& o) {
  if (auto h = otlp_env("HEADERS")) o.headers = parse_headers(h->value, h->name);
  if (auto t = otlp_timeout_env()) o.timeout = *t;
  if (auto c = otlp_compression_env()) o.compression = *c;
  if (auto v = otlp_env("CERTIFICATE")) o.ca_certificate_path = v->value;
  if (auto v = otlp_env("CLIENT_CERTIFICATE")) o.client_certificate_path = v->value;
  if (auto v = otlp_env("CLIENT_KEY")) o.client_key_path = v->value;
}

}  // namespace detail
}  // namespace ctxflow::exporters::otlp
