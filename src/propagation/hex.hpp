// SPDX-License-Identifier: Apache-2.0
// Private: table-driven lowercase-hex decoding and small ASCII helpers shared by the
// traceparent and B3 parsers. Branch-light, no allocation.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ctxflow::propagation::detail {

/// 0-15 for '0'-'9' and 'a'-'f'; 0xFF for everything else (uppercase included, R2.2).
inline constexpr std::array<std::uint8_t, 256> lower_hex_table = [] {
  std::array<std::uint8_t, 256> t{};
  for (auto& v : t) v = 0xFF;
  for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = static_cast<std::uint8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c)
    t[static_cast<std::size_t>(c)] = static_cast<std::uint8_t>(c - 'a' + 10);
  return t;
}();

/// Decodes `2 * n` lowercase hex characters at `in` into `out`; false on any other character.
inline bool decode_lower_hex(const char* in, std::size_t n, std::uint8_t* out) noexcept {
  std::uint8_t bad = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t hi = lower_hex_table[static_cast<unsigned char>(in[2 * i])];
    const std::uint8_t lo = lower_hex_table[static_cast<unsigned char>(in[2 * i + 1])];
    bad |= static_cast<std::uint8_t>(hi | lo);
    out[i] = static_cast<std::uint8_t>((hi << 4) | (lo & 0x0F));
  }
  return (bad & 0xF0) == 0;
}

/// Writes `n` bytes as `2 * n` lowercase hex characters.
inline void encode_lower_hex(const std::uint8_t* in, std::size_t n, char* out) noexcept {
  constexpr char digits[] = "0123456789abcdef";
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = digits[in[i] >> 4];
    out[2 * i + 1] = digits[in[i] & 0x0F];
  }
}

constexpr bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

inline std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace ctxflow::propagation::detail
