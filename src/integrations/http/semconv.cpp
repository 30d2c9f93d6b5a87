// SPDX-License-Identifier: Apache-2.0
// Method normalisation, span names and URL helpers for the HTTP integration (R9.1-R9.4).
#include "integrations/http/semconv.hpp"

#include <array>
#include <charconv>

namespace ctxflow::integrations::http::detail {

bool is_known_method(std::string_view method) noexcept {
  static constexpr std::array<std::string_view, 10> known = {
      "CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT", "TRACE", "PATCH", "QUERY"};
  for (std::string_view k : known)
    if (k == method) return true;
  return false;
}

std::string span_name(std::string_view method, std::string_view target) {
  std::string name(is_known_method(method) ? method : std::string_view("HTTP"));
  if (!target.empty()) {
    name += ' ';
    name += target;
  }
  return name;
}

std::optional<parsed_url> parse_http_url(std::string_view url) {
  constexpr std::string_view scheme = "http://";
  if (url.substr(0, scheme.size()) != scheme) return std::nullopt;
  url.remove_prefix(scheme.size());
  parsed_url out;
  const std::size_t slash = url.find_first_of("/?");
  std::string_view authority = url.substr(0, slash);
  if (slash != std::string_view::npos) {
    out.target = std::string(url.substr(slash));
    if (out.target.front() == '?') out.target.insert(out.target.begin(), '/');
  }
  if (authority.find('@') != std::string_view::npos) return std::nullopt;  // no credentials
  const std::size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
    std::string_view port = authority.substr(colon + 1);
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || ptr != port.data() + port.size() || value == 0 || value > 65535)
      return std::nullopt;
    out.port = static_cast<std::uint16_t>(value);
    authority = authority.substr(0, colon);
  }
  if (authority.size() >= 2 && authority.front() == '[' && authority.back() == ']')
    authority = authority.substr(1, authority.size() - 2);
  if (authority.empty()) return std::nullopt;
  out.host = std::string(authority);
  return out;
}

std::string redact_query(std::string_view target) {
  static constexpr std::array<std::string_view, 7> secret_keys = {
      "X-Amz-Signature", "X-Amz-Credential", "X-Amz-Security-Token", "AWSAccessKeyId",
      "Signature",       "sig",              "X-Goog-Signature"};
  const std::size_t q = target.find('?');
  if (q == std::string_view::npos) return std::string(target);
  std::string out(target.substr(0, q + 1));
  std::string_view query = target.substr(q + 1);
  bool first = true;
  while (true) {
    const std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    if (!first) out += '&';
    first = false;
    const std::size_t eq = pair.find('=');
    const std::string_view key = pair.substr(0, eq);
    bool secret = false;
    for (std::string_view k : secret_keys) secret = secret || k == key;
    if (secret && eq != std::string_view::npos) {
      out += key;
      out += "=REDACTED";
    } else {
      out += pair;
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

std::string full_url(std::string_view host, std::uint16_t port, std::string_view target) {
  std::string url = "http://";
  const bool v6 = host.find(':') != std::string_view::npos;
  if (v6) url += '[';
  url += host;
  if (v6) url += ']';
  url += ':';
  url += std::to_string(port);
  if (target.empty() || target.front() != '/') url += '/';
  url += redact_query(target);
  return url;
}

std::string_view protocol_version(unsigned version) noexcept {
  switch (version) {
    case 10: return "1.0";
    case 11: return "1.1";
    default: return "1.1";
  }
}

}  // namespace ctxflow::integrations::http::detail
