// SPDX-License-Identifier: Apache-2.0
// Internal (target ctxflow_base_internal): optional whitespace (OWS: spaces and tabs, RFC 9110
// §5.6.3) around header values, list members and environment values, trimmed inline: the header
// parsers call it per field and per list member, and the traceparent fast path must stay free of
// calls.
#pragma once

#include <string_view>

namespace ctxflow::internal {

constexpr bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

/// `s` without leading and trailing spaces and tabs.
constexpr std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace ctxflow::internal
