// SPDX-License-Identifier: Apache-2.0
// Internal (target ctxflow_base_internal): optional whitespace (OWS: spaces and tabs, RFC 9110
// §5.6.3) around header values, list members and environment values, trimmed inline: the header
// parsers call it per field and per list member, and the traceparent fast path must stay free of
// calls. Also an ASCII case-insensitive prefix test, for URL schemes and header names.
#pragma once

#include <cstddef>
#include <string_view>

namespace ctxflow::internal {

constexpr bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

/// `s` without leading and trailing spaces and tabs.
constexpr std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

/// Whether `s` begins with `lower_prefix` ignoring ASCII case; `lower_prefix` is lowercase.
constexpr bool istarts_with(std::string_view s, std::string_view lower_prefix) noexcept {
  if (s.size() < lower_prefix.size()) return false;
  for (std::size_t i = 0; i < lower_prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower_prefix[i]) return false;
  }
  return true;
}

}  // namespace ctxflow::internal
