// SPDX-License-Identifier: Apache-2.0
// scope: RAII guard that makes a context current for the lifetime of a block (R1.5, R1.7).
#pragma once

#include <source_location>
#include <utility>

#include "ctxflow/context/context.hpp"
#include "ctxflow/export.hpp"

namespace ctxflow {

namespace detail {
/// Reports `context.scope.source_changed` for a borrowing scope whose context was assigned
/// while the scope was open.
CTXFLOW_API void report_scope_source_changed(const std::source_location& where) noexcept;
}  // namespace detail

/// Attaches a context on construction and detaches it on destruction.
///
/// Two forms, chosen by the argument:
/// - `scope s{ctx}` with a context the caller keeps (an lvalue) *borrows* it: the scope makes it
///   current without touching its reference count, so attach + detach cost no atomic
///   read-modify-write. Lifetime: like a lock_guard's mutex, `ctx` must outlive the scope and
///   must not be assigned while the scope is open. What code inside the scope takes from the
///   current context (context::current(), a task's or a bound call's snapshot) owns its own
///   reference as usual, so only the named context object is bound by this rule. A scope
///   whose context object was assigned while it was open reports `context.scope.source_changed`
///   when it ends (by then the borrowed state may have been freed: it is a safety net, not a
///   permission).
///   A `const context&` from an accessor (`bound_context()`, `snapshot()`,
///   `parent_context()`) is borrowed too: the object it belongs to must outlive the scope.
/// - `scope s{std::move(ctx)}` or `scope s{make_context()}` (an rvalue) *adopts* it: the
///   current-context slot takes over the reference, and at the end a context nobody else
///   shares is freed without a locked instruction.
///
/// Context: `ctx` is current from construction to destruction on the running execution unit;
/// inside a coroutine task that stays true across suspensions and thread hops (C5).
/// Thread safety: a scope belongs to the execution unit that made it.
/// Errors: see attach() and detach(); a scope destroyed out of order unwinds later attachments.
///
/// Example:
/// ```
/// { ctxflow::scope s{ctx}; do_work(); }   // the previous context is back here
/// ```
class [[nodiscard]] scope {
 public:
  /// Borrows `ctx`, which must outlive the scope and stay unassigned while it is open.
  explicit scope(const context& ctx, const std::source_location& where =
                                         std::source_location::current()) noexcept
      : token_(detail::attach_slot(detail::slot_ptr::make_borrowed(ctx.impl()), where)),
        source_(&ctx),
        borrowed_(ctx.impl()) {}
  /// Adopts `ctx`: the current-context slot owns it until the scope ends.
  explicit scope(context&& ctx, const std::source_location& where =
                                    std::source_location::current()) noexcept
      : token_(attach(std::move(ctx), where)) {}
  scope(const scope&) = delete;
  scope& operator=(const scope&) = delete;
  ~scope() {
    const bool changed = source_ != nullptr && source_->impl() != borrowed_;
    if (token_.valid()) (void)detach(std::move(token_));
    if (changed) [[unlikely]]
      detail::report_scope_source_changed(token_.where_);
  }

 private:
  context_token token_;
  const context* source_ = nullptr;                // the borrowed context object, or null
  const detail::context_impl* borrowed_ = nullptr;  // its node when the scope began
};

}  // namespace ctxflow
