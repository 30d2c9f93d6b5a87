// SPDX-License-Identifier: Apache-2.0
// The OpenTelemetry Baggage API (R4.6-R4.8): an immutable set of name -> (value, metadata)
// entries stored in the context's baggage slot. Works without an SDK. One baggage is one
// allocation; set/remove return a new baggage and never change the original.
// See docs/design/propagation.md, "Baggage".
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <utility>

#include "ctxflow/context/context.hpp"
#include "ctxflow/context/ref_counted.hpp"
#include "ctxflow/export.hpp"

namespace ctxflow::propagation {

namespace detail {
struct baggage_access;
}

/// An immutable baggage: each name has exactly one value, plus optional opaque metadata.
///
/// Names are any non-empty strings and values any strings, both case-sensitive; `get` returns
/// exactly what `set` stored (R4.8). Entry order is insertion order with a re-set name moved to
/// the end; it is not significant.
///
/// Thread safety: immutable; safe to share between threads.
///
/// Example:
/// ```
/// auto b = ctxflow::propagation::baggage::current().set("tenant", "acme");
/// ctxflow::scope s{ctxflow::propagation::with_baggage(ctxflow::context::current(), b)};
/// ```
class baggage {
 public:
  /// One entry. Views into the baggage's storage: valid as long as any copy of it lives.
  struct entry {
    std::string_view name;
    std::string_view value;
    std::string_view metadata;
  };

  /// The empty baggage (no allocation).
  baggage() noexcept = default;

  /// The baggage of the current context (empty when none).
  /// Context: reads the running execution unit's current context.
  CTXFLOW_API static baggage current() noexcept;
  /// The baggage stored in `ctx` (empty when none).
  CTXFLOW_API static baggage from(const context& ctx) noexcept;

  bool empty() const noexcept { return !impl_; }
  CTXFLOW_API std::size_t size() const noexcept;

  /// The value for `name`, or nothing.
  CTXFLOW_API std::optional<std::string_view> get(std::string_view name) const noexcept;
  /// The whole entry for `name`, or null. Lifetime: as long as this baggage.
  CTXFLOW_API const entry* find(std::string_view name) const noexcept;
  /// Every entry (order not significant).
  CTXFLOW_API std::span<const entry> get_all() const noexcept;

  /// A new baggage with `name` set to `value` (and `metadata`); an earlier value is replaced
  /// (R4.6). Errors: an empty name returns *this and reports `propagation.baggage.invalid_name`;
  /// allocation failure returns *this and reports `propagation.baggage.alloc_failed`.
  CTXFLOW_API baggage set(std::string_view name, std::string_view value,
                          std::string_view metadata = {}) const noexcept;
  /// A new baggage without `name` (*this when absent).
  CTXFLOW_API baggage remove(std::string_view name) const noexcept;

  /// Same entries (same names, values and metadata, in any order).
  CTXFLOW_API friend bool operator==(const baggage& a, const baggage& b) noexcept;

 /// The single-allocation representation (internal; defined in the implementation).
  struct impl;

 private:
  friend struct detail::baggage_access;
  explicit baggage(ctxflow::detail::ref_ptr<const ctxflow::detail::ref_counted> p) noexcept
      : impl_(std::move(p)) {}
  ctxflow::detail::ref_ptr<const ctxflow::detail::ref_counted> impl_;
};

/// `ctx` with `b` as its baggage; an empty `b` clears the baggage slot.
/// Errors: on allocation failure returns `ctx` (reported by the context).
CTXFLOW_API context with_baggage(const context& ctx, const baggage& b) noexcept;

/// `ctx` with no baggage (R4.8 "clear").
CTXFLOW_API context without_baggage(const context& ctx) noexcept;

}  // namespace ctxflow::propagation
