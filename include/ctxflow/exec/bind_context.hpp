// SPDX-License-Identifier: Apache-2.0
// bind_context: wraps a callable so that it runs with the context that was current when it was
// wrapped (or a given one), on whatever thread calls it (C4, C7, C8). The caller's context is
// back after the call, also when the callable throws. See docs/design/context.md.
#pragma once

#include <functional>
#include <type_traits>
#include <utility>

#include "ctxflow/context/context.hpp"
#include "ctxflow/context/execution_unit.hpp"

namespace ctxflow {

/// A callable bound to a context. Each call runs the callable as its own execution unit: the
/// bound context is current inside; changes made inside (attach, context_var::set) are private
/// to that call and never reach the caller (C6); the caller's context is restored afterwards (C7).
///
/// Thread safety: distinct objects: safe. Shared objects: calls on a const object are safe if
/// the wrapped callable's const call is.
template <class Fn>
class bound_fn {
 public:
  bound_fn(context ctx, Fn fn) noexcept(std::is_nothrow_move_constructible_v<Fn>)
      : ctx_(std::move(ctx)), fn_(std::move(fn)) {}

  template <class... Args>
    requires std::is_invocable_v<Fn&, Args...>
  decltype(auto) operator()(Args&&... args) & {
    execution_unit_scope unit(ctx_);
    return std::invoke(fn_, std::forward<Args>(args)...);
  }
  template <class... Args>
    requires std::is_invocable_v<const Fn&, Args...>
  decltype(auto) operator()(Args&&... args) const& {
    execution_unit_scope unit(ctx_);
    return std::invoke(fn_, std::forward<Args>(args)...);
  }
  template <class... Args>
    requires std::is_invocable_v<Fn&&, Args...>
  decltype(auto) operator()(Args&&... args) && {
    execution_unit_scope unit(std::move(ctx_));
    return std::invoke(std::move(fn_), std::forward<Args>(args)...);
  }

  const context& bound_context() const noexcept { return ctx_; }
  Fn& get() noexcept { return fn_; }
  const Fn& get() const noexcept { return fn_; }

 private:
  context ctx_;
  Fn fn_;
};

/// Binds `fn` to the current context (snapshot taken now, C4).
///
/// Context: the snapshot is current inside every call of the result.
/// Example:
/// ```
/// pool.post(ctxflow::bind_context([] { assert(request_id.get() == 42); }));
/// ```
template <class Fn>
bound_fn<std::decay_t<Fn>> bind_context(Fn&& fn) {
  return bound_fn<std::decay_t<Fn>>(context::current(), std::forward<Fn>(fn));
}

/// Binds `fn` to `ctx`.
template <class Fn>
bound_fn<std::decay_t<Fn>> bind_context(context ctx, Fn&& fn) {
  return bound_fn<std::decay_t<Fn>>(std::move(ctx), std::forward<Fn>(fn));
}

}  // namespace ctxflow
