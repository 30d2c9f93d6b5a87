// SPDX-License-Identifier: Apache-2.0
// Private: the single-allocation representation of a baggage, and the builder the W3C parser
// and baggage::set use to fill one. Layout: block header, `capacity` entries, then the text
// bytes the entries point into.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "ctxflow/propagation/baggage.hpp"

namespace ctxflow::propagation {

struct baggage::impl final : ctxflow::detail::ref_counted {
  std::uint32_t count = 0;
  std::uint32_t capacity = 0;
  std::size_t text_used = 0;
  std::size_t text_capacity = 0;

  entry* entries() noexcept { return reinterpret_cast<entry*>(this + 1); }
  const entry* entries() const noexcept { return reinterpret_cast<const entry*>(this + 1); }
  char* text() noexcept { return reinterpret_cast<char*>(entries() + capacity); }

  /// Allocates a block; null on failure.
  static impl* allocate(std::size_t entries, std::size_t text) noexcept;
  void destroy() const noexcept override;
};

namespace detail {

/// Fills a freshly allocated block, then hands it to a baggage.
struct baggage_access {
  /// Adopts a filled block; an empty block is freed and gives the empty baggage.
  static baggage adopt(baggage::impl* p) noexcept;
  static const baggage::impl* get(const baggage& b) noexcept;
};

/// Appends an entry whose strings already live in the block's text area (or anywhere that
/// outlives the block). A previous entry with the same name is removed first (R4.6).
void append_entry(baggage::impl& b, const baggage::entry& e) noexcept;

/// Copies `s` into the block's text area and returns the copy. Capacity is the caller's duty.
/// Inline: extract copies every member's name, value and metadata through it.
inline std::string_view copy_text(baggage::impl& b, std::string_view s) noexcept {
  char* out = b.text() + b.text_used;
  if (!s.empty()) std::memcpy(out, s.data(), s.size());
  b.text_used += s.size();
  return {out, s.size()};
}

}  // namespace detail
}  // namespace ctxflow::propagation
