// SPDX-License-Identifier: Apache-2.0
// trace_state: the immutable W3C `tracestate` list (R3.1-R3.11). Copying shares the entries;
// set/erase return a new list and validate their input (R3.7). Parsing drops the whole header
// on any invalid member or more than 32 members (R3.5). One list is one allocation: the members
// are views into the list's own serialised text. See docs/design/propagation.md.
#pragma once

#include <array>
#include <cstdint>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "ctxflow/context/ref_counted.hpp"
#include "ctxflow/export.hpp"

namespace ctxflow::trace {

/// Immutable list of up to 32 `key=value` members, left-most first.
///
/// Thread safety: immutable; safe to share between threads.
class trace_state {
 public:
  static constexpr std::size_t max_members = 32;
  static constexpr std::size_t max_key_size = 256;
  static constexpr std::size_t max_value_size = 256;

  /// One member: views into the list's storage, valid as long as any copy of the list lives.
  using member = std::pair<std::string_view, std::string_view>;

  /// The empty list (no allocation).
  trace_state() noexcept = default;

  /// Parses a `tracestate` header value (several fields already joined with ','). Any invalid
  /// member, or more than 32 non-empty members, gives the empty list (R3.3-R3.6).
  /// Duplicate keys: the first occurrence is kept. Never throws; allocates at most what 32
  /// members of the maximum size need, whatever the input length.
  CTXFLOW_API static trace_state parse(std::string_view header) noexcept;

  /// Incremental parser for a header that arrives as several fields: feeding each field in
  /// carrier order is the same as parsing the fields joined with ',' (R3.2), without joining.
  ///
  /// Lifetime: the fed views must stay valid until finish().
  /// Thread safety: distinct objects: safe. Shared objects: unsafe.
  class parser {
   public:
    /// Adds one field. After an invalid member or a 33rd member the rest is ignored.
    CTXFLOW_API void feed(std::string_view field) noexcept;
    /// True while everything fed so far is valid.
    bool ok() const noexcept { return !failed_; }
    /// The parsed list (empty when anything was invalid). One allocation when non-empty.
    CTXFLOW_API trace_state finish() noexcept;

   private:
    member* members() noexcept { return std::launder(reinterpret_cast<member*>(storage_)); }

    // Raw storage: only [0, count_) is ever constructed or read, so a parser costs nothing to
    // create (an array of pairs would be zeroed, 1 KiB, on every extract).
    alignas(member) unsigned char storage_[max_members * sizeof(member)];
    std::uint32_t count_ = 0;
    bool failed_ = false;
  };

  /// True when `key` / `value` satisfy the grammar of R3.3.
  CTXFLOW_API static bool valid_key(std::string_view key) noexcept;
  CTXFLOW_API static bool valid_value(std::string_view value) noexcept;

  bool empty() const noexcept { return !impl_; }
  std::size_t size() const noexcept { return impl_ ? impl_->count : 0; }

  /// The value for `key`, if present.
  CTXFLOW_API std::optional<std::string_view> get(std::string_view key) const noexcept;

  /// A new list with `key=value` at the far left and any previous entry for `key` removed; the
  /// right-most entry is dropped when the list would exceed 32 (R3.7).
  /// Errors: an invalid key or value returns *this unchanged and reports
  /// `trace.tracestate.invalid`; allocation failure returns *this and reports
  /// `trace.tracestate.alloc_failed`.
  CTXFLOW_API trace_state set(std::string_view key, std::string_view value) const noexcept;

  /// A new list without `key` (*this when `key` is absent).
  CTXFLOW_API trace_state erase(std::string_view key) const noexcept;

  /// The whole list serialised as `k1=v1,k2=v2` (R3.10), without truncation. No allocation.
  CTXFLOW_API std::string_view header() const noexcept;

  /// Serialises as `k1=v1,k2=v2` (R3.10), truncated to `max_size` characters by removing whole
  /// entries as R3.9 says (first entries longer than 128 characters, then from the right).
  /// Errors: on allocation failure returns an empty string.
  CTXFLOW_API std::string to_header(std::size_t max_size = 512) const noexcept;

  /// The members, left-most first.
  CTXFLOW_API std::span<const member> members() const noexcept;

  friend bool operator==(const trace_state& a, const trace_state& b) noexcept {
    if (a.impl_ == b.impl_) return true;
    return a.header() == b.header();
  }

 private:
  // Header of the single allocation: followed by `count` members, then `text_size` chars.
  struct impl : ctxflow::detail::ref_counted {
    std::uint32_t count = 0;
    std::uint32_t text_size = 0;
    CTXFLOW_API void destroy() const noexcept override;
  };
  CTXFLOW_API static trace_state build(std::span<const member> members) noexcept;
  explicit trace_state(ctxflow::detail::ref_ptr<const impl> p) noexcept : impl_(std::move(p)) {}
  ctxflow::detail::ref_ptr<const impl> impl_;
};

}  // namespace ctxflow::trace
