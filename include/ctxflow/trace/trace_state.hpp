// SPDX-License-Identifier: Apache-2.0
// trace_state: the immutable W3C `tracestate` list (R3.1-R3.11). Copying shares the entries;
// set/erase return a new list and validate their input (R3.7). Parsing drops the whole header
// on any invalid member or more than 32 members (R3.5).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ctxflow/context/detail/ref_counted.hpp"
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

  /// The empty list (no allocation).
  trace_state() noexcept = default;

  /// Parses a `tracestate` header value (several fields already joined with ','). Any invalid
  /// member, or more than 32 non-empty members, gives the empty list (R3.3-R3.6).
  /// Duplicate keys: the first occurrence is kept. Never throws; allocates at most what 32
  /// members of the maximum size need, whatever the input length.
  CTXFLOW_API static trace_state parse(std::string_view header) noexcept;

  /// True when `key` / `value` satisfy the grammar of R3.3.
  CTXFLOW_API static bool valid_key(std::string_view key) noexcept;
  CTXFLOW_API static bool valid_value(std::string_view value) noexcept;

  bool empty() const noexcept { return !impl_ || impl_->members.empty(); }
  std::size_t size() const noexcept { return impl_ ? impl_->members.size() : 0; }

  /// The value for `key`, if present.
  CTXFLOW_API std::optional<std::string_view> get(std::string_view key) const noexcept;

  /// A new list with `key=value` at the far left and any previous entry for `key` removed; the
  /// right-most entry is dropped when the list would exceed 32 (R3.7).
  /// Errors: an invalid key or value returns *this unchanged and reports
  /// `trace.tracestate.invalid`.
  CTXFLOW_API trace_state set(std::string_view key, std::string_view value) const noexcept;

  /// A new list without `key`.
  CTXFLOW_API trace_state erase(std::string_view key) const noexcept;

  /// Serialises as `k1=v1,k2=v2` (R3.10), truncated to `max_size` characters by removing whole
  /// entries as R3.9 says (first entries longer than 128 characters, then from the right).
  CTXFLOW_API std::string to_header(std::size_t max_size = 512) const;

  /// The members, left-most first.
  using member = std::pair<std::string, std::string>;
  const std::vector<member>& members() const noexcept;

  friend bool operator==(const trace_state& a, const trace_state& b) noexcept {
    if (a.impl_ == b.impl_) return true;
    return a.members() == b.members();
  }

 private:
  struct impl : ctxflow::detail::ref_counted {
    std::vector<member> members;
  };
  explicit trace_state(ctxflow::detail::ref_ptr<const impl> p) noexcept : impl_(std::move(p)) {}
  ctxflow::detail::ref_ptr<const impl> impl_;
};

}  // namespace ctxflow::trace
