// SPDX-License-Identifier: Apache-2.0
// ctxflow::context: an immutable map from keys to values with dedicated slots for the active
// span and the baggage (C1), the current context of the running execution unit (C2), and
// attach/detach with checked tokens (C3, R1.5-R1.7). Everything here is noexcept.
// See docs/design/context.md.
#pragma once

#include <cstdint>
#include <source_location>
#include <utility>

#include "ctxflow/context/context_key.hpp"
#include "ctxflow/context/detail/context_impl.hpp"
#include "ctxflow/export.hpp"

namespace ctxflow {

class context_token;
class context_view;
class scope;

/// What detach() did (R1.7).
enum class detach_result : std::uint8_t {
  /// The token was the latest attach of this execution unit; its previous context is current.
  ok,
  /// The token was deeper in this unit's attach stack: every later attachment was unwound too,
  /// and the context from before this token is current. A diagnostic was reported.
  out_of_order,
  /// The token is empty, was already detached (or unwound), or belongs to another thread or
  /// task. Nothing changed. A diagnostic was reported.
  unknown_token,
};

/// An immutable map from context_key to value, plus a span slot and a baggage slot (C1).
///
/// Copying is one reference-count increment; every write returns a new context and leaves this
/// one unchanged. The empty context holds no allocation.
///
/// Thread safety: distinct objects: safe. Shared objects: safe (a context is never mutated).
///
/// Example:
/// ```
/// static const ctxflow::context_key request_key{"request"};
/// ctxflow::context ctx = ctxflow::context::current().with_value(request_key, holder);
/// ctxflow::scope s{ctx};   // ctx is current until s is destroyed
/// ```
class context {
 public:
  /// The empty context.
  constexpr context() noexcept = default;
  context(const context& o) noexcept : impl_(o.impl_) {
    if (impl_) impl_->add_ref();
  }
  context(context&& o) noexcept : impl_(std::exchange(o.impl_, nullptr)) {}
  context& operator=(context o) noexcept {
    std::swap(impl_, o.impl_);
    return *this;
  }
  ~context() {
    if (impl_) impl_->release();
  }

  /// The current context of the running execution unit (thread or task): one thread-local load
  /// and one reference-count increment. Use current_span() and friends when only a slot is read.
  static context current() noexcept {
    detail::context_impl* p = detail::current_impl();
    if (p) p->add_ref();
    return context(p);
  }

  /// A non-owning view of the current context: one thread-local load, no reference counting.
  /// Lifetime: valid until the running unit's current context changes (attach, detach, scope
  /// end, set/reset of a context_var, or a suspension of the running task).
  static context_view current_view() noexcept;

  /// True when nothing is stored.
  bool empty() const noexcept { return impl_ == nullptr; }

  /// The value stored for `key`, or null. The object lives as long as this context.
  const detail::ref_counted* find(const context_key& key) const noexcept {
    return impl_ ? impl_->find(key.id()) : nullptr;
  }
  /// A new context with `key` bound to `value` (shared). A null value removes the key.
  /// Errors: on allocation failure, reports `context.alloc_failed` and returns *this.
  CTXFLOW_API context with_value(const context_key& key,
                                 const detail::ref_counted* value) const noexcept;

  /// The object in the span slot, or null (the trace API gives it its type).
  const detail::ref_counted* span_slot() const noexcept { return impl_ ? impl_->span() : nullptr; }
  /// A new context with the span slot set (null clears it). Errors: as with_value.
  CTXFLOW_API context with_span_slot(const detail::ref_counted* span) const noexcept;
  /// The object in the baggage slot, or null.
  const detail::ref_counted* baggage_slot() const noexcept {
    return impl_ ? impl_->baggage() : nullptr;
  }
  /// A new context with the baggage slot set (null clears it). Errors: as with_value.
  CTXFLOW_API context with_baggage_slot(const detail::ref_counted* baggage) const noexcept;

  /// True when both refer to the same stored state (identity, not deep equality).
  friend bool operator==(const context& a, const context& b) noexcept { return a.impl_ == b.impl_; }

  /// Low-level: adopts/gives up the underlying reference, to move a context into or out of
  /// storage without touching the count (execution_unit uses them).
  static context adopt(detail::context_impl* p) noexcept { return context(p); }
  [[nodiscard]] detail::context_impl* release() noexcept { return std::exchange(impl_, nullptr); }
  const detail::context_impl* impl() const noexcept { return impl_; }

 private:
  explicit context(detail::context_impl* p) noexcept : impl_(p) {}
  detail::context_impl* impl_ = nullptr;
};

/// A borrowed, read-only view of a context (see context::current_view()).
///
/// Thread safety: as the context it views; it must not outlive it.
class context_view {
 public:
  constexpr context_view() noexcept = default;
  explicit context_view(const detail::context_impl* p) noexcept : impl_(p) {}
  bool empty() const noexcept { return impl_ == nullptr; }
  const detail::ref_counted* find(const context_key& key) const noexcept {
    return impl_ ? impl_->find(key.id()) : nullptr;
  }
  const detail::ref_counted* span_slot() const noexcept { return impl_ ? impl_->span() : nullptr; }
  const detail::ref_counted* baggage_slot() const noexcept {
    return impl_ ? impl_->baggage() : nullptr;
  }
  /// An owning copy (one reference-count increment).
  context to_context() const noexcept {
    auto* p = const_cast<detail::context_impl*>(impl_);
    if (p) p->add_ref();
    return context::adopt(p);
  }
  /// As context::with_value, without taking a reference to the viewed context first: a new
  /// context built from the view costs no reference-count operation on the viewed node.
  CTXFLOW_API context with_value(const context_key& key,
                                 const detail::ref_counted* value) const noexcept;
  /// As context::with_span_slot (see with_value). This is how a current span's context is
  /// made from the current context.
  CTXFLOW_API context with_span_slot(const detail::ref_counted* span) const noexcept;
  /// As context::with_baggage_slot (see with_value).
  CTXFLOW_API context with_baggage_slot(const detail::ref_counted* baggage) const noexcept;
  const detail::context_impl* impl() const noexcept { return impl_; }

 private:
  const detail::context_impl* impl_ = nullptr;
};

inline context_view context::current_view() noexcept {
  return context_view(detail::current_impl());
}

namespace detail {
inline context_token attach_slot(slot_ptr ctx, const std::source_location& where) noexcept;
}  // namespace detail

/// A move-only, single-use receipt from attach(); detach() consumes it.
///
/// Dropping a token without detaching leaves the attachment in place (as in Python); strict mode
/// reports it when its task, bound call or test ends.
///
/// Thread safety: distinct objects: safe. Shared objects: unsafe.
class [[nodiscard]] context_token {
 public:
  constexpr context_token() noexcept = default;
  context_token(context_token&& o) noexcept
      : unit_(std::exchange(o.unit_, nullptr)),
        prev_(std::exchange(o.prev_, detail::slot_ptr())),
        generation_(o.generation_),
        serial_(std::exchange(o.serial_, 0)),
        where_(o.where_) {}
  context_token& operator=(context_token&& o) noexcept {
    if (this != &o) {
      reset_storage();
      unit_ = std::exchange(o.unit_, nullptr);
      prev_ = std::exchange(o.prev_, detail::slot_ptr());
      generation_ = o.generation_;
      serial_ = std::exchange(o.serial_, 0);
      where_ = o.where_;
    }
    return *this;
  }
  context_token(const context_token&) = delete;
  context_token& operator=(const context_token&) = delete;
  ~context_token() { reset_storage(); }

  /// True when this token came from a successful attach and has not been consumed.
  bool valid() const noexcept { return serial_ != 0; }

 private:
  friend context_token detail::attach_slot(detail::slot_ptr ctx,
                                           const std::source_location& where) noexcept;
  friend CTXFLOW_API context_token attach_slow(detail::slot_ptr ctx,
                                               const std::source_location& where) noexcept;
  friend detach_result detach(context_token&& token) noexcept;
  friend CTXFLOW_API detach_result detach_slow(context_token& token) noexcept;
  friend class scope;
  void reset_storage() noexcept {
    prev_.drop();
    serial_ = 0;
  }

  detail::exec_unit* unit_ = nullptr;
  detail::slot_ptr prev_;  // the context to restore (owned, or borrowed from an outer scope)
  std::uint64_t generation_ = 0;
  std::uint64_t serial_ = 0;
  std::source_location where_{};  // the attach site, for diagnostics
};

/// Slow path of attach(): first attach of a unit, stack growth. Not for direct use. On failure
/// it drops `ctx` (releases it when owned).
CTXFLOW_API context_token attach_slow(detail::slot_ptr ctx,
                                      const std::source_location& where) noexcept;

namespace detail {
/// Makes the node `ctx` points at current, owned or borrowed as `ctx` says; attach() and
/// scope are built on it.
inline context_token attach_slot(slot_ptr ctx, const std::source_location& where) noexcept {
  exec_unit* u = current_unit();
  if (u->generation == 0 || !u->stack.push({u->next_serial + 1, where}))
    return attach_slow(ctx, where);
  context_token t;
  t.unit_ = u;
  t.generation_ = u->generation;
  t.serial_ = ++u->next_serial;
  t.where_ = where;
  t.prev_ = tls_current;
  tls_current = ctx;
  return t;
}
}  // namespace detail

/// Makes `ctx` the current context of the running execution unit and returns the token that
/// restores the previous one (R1.5). The context is moved into the current-context slot: no
/// reference-count operation (a freshly made context is attached and, at detach, freed without
/// a locked instruction).
/// Errors: when the attach stack cannot grow (allocation failure) reports
/// `context.alloc_failed`, leaves the current context unchanged and returns an invalid token.
inline context_token attach(context&& ctx,
                            const std::source_location& where =
                                std::source_location::current()) noexcept {
  return detail::attach_slot(detail::slot_ptr::make_owned(ctx.release()), where);
}

/// As above for a context the caller keeps: the slot takes its own reference (one increment
/// now, one decrement at detach), since a token may outlive `ctx`. To make a context current
/// for a block without either, use `scope`, which borrows it.
inline context_token attach(const context& ctx,
                            const std::source_location& where =
                                std::source_location::current()) noexcept {
  return attach(context(ctx), where);
}

/// Slow path of detach(): out-of-order and unknown tokens. Not for direct use.
CTXFLOW_API detach_result detach_slow(context_token& token) noexcept;

/// Restores the context from before the token's attach (R1.6, R1.7). Never throws.
/// Errors: out-of-order and unknown tokens are reported through the diagnostics handler (with
/// the attach site in strict mode); see detach_result for the state each leaves.
inline detach_result detach(context_token&& token) noexcept {
  detail::exec_unit* u = detail::current_unit();
  if (token.unit_ == u && token.serial_ != 0 && !u->stack.empty() &&
      u->stack.top().serial == token.serial_ && token.generation_ == u->generation) {
    u->stack.truncate(u->stack.size() - 1);
    detail::slot_ptr old = detail::tls_current;
    detail::tls_current = std::exchange(token.prev_, detail::slot_ptr());
    token.serial_ = 0;
    old.drop();  // a borrowed context is not released: its scope's owner keeps it
    return detach_result::ok;
  }
  return detach_slow(token);
}

/// How many attachments the running execution unit currently holds (0 when balanced).
inline std::uint32_t attach_depth() noexcept { return detail::current_unit()->stack.size(); }

/// Where the attachment at `index` (0 = the oldest still open, below attach_depth()) of the
/// running execution unit was made; a default source_location when `index` is out of range.
inline std::source_location attach_site(std::uint32_t index) noexcept {
  const detail::exec_unit* u = detail::current_unit();
  return index < u->stack.size() ? u->stack.data()[index].where : std::source_location{};
}

}  // namespace ctxflow
