// SPDX-License-Identifier: Apache-2.0
// Private helpers shared by the OTLP encoders: grouping a batch into ResourceSpans/ScopeSpans
// (R8.3), span flag computation (R8.1), kind mapping (R8.2) and UTF-8 validation with
// replacement of invalid sequences (proto3 `string` and JSON text must be valid UTF-8).
// See docs/design/otlp.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

#include "ctxflow/sdk/span_data.hpp"

namespace ctxflow::exporters::otlp::detail {

/// `SpanFlags` bits (R8.1).
inline constexpr std::uint32_t has_is_remote_mask = 0x100;
inline constexpr std::uint32_t is_remote_mask = 0x200;

/// Span.flags: W3C flags, "is_remote known", and the parent's remoteness (R8.1 [D]).
inline std::uint32_t span_flags(const sdk::span_data& s) noexcept {
  return std::uint32_t{s.context.flags.value} | has_is_remote_mask |
         (s.parent_is_remote ? is_remote_mask : 0u);
}

/// Link.flags: the same scheme for the linked context (R8.1).
inline std::uint32_t link_flags(const trace::span_context& c) noexcept {
  return std::uint32_t{c.flags.value} | has_is_remote_mask | (c.remote ? is_remote_mask : 0u);
}

/// OTLP SpanKind, never 0 (R8.2): anything outside 1..5 becomes INTERNAL.
inline std::uint32_t kind_value(trace::span_kind k) noexcept {
  const auto v = static_cast<std::uint32_t>(k);
  return (v >= 1 && v <= 5) ? v : 1u;
}

/// StatusCode, clamped to the defined values.
inline std::uint32_t status_value(trace::status_code c) noexcept {
  const auto v = static_cast<std::uint32_t>(c);
  return v <= 2 ? v : 0u;
}

/// Length of the tracestate header text built from the members (`k=v,k=v`), without the
/// 512-character truncation of propagation: the exporter sends the state as recorded.
inline std::size_t trace_state_size(const trace::trace_state& ts) noexcept {
  if (ts.empty()) return 0;
  std::size_t n = ts.size() - 1;
  for (const auto& [k, v] : ts.members()) n += k.size() + 1 + v.size();
  return n;
}

/// Writes the tracestate text; `out` has room for trace_state_size(ts) bytes.
inline char* write_trace_state(const trace::trace_state& ts, char* out) noexcept {
  bool first = true;
  for (const auto& [k, v] : ts.members()) {
    if (!first) *out++ = ',';
    first = false;
    std::memcpy(out, k.data(), k.size());
    out += k.size();
    *out++ = '=';
    std::memcpy(out, v.data(), v.size());
    out += v.size();
  }
  return out;
}

/// Length of the longest valid UTF-8 sequence starting at `p` (1..4), or 0 when the bytes at
/// `p` do not start a valid sequence (overlong forms, surrogates and values above U+10FFFF are
/// invalid).
inline std::size_t utf8_sequence(const unsigned char* p, const unsigned char* end) noexcept {
  const unsigned char c = p[0];
  if (c < 0x80) return 1;
  const std::size_t avail = static_cast<std::size_t>(end - p);
  auto cont = [&](std::size_t i) { return i < avail && (p[i] & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && p[1] < 0xA0) return 0;   // overlong
    if (c == 0xED && p[1] >= 0xA0) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && p[1] < 0x90) return 0;   // overlong
    if (c == 0xF4 && p[1] >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

/// The replacement character U+FFFD in UTF-8.
inline constexpr char replacement_utf8[] = "\xEF\xBF\xBD";

/// Size of `s` after replacing each invalid byte with U+FFFD; equals s.size() for valid UTF-8.
/// ASCII runs are skipped eight bytes at a time.
inline std::size_t utf8_sanitized_size(std::string_view s) noexcept {
  auto p = reinterpret_cast<const unsigned char*>(s.data());
  const auto end = p + s.size();
  std::size_t extra = 0;
  while (p < end) {
    if (end - p >= 8) {
      std::uint64_t word;
      std::memcpy(&word, p, 8);
      if ((word & 0x8080808080808080ull) == 0) {
        p += 8;
        continue;
      }
    }
    const std::size_t n = utf8_sequence(p, end);
    if (n == 0) {
      extra += 2;  // one byte becomes three
      ++p;
    } else {
      p += n;
    }
  }
  return s.size() + extra;
}

/// Copies `s` to `out` replacing each invalid byte with U+FFFD; returns the end.
inline char* write_utf8_sanitized(std::string_view s, std::size_t sanitized_size,
                                  char* out) noexcept {
  if (sanitized_size == s.size()) {
    if (!s.empty()) std::memcpy(out, s.data(), s.size());
    return out + s.size();
  }
  auto p = reinterpret_cast<const unsigned char*>(s.data());
  const auto end = p + s.size();
  while (p < end) {
    const std::size_t n = utf8_sequence(p, end);
    if (n == 0) {
      std::memcpy(out, replacement_utf8, 3);
      out += 3;
      ++p;
    } else {
      std::memcpy(out, p, n);
      out += n;
      p += n;
    }
  }
  return out;
}

/// A batch grouped into ResourceSpans and ScopeSpans, in order of first appearance (R8.3).
/// Flat arrays so that a thread-local instance can be reused without reallocating.
struct grouped_batch {
  struct scope_group {
    const sdk::instrumentation_scope* scope;  // may be null: an empty scope
    std::uint32_t span_begin;
    std::uint32_t span_end;
  };
  struct resource_group {
    const sdk::resource* resource;  // may be null: an empty resource
    std::uint32_t scope_begin;
    std::uint32_t scope_end;
  };
  std::vector<resource_group> resources;
  std::vector<scope_group> scopes;
  std::vector<const sdk::span_data*> spans;
  // scratch
  std::vector<std::uint32_t> key_of_span;
  std::vector<std::uint32_t> key_resource;
  std::vector<const sdk::instrumentation_scope*> key_scope;
  std::vector<std::uint32_t> key_count;
  std::vector<std::uint32_t> key_order;
  std::vector<std::uint32_t> key_start;
  std::vector<const sdk::resource*> distinct_resources;
};

/// Groups `batch` (null entries are skipped). Resources are the same group when they are the
/// same object or have equal contents; scopes likewise within one resource.
void group_batch(std::span<const sdk::span_data* const> batch, grouped_batch& g);

}  // namespace ctxflow::exporters::otlp::detail
