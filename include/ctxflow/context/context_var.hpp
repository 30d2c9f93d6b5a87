// SPDX-License-Identifier: Apache-2.0
// context_var<T>: a typed, named context-local variable, like Python's contextvars.ContextVar.
// set() makes a new current context holding the value and returns a token; reset() restores.
// Values follow the work exactly as the context does (C4-C7). See docs/design/context.md.
#pragma once

#include <source_location>
#include <string_view>
#include <type_traits>
#include <utility>

#include "ctxflow/context/context.hpp"
#include "ctxflow/context/context_key.hpp"
#include "ctxflow/context/ref_counted.hpp"
#include "ctxflow/context/diagnostics.hpp"

namespace ctxflow {

namespace detail {
template <class T>
class var_value final : public ref_counted {
 public:
  explicit var_value(T v) noexcept : value(std::move(v)) {}
  const T value;
};
}  // namespace detail

/// A typed key with a default value.
///
/// Thread safety: a context_var object is immutable and may be shared by all threads; get()
/// and set() act on the running execution unit only.
///
/// Example:
/// ```
/// inline ctxflow::context_var<int> request_id{"request_id", -1};
/// auto token = request_id.set(42);
/// co_await work();                 // request_id.get() == 42 inside, on any thread
/// request_id.reset(std::move(token));
/// ```
template <class T>
class context_var {
  static_assert(std::is_nothrow_move_constructible_v<T>,
                "context_var values must be nothrow move-constructible");

 public:
  /// `name` must outlive the variable (a string literal does).
  explicit context_var(std::string_view name, T default_value = T{}) noexcept(
      std::is_nothrow_move_constructible_v<T>)
      : key_(name), default_(std::move(default_value)) {}

  /// The value in the current context, or the default.
  /// Lifetime: the reference is valid until the running unit's current context changes.
  const T& get() const noexcept { return get(detail::current_impl()); }

  /// The value in `ctx`, or the default. Lifetime: as long as `ctx`.
  const T& get(const context& ctx) const noexcept { return get(ctx.impl()); }

  /// True when the current context holds a value for this variable.
  bool is_set() const noexcept {
    const detail::context_impl* c = detail::current_impl();
    return c && c->find(key_.id()) != nullptr;
  }

  /// A new context equal to `ctx` with this variable set to `value`.
  /// Errors: on allocation failure reports `context.alloc_failed` and returns `ctx`.
  context with(const context& ctx, T value) const noexcept {
    auto holder = detail::make_ref<detail::var_value<T>>(std::move(value));
    if (!holder) {
      report(severity::error, "context.alloc_failed", "context_var value allocation failed");
      return ctx;
    }
    return ctx.with_value(key_, holder.get());
  }

  /// Makes a new current context with this variable set to `value` and returns the token that
  /// restores the previous context (R1.5).
  /// Context: the change is visible to this execution unit and to tasks it spawns afterwards.
  /// Cost: the value holder and the new context node (from a per-thread cache for small
  /// contexts); no reference-count operation on either context node.
  context_token set(T value, const std::source_location& where =
                                 std::source_location::current()) const noexcept {
    auto holder = detail::make_ref<detail::var_value<T>>(std::move(value));
    if (!holder) {
      report(severity::error, "context.alloc_failed", "context_var value allocation failed");
      return attach(context::current(), where);
    }
    return attach(context::current_view().with_value(key_, holder.get()), where);
  }

  /// Restores the context from before the matching set(). See detach() for misuse handling.
  detach_result reset(context_token&& token) const noexcept { return detach(std::move(token)); }

  const context_key& key() const noexcept { return key_; }
  std::string_view name() const noexcept { return key_.name(); }

 private:
  const T& get(const detail::context_impl* c) const noexcept {
    if (c) {
      if (const detail::ref_counted* v = c->find(key_.id()))
        return static_cast<const detail::var_value<T>*>(v)->value;
    }
    return default_;
  }

  context_key key_;
  T default_;
};

}  // namespace ctxflow
