// SPDX-License-Identifier: Apache-2.0
// Internal (target ctxflow_internal): the one hex encoder and decoder. Trace and span ids, the
// traceparent and B3 headers, percent escapes, JSON \u escapes and every printed id go through
// these functions. Branch-light, no allocation; the id-sized blocks have SWAR and SSE2 paths.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace ctxflow::internal {

inline constexpr char lower_hex_digits[] = "0123456789abcdef";
inline constexpr char upper_hex_digits[] = "0123456789ABCDEF";

/// 0-15 for '0'-'9' and 'a'-'f'; 0xFF for everything else (uppercase included: ids are
/// lowercase on the wire, docs/requirements.md R2.2).
inline constexpr std::array<std::uint8_t, 256> lower_hex_table = [] {
  std::array<std::uint8_t, 256> t{};
  for (auto& v : t) v = 0xFF;
  for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = static_cast<std::uint8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c)
    t[static_cast<std::size_t>(c)] = static_cast<std::uint8_t>(c - 'a' + 10);
  return t;
}();

/// The value of one hex digit in either case (percent escapes, JSON \u escapes); -1 otherwise.
constexpr int hex_digit_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Decodes two hex digits of either case at `in` (a percent escape's payload); false, leaving
/// `out` alone, on any other character.
constexpr bool decode_hex_byte(const char* in, std::uint8_t& out) noexcept {
  const int hi = hex_digit_value(in[0]);
  const int lo = hex_digit_value(in[1]);
  if (hi < 0 || lo < 0) return false;
  out = static_cast<std::uint8_t>((hi << 4) | lo);
  return true;
}

/// Reads `n` (at most 8) hex digits of either case at `in` as one number; false on any other
/// character. For JSON's \uXXXX.
constexpr bool decode_hex_number(const char* in, std::size_t n, std::uint32_t& out) noexcept {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const int d = hex_digit_value(in[i]);
    if (d < 0) return false;
    v = (v << 4) | static_cast<std::uint32_t>(d);
  }
  out = v;
  return true;
}

/// Writes one byte as two hex characters from `digits` (lower_hex_digits or upper_hex_digits).
constexpr void encode_hex_byte(std::uint8_t b, char* out,
                               const char* digits = lower_hex_digits) noexcept {
  out[0] = digits[b >> 4];
  out[1] = digits[b & 0x0F];
}

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

/// Decodes 8 lowercase hex characters into 4 bytes at once (SWAR); false on any other
/// character. Used for the ids, where it is several times faster than the table loop.
/// Branch-free: `out` is written even when the result is false (then it holds garbage), so a
/// caller can decode several blocks and test the results once.
inline bool decode_lower_hex8(const char* in, std::uint8_t* out) noexcept {
  std::uint64_t x;
  std::memcpy(&x, in, 8);
  if constexpr (std::endian::native != std::endian::little) {
    return decode_lower_hex(in, 4, out);
  } else {
    constexpr std::uint64_t ones = 0x0101010101010101ULL;
    constexpr std::uint64_t high = 0x8080808080808080ULL;
    // Per byte c < 0x80: (c + 0x80 - lo) has its high bit set iff c >= lo, and
    // (c + 0x7F - hi) iff c > hi; neither addition carries into the next byte.
    auto in_range = [&](std::uint8_t lo, std::uint8_t hi) {
      const std::uint64_t ge = x + ones * static_cast<std::uint64_t>(0x80 - lo);
      const std::uint64_t gt = x + ones * static_cast<std::uint64_t>(0x7F - hi);
      return ge & ~gt & high;
    };
    const std::uint64_t ok = in_range('0', '9') | in_range('a', 'f');  // a subset of `high`
    // Nibble value: low 4 bits, plus 9 for letters (bit 6 set).
    std::uint64_t v = (x & (ones * 0x0F)) + ((x >> 6) & ones) * 9;
    v = ((v << 4) | (v >> 8)) & 0x00FF00FF00FF00FFULL;  // pairs -> bytes in 16-bit lanes
    v = (v | (v >> 8)) & 0x0000FFFF0000FFFFULL;
    v = (v | (v >> 16)) & 0x00000000FFFFFFFFULL;
    const auto r = static_cast<std::uint32_t>(v);
    std::memcpy(out, &r, 4);
    return ((x & high) | (ok ^ high)) == 0;
  }
}

/// Decodes 16 lowercase hex characters into 8 bytes; false on any other character. With SSE2
/// (every x86-64) one vector does it; elsewhere two SWAR blocks. Branch-free like
/// decode_lower_hex8: `out` is written even when the result is false.
inline bool decode_lower_hex16(const char* in, std::uint8_t* out) noexcept {
#if defined(__SSE2__)
  const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in));
  // Signed byte compares: bytes >= 0x80 are negative, so they fall in neither range.
  const __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(c, _mm_set1_epi8('0' - 1)),
                                      _mm_cmplt_epi8(c, _mm_set1_epi8('9' + 1)));
  const __m128i letter = _mm_and_si128(_mm_cmpgt_epi8(c, _mm_set1_epi8('a' - 1)),
                                       _mm_cmplt_epi8(c, _mm_set1_epi8('f' + 1)));
  const int valid = _mm_movemask_epi8(_mm_or_si128(digit, letter));
  // Nibble values: the low 4 bits, plus 9 for letters ('a' is 0x61).
  const __m128i nib = _mm_add_epi8(_mm_and_si128(c, _mm_set1_epi8(0x0F)),
                                   _mm_and_si128(letter, _mm_set1_epi8(9)));
  // Each 16-bit lane holds (high nibble, low nibble); make it the byte (high << 4 | low).
  const __m128i bytes = _mm_and_si128(_mm_or_si128(_mm_slli_epi16(nib, 4), _mm_srli_epi16(nib, 8)),
                                      _mm_set1_epi16(0x00FF));
  _mm_storel_epi64(reinterpret_cast<__m128i*>(out), _mm_packus_epi16(bytes, bytes));
  return valid == 0xFFFF;
#else
  const bool first = decode_lower_hex8(in, out);
  const bool second = decode_lower_hex8(in + 8, out + 4);
  return first && second;
#endif
}

/// Writes `n` bytes as `2 * n` lowercase hex characters.
inline void encode_lower_hex(const std::uint8_t* in, std::size_t n, char* out) noexcept {
  for (std::size_t i = 0; i < n; ++i) encode_hex_byte(in[i], out + 2 * i);
}

#if defined(__SSE2__)
// The 16 hex characters of the 8 bytes in the low half of `b` (the high half is ignored).
inline __m128i hex_chars8(__m128i b) noexcept {
  const __m128i mask = _mm_set1_epi8(0x0F);
  const __m128i hi = _mm_and_si128(_mm_srli_epi16(b, 4), mask);
  const __m128i lo = _mm_and_si128(b, mask);
  const __m128i nib = _mm_unpacklo_epi8(hi, lo);  // high nibble first, as text reads
  // '0' + n, plus ('a' - '0' - 10) where n > 9.
  const __m128i letter = _mm_and_si128(_mm_cmpgt_epi8(nib, _mm_set1_epi8(9)), _mm_set1_epi8(0x27));
  return _mm_add_epi8(_mm_add_epi8(nib, _mm_set1_epi8('0')), letter);
}
#endif

/// Writes 8 bytes as 16 lowercase hex characters; with SSE2 one vector store instead of a loop
/// over the bytes.
inline void encode_lower_hex8(const std::uint8_t* in, char* out) noexcept {
#if defined(__SSE2__)
  const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(in));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), hex_chars8(b));
#else
  encode_lower_hex(in, 8, out);
#endif
}

/// Writes 16 bytes as 32 lowercase hex characters.
inline void encode_lower_hex16(const std::uint8_t* in, char* out) noexcept {
#if defined(__SSE2__)
  const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), hex_chars8(b));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 16), hex_chars8(_mm_srli_si128(b, 8)));
#else
  encode_lower_hex(in, 16, out);
#endif
}

}  // namespace ctxflow::internal
