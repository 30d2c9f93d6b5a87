// SPDX-License-Identifier: Apache-2.0
// Private: turning attribute views into owned attribute values, with the value-length limit
// (R7.13: strings to N code points, byte arrays to N bytes, per array element).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "ctxflow/sdk/span_data.hpp"
#include "ctxflow/trace/attribute.hpp"

namespace ctxflow::sdk::detail {

/// `s` cut to at most `max_chars` UTF-8 code points.
inline std::string_view truncate_utf8(std::string_view s, std::uint32_t max_chars) noexcept {
  if (s.size() <= max_chars) return s;  // a code point is at least one byte
  std::uint32_t chars = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {  // a code point starts here
      if (chars == max_chars) return s.substr(0, i);
      ++chars;
    }
  }
  return s;
}

/// An owned copy of `v`, truncated as R7.13 says. May throw std::bad_alloc.
inline attribute_value to_owned(const trace::attribute_value_view& v, std::uint32_t max_len) {
  return std::visit(
      [&](const auto& x) -> attribute_value {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, std::int64_t> ||
                      std::is_same_v<T, double>) {
          return x;
        } else if constexpr (std::is_same_v<T, std::string_view>) {
          return std::string(truncate_utf8(x, max_len));
        } else if constexpr (std::is_same_v<T, trace::bytes_view>) {
          const std::size_t n = x.data.size() < max_len ? x.data.size() : max_len;
          return byte_string{std::vector<std::uint8_t>(x.data.begin(), x.data.begin() + n)};
        } else if constexpr (std::is_same_v<T, std::span<const bool>>) {
          return std::vector<bool>(x.begin(), x.end());
        } else if constexpr (std::is_same_v<T, std::span<const std::int64_t>>) {
          return std::vector<std::int64_t>(x.begin(), x.end());
        } else if constexpr (std::is_same_v<T, std::span<const double>>) {
          return std::vector<double>(x.begin(), x.end());
        } else {  // arrays of string_view or string
          std::vector<std::string> out;
          out.reserve(x.size());
          for (const auto& s : x) out.emplace_back(truncate_utf8(std::string_view(s), max_len));
          return out;
        }
      },
      v.get());
}

/// Appends `in` to `out` with unique keys (a later duplicate overwrites), at most `count_limit`
/// entries; returns how many were dropped. May throw std::bad_alloc.
inline std::uint32_t copy_limited(std::span<const trace::attribute_kv> in, std::uint32_t count_limit,
                                  std::uint32_t max_len, std::vector<attribute>& out) {
  std::uint32_t dropped = 0;
  for (const trace::attribute_kv& a : in) {
    if (a.key.empty()) continue;
    bool replaced = false;
    for (attribute& existing : out) {
      if (existing.key == a.key) {
        existing.value = to_owned(a.value, max_len);
        replaced = true;
        break;
      }
    }
    if (replaced) continue;
    if (out.size() >= count_limit) {
      ++dropped;
      continue;
    }
    out.push_back({std::string(a.key), to_owned(a.value, max_len)});
  }
  return dropped;
}

}  // namespace ctxflow::sdk::detail
