// SPDX-License-Identifier: Apache-2.0
// The span API: span_object (the reference-counted object an SDK records into), the handles
// span_ref (non-owning) and span (owning), the RAII guards span_guard and scoped_span, and the
// functions that read or set the span slot of a context (current_span, span_context_from,
// context_with_span, context_with_remote_parent; R1.8, R1.9, R7.6). Everything is noexcept.
// Without an SDK every span is non-recording. See docs/usage/tracing.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <initializer_list>
#include <source_location>
#include <span>
#include <string_view>
#include <utility>

#include "ctxflow/context/context.hpp"
#include "ctxflow/context/ref_counted.hpp"
#include "ctxflow/export.hpp"
#include "ctxflow/trace/attribute.hpp"
#include "ctxflow/trace/span_context.hpp"
#include "ctxflow/trace/span_kind.hpp"

namespace ctxflow::trace {

/// A point in time for span start, end and event times. The zero value (the epoch) means "now".
using timestamp = std::chrono::system_clock::time_point;

/// What a span scope does when an exception leaves it (Python's `record_exception` and
/// `set_status_on_exception`; see start_options).
struct exception_policy {
  /// Add an `exception` event (`exception.type`, `exception.message`).
  bool record_exception = true;
  /// Set status ERROR with the exception's message as description.
  bool set_status_on_exception = true;
};

class span_object;

namespace detail {
/// Records an exception that ended a scope on `s` if it is recording, as `policy` says: an
/// `exception` event at `at` (zero: now) and status ERROR. `error` null: the exception is not
/// known; the event then has `exception.type` "unknown" and a fixed `exception.message`, and
/// the description is that message. Does not end the span.
CTXFLOW_API void record_escaped_exception(span_object* s, const std::exception_ptr* error,
                                          exception_policy policy, timestamp at) noexcept;
}  // namespace detail

/// The object behind a span handle and the thing stored in a context's span slot.
///
/// The base class is a non-recording span (R7.6): it returns its span context and ignores every
/// other call. SDKs derive recording spans from it.
///
/// Thread safety: all members may be called concurrently (R7.8a); implementations synchronise.
/// Lifetime: reference counted; handles and contexts share it.
class span_object : public ctxflow::detail::span_slot_object {
 public:
  explicit span_object(const span_context& sc) noexcept : context_(sc) {}
  /// Takes over `sc` (its trace_state without a reference-count round trip).
  explicit span_object(span_context&& sc) noexcept : context_(std::move(sc)) {}

  /// The span's identity; fixed at creation, readable without synchronisation.
  const span_context& context() const noexcept { return context_; }

  virtual bool is_recording() const noexcept { return false; }
  virtual void set_attribute(std::string_view key, const attribute_value_view& value) noexcept {
    (void)key;
    (void)value;
  }
  virtual void set_attributes(std::span<const attribute_kv> attributes) noexcept {
    for (const attribute_kv& a : attributes) set_attribute(a.key, a.value);
  }
  virtual void add_event(std::string_view name, std::span<const attribute_kv> attributes,
                         timestamp time) noexcept {
    (void)name;
    (void)attributes;
    (void)time;
  }
  virtual void add_link(const span_context& linked,
                        std::span<const attribute_kv> attributes) noexcept {
    (void)linked;
    (void)attributes;
  }
  virtual void set_status(status_code code, std::string_view description) noexcept {
    (void)code;
    (void)description;
  }
  virtual void update_name(std::string_view name) noexcept { (void)name; }
  virtual void end(timestamp end_time) noexcept { (void)end_time; }
  /// Ends the span as end() does and gives up one reference the caller owns; the caller must
  /// not use its pointer afterwards. span_guard and scoped_span end their span this way. The
  /// default ends, then releases; an SDK may hand the reference to whatever keeps the ended
  /// span (a batch queue) instead of that taking a reference of its own.
  virtual void end_and_release(timestamp end_time) noexcept {
    end(end_time);
    release();
  }

  /// A spawned task running under this span ended with `error` (coro::spawn): recorded as an
  /// escaping exception with the default exception_policy while the span is recording.
  void on_task_exception(const std::exception_ptr& error) noexcept override {
    if (is_recording()) detail::record_escaped_exception(this, &error, exception_policy{}, {});
  }

 private:
  const span_context context_;
};

/// A non-owning span handle. It may be empty; then every call is ignored and context() is the
/// invalid span context.
///
/// Lifetime: does not keep the span alive. The span_ref from current_span() is valid while the
/// context it came from stays current; keep a `span` to hold on to it.
/// Thread safety: distinct objects: safe. Shared objects: safe (the span synchronises).
class span_ref {
 public:
  constexpr span_ref() noexcept = default;
  constexpr explicit span_ref(span_object* object) noexcept : obj_(object) {}

  /// The underlying object, or null.
  span_object* get() const noexcept { return obj_; }
  /// True when a span object is held (recording or not).
  explicit operator bool() const noexcept { return obj_ != nullptr; }

  /// The span's identity; the invalid (all-zero) span context for an empty handle.
  span_context context() const noexcept { return obj_ ? obj_->context() : span_context{}; }
  /// True while an SDK records this span (false after end(), R7.3).
  bool is_recording() const noexcept { return obj_ && obj_->is_recording(); }

  /// Sets or overwrites one attribute (R7.3). Ignored after end().
  void set_attribute(std::string_view key, attribute_value_view value) const noexcept {
    if (obj_) obj_->set_attribute(key, value);
  }
  /// Sets several attributes in one call.
  void set_attributes(std::span<const attribute_kv> attributes) const noexcept {
    if (obj_) obj_->set_attributes(attributes);
  }
  void set_attributes(std::initializer_list<attribute_kv> attributes) const noexcept {
    set_attributes(std::span<const attribute_kv>(attributes.begin(), attributes.size()));
  }
  /// Adds an event; events keep the order they were added in (R7.3). `time` zero means now.
  void add_event(std::string_view name, std::span<const attribute_kv> attributes = {},
                 timestamp time = {}) const noexcept {
    if (obj_) obj_->add_event(name, attributes, time);
  }
  void add_event(std::string_view name, std::initializer_list<attribute_kv> attributes,
                 timestamp time = {}) const noexcept {
    add_event(name, std::span<const attribute_kv>(attributes.begin(), attributes.size()), time);
  }
  /// Adds a link after creation (R7.3). Links given at start are the ones samplers see.
  void add_link(const span_context& linked,
                std::span<const attribute_kv> attributes = {}) const noexcept {
    if (obj_) obj_->add_link(linked, attributes);
  }
  void add_link(const span_context& linked,
                std::initializer_list<attribute_kv> attributes) const noexcept {
    add_link(linked, std::span<const attribute_kv>(attributes.begin(), attributes.size()));
  }
  /// Sets the status (R7.4): `unset` is ignored, `ok` is final, the description is kept only
  /// with `error`.
  void set_status(status_code code, std::string_view description = {}) const noexcept {
    if (obj_) obj_->set_status(code, description);
  }
  /// Replaces the span name.
  void update_name(std::string_view name) const noexcept {
    if (obj_) obj_->update_name(name);
  }
  /// Records an `exception` event (R7.5) with `exception.type` and `exception.message` taken
  /// from the exception (its dynamic type and what()). `extra` attributes win over generated
  /// ones. A null pointer is ignored.
  CTXFLOW_API void record_exception(std::exception_ptr error,
                                    std::span<const attribute_kv> extra = {}) const noexcept;
  /// Records an `exception` event from a type name and a message (either may be empty, not
  /// both).
  CTXFLOW_API void record_exception(std::string_view type, std::string_view message,
                                    std::span<const attribute_kv> extra = {}) const noexcept;
  /// Ends the span (R7.3). Only the first call counts; `time` zero means now. The span stays
  /// usable as a parent and in contexts (R1.8).
  void end(timestamp time = {}) const noexcept {
    if (obj_) obj_->end(time);
  }

  friend bool operator==(const span_ref& a, const span_ref& b) noexcept {
    return a.obj_ == b.obj_;
  }

 protected:
  span_object* obj_ = nullptr;
};

/// An owning span handle: copying shares the span (one reference-count increment). Destroying
/// the last handle does not end the span; call end() or use span_guard / scoped_span.
///
/// Thread safety: distinct objects: safe. Shared objects: unsafe for assignment, safe for the
/// span operations.
class span : public span_ref {
 public:
  constexpr span() noexcept = default;
  /// Shares the span a span_ref points at.
  span(span_ref r) noexcept : span_ref(r.get()) {
    if (obj_) obj_->add_ref();
  }
  span(const span& o) noexcept : span_ref(o.obj_) {
    if (obj_) obj_->add_ref();
  }
  span(span&& o) noexcept : span_ref(std::exchange(o.obj_, nullptr)) {}
  span& operator=(span o) noexcept {
    std::swap(obj_, o.obj_);
    return *this;
  }
  ~span() {
    if (obj_) obj_->release();
  }

  /// Takes over a reference the caller owns.
  static span adopt(span_object* object) noexcept {
    span s;
    s.obj_ = object;
    return s;
  }
  /// Takes a new reference.
  static span share(span_object* object) noexcept { return span(span_ref(object)); }
  /// Gives up the reference without releasing it.
  [[nodiscard]] span_object* release() noexcept { return std::exchange(obj_, nullptr); }
};

/// Ends the span when it goes out of scope; the span is not made current (R1.8).
///
/// Example:
/// ```
/// ctxflow::trace::span_guard s{tracer.start_span("flush")};
/// s->set_attribute("bytes", n);
/// ```
class [[nodiscard]] span_guard {
 public:
  explicit span_guard(span s) noexcept : span_(std::move(s)) {}
  span_guard(span_guard&& o) noexcept = default;
  span_guard(const span_guard&) = delete;
  span_guard& operator=(const span_guard&) = delete;
  span_guard& operator=(span_guard&&) = delete;
  ~span_guard() {
    // The guard's reference goes with the end: a processor that keeps the span takes it over.
    if (span_object* o = span_.release()) o->end_and_release(timestamp{});
  }

  const span& get() const noexcept { return span_; }
  const span* operator->() const noexcept { return &span_; }

 private:
  span span_;
};

/// The span in the current context's span slot: one thread-local load, no reference count.
/// Empty when there is none.
///
/// Context: reads the running execution unit's current context.
/// Lifetime: valid while that context stays current (see span_ref).
inline span_ref current_span() noexcept {
  const ctxflow::detail::context_impl* c = ctxflow::detail::current_impl();
  const ctxflow::detail::ref_counted* s = c ? c->span() : nullptr;
  return span_ref(static_cast<span_object*>(const_cast<ctxflow::detail::ref_counted*>(s)));
}

/// The span stored in `ctx`, or an empty handle. Lifetime: as long as `ctx`.
inline span_ref span_from(const ctxflow::context& ctx) noexcept {
  const ctxflow::detail::ref_counted* s = ctx.span_slot();
  return span_ref(static_cast<span_object*>(const_cast<ctxflow::detail::ref_counted*>(s)));
}

/// The span context of the span stored in `ctx`; the invalid span context when there is none.
inline span_context span_context_from(const ctxflow::context& ctx) noexcept {
  return span_from(ctx).context();
}

/// A new context equal to `ctx` with `s` in the span slot (an empty handle clears the slot).
/// The span is not ended by this and need not be recording (R1.8).
/// Errors: on allocation failure reports `context.alloc_failed` and returns `ctx`.
inline ctxflow::context context_with_span(const ctxflow::context& ctx, span_ref s) noexcept {
  return ctx.with_span_slot(s.get());
}

/// A non-recording span wrapping `sc` (R7.6): it returns `sc` and ignores every other call.
/// Errors: on allocation failure returns an empty handle (the invalid span context).
CTXFLOW_API span make_non_recording_span(const span_context& sc) noexcept;

/// A new context equal to `ctx` whose span slot holds a non-recording span wrapping `remote`
/// with `is_remote` set (R1.9, R2.12, R7.6): spans started from it become its children.
/// Used by propagators after extracting a remote span context.
/// Errors: an invalid `remote` returns `ctx` unchanged; allocation failure reports
/// `context.alloc_failed` and returns `ctx`.
/// Cost: one allocation holding both the context node and the span.
CTXFLOW_API ctxflow::context context_with_remote_parent(const ctxflow::context& ctx,
                                                        const span_context& remote) noexcept;
/// As above, taking over `remote` (a freshly extracted span_context): its trace_state moves
/// into the span instead of being shared.
CTXFLOW_API ctxflow::context context_with_remote_parent(const ctxflow::context& ctx,
                                                        span_context&& remote) noexcept;

/// Makes a span current for a block and ends it on exit (what start_as_current_span returns).
///
/// On construction the span is put in a new context derived from the current one, which is
/// attached; on destruction the span is ended, then the previous context is restored, so the
/// previously current span is current again.
///
/// Exceptions (exception_policy, by default both on; see docs/usage/tracing.md, "Exceptions"):
/// - record_failure(e), or tracer::with_span, which calls it from its handler: the span gets an
///   `exception` event with `exception.type` (the demangled dynamic type) and
///   `exception.message` (what() for a std::exception), and status ERROR with that message
///   (the type name when there is no message). The end then adds nothing.
/// - Destroyed by unwinding inside a coroutine task: the context is restored at once, but the
///   span's end is deferred to the task, with the end time taken now. If the exception leaves
///   the task's body, the task's unhandled-exception path records it exactly as above and ends
///   the span. If the task catches it, the span is ended at the task's next suspension, inline
///   child start, span scope, or end, with status ERROR and the generic event below.
/// - Destroyed by unwinding elsewhere: a destructor cannot see the exception in flight, so the
///   span gets the generic event (`exception.type` "unknown", a fixed `exception.message`)
///   and status ERROR with that message, then ends.
/// "Unwinding" means std::uncaught_exceptions() is above its value when the scope began (in a
/// task: relative to the count on the thread when the task's current step began, so a task
/// that changed threads compares counts of one thread).
///
/// Context: inside a coroutine task the attachment persists across suspensions and thread hops
/// of that task (C5) and is undone when the scoped_span is destroyed.
/// Thread safety: belongs to the execution unit that made it; destroy it there (R1.11).
/// Errors: see attach()/detach(); destroyed out of order, it unwinds later attachments.
class [[nodiscard]] scoped_span {
 public:
  explicit scoped_span(span s, const std::source_location& where =
                                   std::source_location::current()) noexcept
      : scoped_span(std::move(s), exception_policy{}, where) {}
  scoped_span(span s, exception_policy policy,
              const std::source_location& where = std::source_location::current()) noexcept
      : span_(std::move(s)),
        // The new context is built from a view of the current one and moved into the slot:
        // no reference-count operation on either context node; at the end the slot frees the
        // node, which nobody else holds unless it was copied, without a locked instruction.
        token_(attach(context::current_view().with_span_slot(span_.get()), where)),
        policy_(policy) {
    watch_unwinding();
  }
  scoped_span(const scoped_span&) = delete;
  scoped_span& operator=(const scoped_span&) = delete;
  scoped_span(scoped_span&& o) noexcept
      : span_(std::move(o.span_)),
        token_(std::move(o.token_)),
        unit_(std::exchange(o.unit_, nullptr)),
        uncaught_(o.uncaught_),
        policy_(o.policy_),
        handled_(o.handled_) {}
  scoped_span& operator=(scoped_span&&) = delete;
  ~scoped_span() {
    if (left_by_unwinding()) [[unlikely]]
      end_unwinding();
    else if (span_object* o = span_.release())
      o->end_and_release(timestamp{});  // the scope's reference goes with the end
    if (token_.valid()) (void)detach(std::move(token_));
  }

  const span& get() const noexcept { return span_; }
  const span* operator->() const noexcept { return &span_; }

  /// Records `error` on the span now, as an exception leaving the scope would be recorded when
  /// it is known (per this scope's exception_policy), and makes the end record nothing more.
  /// Call it from a handler with std::current_exception(). A null `error` is ignored.
  CTXFLOW_API void record_failure(const std::exception_ptr& error) noexcept;

 private:
  // Takes the uncaught-exception baseline; inside a task, registers with the task's unit.
  void watch_unwinding() noexcept {
    ctxflow::detail::exec_unit* u = ctxflow::detail::current_unit();
    const int now = ctxflow::detail::uncaught_exceptions(*u);
    if (u->task) {
      if (u->unwind_watchers++ == 0) u->uncaught_base = now;
      uncaught_ = now - u->uncaught_base;
      unit_ = u;
      if (u->deferred) [[unlikely]]
        ctxflow::detail::settle_deferred(*u, now, nullptr);
    } else {
      uncaught_ = now;
    }
  }
  // True when the scope ends because an exception is unwinding through it.
  bool left_by_unwinding() noexcept {
    ctxflow::detail::exec_unit* u = unit_;
    if (u == nullptr)
      return ctxflow::detail::uncaught_exceptions(*ctxflow::detail::current_unit()) > uncaught_;
    if (u != ctxflow::detail::tls_unit) {
      // Destroyed outside its task (a suspended frame being destroyed): a normal end.
      unit_ = nullptr;
      return false;
    }
    --u->unwind_watchers;
    const int now = ctxflow::detail::uncaught_exceptions(*u);
    const bool unwinding = now - u->uncaught_base > uncaught_;
    if (u->deferred) [[unlikely]]
      ctxflow::detail::settle_deferred(*u, now, nullptr);
    if (!unwinding) unit_ = nullptr;
    return unwinding;
  }
  CTXFLOW_API void end_unwinding() noexcept;

  span span_;
  context_token token_;
  ctxflow::detail::exec_unit* unit_ = nullptr;  // the task unit it registered with, or null
  int uncaught_ = 0;  // baseline: absolute, or relative to unit_->uncaught_base in a task
  exception_policy policy_;
  bool handled_ = false;  // record_failure was called
};

}  // namespace ctxflow::trace
