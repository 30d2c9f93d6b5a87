// SPDX-License-Identifier: Apache-2.0
// Private to the viewer's OTLP readers: what the protobuf and the JSON reader share. An OTLP
// `AnyValue` as read (any_node), its conversion into sdk::attribute_value (homogeneous arrays to
// the vector alternatives; key-value lists, mixed arrays and nested arrays to their OTLP JSON
// text), UTF-8 repair, base64, the span flag bits and the mapping of kinds and status codes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ctxflow/macros.hpp"
#include "ctxflow/sdk/span_data.hpp"
#include "ctxflow/viewer/otlp_reader.hpp"

namespace ctxflow::viewer::detail {

/// `SpanFlags` bits (docs/requirements.md R8.1).
inline constexpr std::uint32_t trace_flags_mask = 0xFF;
inline constexpr std::uint32_t has_is_remote_mask = 0x100;
inline constexpr std::uint32_t is_remote_mask = 0x200;

/// True when `flags` says the remoteness is known and remote.
constexpr bool remote_of(std::uint64_t flags) noexcept {
  return (flags & (has_is_remote_mask | is_remote_mask)) == (has_is_remote_mask | is_remote_mask);
}

/// OTLP SpanKind: 1..5 as they are; 0 (unspecified) and unknown values are internal.
constexpr trace::span_kind kind_of(std::uint64_t v) noexcept {
  return v >= 1 && v <= 5 ? static_cast<trace::span_kind>(v) : trace::span_kind::internal;
}

/// OTLP StatusCode: 0..2 as they are; unknown values are unset.
constexpr trace::status_code status_of(std::uint64_t v) noexcept {
  return v <= 2 ? static_cast<trace::status_code>(v) : trace::status_code::unset;
}

/// The nesting limit actually applied: decode_limits::max_depth, at most hard_max_depth, so
/// that the recursion of the readers stays far from the end of the stack.
inline constexpr std::size_t hard_max_depth = 256;
inline std::size_t effective_depth(const decode_limits& limits) noexcept {
  return limits.max_depth < hard_max_depth ? limits.max_depth : hard_max_depth;
}

/// One `AnyValue` as read, before it is mapped onto what span_data can hold.
struct any_node {
  enum class kind : std::uint8_t { empty, string, boolean, integer, floating, bytes, array, kvlist };
  kind type = kind::empty;
  bool boolean = false;
  std::int64_t integer = 0;
  double floating = 0.0;
  std::string text;                 // string or bytes
  /// An array whose elements so far are all strings, all bools, all integers or all doubles
  /// keeps them here, 8 bytes an integer instead of a whole node (array_append()).
  bool packed = false;
  sdk::attribute_value values;
  std::vector<any_node> items;      // other array elements, or the values of a key-value list
  std::vector<std::string> keys;    // key-value list keys, parallel to `items`
};

/// Adds `element` to the array `array` (type array): into `values` while the elements are
/// scalars of one type, else (the packed ones first converted back) into `items`.
void array_append(any_node& array, any_node&& element);

/// Maps a read value onto span_data's attribute types: scalars as they are, bytes as
/// byte_string, an array whose elements are all strings, all bools, all integers or all doubles
/// as the matching vector (an empty array as an empty vector of strings), an empty value as an
/// empty string, and anything else (key-value lists, mixed or nested arrays) as a string holding
/// the value's OTLP JSON text (`{"kvlistValue":{...}}`, `{"arrayValue":{...}}`).
sdk::attribute_value to_attribute_value(any_node&& v);

/// Appends the OTLP JSON text of `v` (an `AnyValue` object) to `out`.
void append_any_json(std::string& out, const any_node& v);

/// Appends `s` as a JSON string literal; invalid UTF-8 bytes become U+FFFD.
void append_json_string(std::string& out, std::string_view s);

/// Appends `data` as padded standard base64.
void append_base64(std::string& out, std::string_view data);

/// Decodes standard or URL-safe base64, padded or not; false on any other character.
bool decode_base64(std::string_view text, std::string& out);

/// `s` with every byte that does not start a valid UTF-8 sequence replaced by U+FFFD (proto3
/// strings and JSON text are UTF-8; the encoders repair the same way).
void repair_utf8(std::string& s);

/// Moves the spans of `from` to the end of `to`; the allocation that can fail comes first, so
/// `to` is unchanged when it throws.
void append_spans(std::vector<sdk::span_data>& to, std::vector<sdk::span_data>&& from);

/// What decode_protobuf() and decode_json() do around their own decoder: the size limit, the
/// decode into a vector of its own (`decode(spans, error)` returns false with `error` set), the
/// append to `out` only on success, and any exception (out of memory) turned into an error, so
/// `out` is unchanged whenever the answer is false.
template <class Decode>
bool decode_request(std::string_view input, std::vector<sdk::span_data>& out, std::string& error,
                    const decode_limits& limits, Decode&& decode) noexcept {
  CTXFLOW_TRY {
    if (input.size() > limits.max_message_bytes) {
      error = "the message is " + std::to_string(input.size()) + " bytes, more than the limit of " +
              std::to_string(limits.max_message_bytes);
      return false;
    }
    std::vector<sdk::span_data> spans;
    if (!decode(spans, error)) return false;
    append_spans(out, std::move(spans));
    return true;
  }
  CTXFLOW_CATCH_ALL {
    CTXFLOW_TRY { error = std::string("decoding failed: ") + current_exception_message(); }
    CTXFLOW_CATCH_ALL {}
    return false;
  }
  return false;
}

}  // namespace ctxflow::viewer::detail
