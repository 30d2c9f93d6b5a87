// SPDX-License-Identifier: Apache-2.0
// The identity of a span as it crosses process boundaries: trace id, span id, trace flags
// (sampled, random), trace state and whether it came from a remote peer (R7.x, R2.x).
// A leaf value header: propagation/ and sdk/ use it; it depends on nothing but trace_state. The
// hex conversions are defined in src/trace/span_context.cpp, on the one internal hex helper.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "ctxflow/export.hpp"
#include "ctxflow/trace/trace_state.hpp"

namespace ctxflow::trace {

/// Formats bytes as lowercase hex into `out` (2 characters per byte, no terminator).
CTXFLOW_API void to_lower_hex(std::span<const std::uint8_t> bytes, char* out) noexcept;

/// Parses exactly 2*N lowercase hex characters (R2.2 HEXDIGLC). False on any other character
/// or length; `out` then holds unspecified bytes.
CTXFLOW_API bool from_lower_hex(std::string_view hex, std::span<std::uint8_t> out) noexcept;

namespace detail {
template <std::size_t N>
struct id_bytes {
  std::array<std::uint8_t, N> bytes{};

  /// Valid means not all zero (R2.4, R2.5).
  constexpr bool valid() const noexcept {
    for (std::uint8_t b : bytes)
      if (b != 0) return true;
    return false;
  }
  /// Lowercase hex, 2*N characters.
  std::array<char, 2 * N> to_hex() const noexcept {
    std::array<char, 2 * N> out;
    to_lower_hex(bytes, out.data());
    return out;
  }
  friend constexpr bool operator==(const id_bytes&, const id_bytes&) noexcept = default;
};
}  // namespace detail

/// 16-byte trace id. All zero is invalid.
struct trace_id : detail::id_bytes<16> {
  /// Parses 32 lowercase hex characters; an invalid input gives the all-zero (invalid) id.
  static trace_id from_hex(std::string_view hex) noexcept {
    trace_id id;
    if (!from_lower_hex(hex, id.bytes)) id.bytes = {};
    return id;
  }
  friend constexpr bool operator==(const trace_id&, const trace_id&) noexcept = default;
};

/// 8-byte span id. All zero is invalid.
struct span_id : detail::id_bytes<8> {
  static span_id from_hex(std::string_view hex) noexcept {
    span_id id;
    if (!from_lower_hex(hex, id.bytes)) id.bytes = {};
    return id;
  }
  friend constexpr bool operator==(const span_id&, const span_id&) noexcept = default;
};

/// W3C trace-flags (R2.6). Test bits with the accessors, never by comparing the byte.
struct trace_flags {
  static constexpr std::uint8_t sampled_bit = 0x01;
  static constexpr std::uint8_t random_bit = 0x02;

  std::uint8_t value = 0;

  constexpr bool sampled() const noexcept { return (value & sampled_bit) != 0; }
  constexpr bool random() const noexcept { return (value & random_bit) != 0; }
  constexpr trace_flags with_sampled(bool on) const noexcept {
    return {static_cast<std::uint8_t>(on ? value | sampled_bit : value & ~sampled_bit)};
  }
  constexpr trace_flags with_random(bool on) const noexcept {
    return {static_cast<std::uint8_t>(on ? value | random_bit : value & ~random_bit)};
  }
  friend constexpr bool operator==(trace_flags, trace_flags) noexcept = default;
};

/// The propagated identity of a span (R7.1). Valid when both ids are valid.
///
/// Thread safety: a value type; immutable trace_state is shared safely.
struct span_context {
  trace_id trace;
  span_id span;
  trace_flags flags;
  bool remote = false;
  trace_state state;

  constexpr bool valid() const noexcept { return trace.valid() && span.valid(); }
  constexpr bool sampled() const noexcept { return flags.sampled(); }
};

}  // namespace ctxflow::trace
