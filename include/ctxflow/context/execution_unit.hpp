// SPDX-License-Identifier: Apache-2.0
// execution_unit: the public interface through which an executor, an event loop or a coroutine
// library makes the context follow the work it runs (C2, C4-C7). ctxflow's own wrappers
// (bind_context, thread_pool, event_loop, coro::task, the Asio integration) are built on it and
// use nothing else, so a third-party runtime can do everything they do.
// See docs/design/context.md, "Execution units", and docs/usage/executors.md.
//
// Stability: everything declared in this header is a stable public interface; it changes only
// with a deprecation period of one release. The member layout of the classes is not part of it.
#pragma once

#include <cstdint>
#include <exception>
#include <source_location>
#include <utility>

#include "ctxflow/context/context.hpp"
#include "ctxflow/context/detail/context_impl.hpp"

namespace ctxflow {

/// An execution unit (R1.4): a piece of work that owns a current context, such as a task, one
/// run of a bound callable, or a coroutine driven by a foreign runtime. While it runs on a
/// thread its context is that thread's current context; while it is parked (not running) it
/// keeps the context, so whatever the work left current is still there at its next enter()
/// (C5). Attachments made while it runs belong to it: tokens are checked against it, and
/// finish() reports those still open in strict mode.
///
/// The life of a unit: construct it (parked, holding the context it starts from), then any
/// number of enter() ... leave() pairs, each on whatever thread runs the next piece of the work,
/// then finish() (also done by the destructor).
///
/// Context: enter() makes the unit's context current and saves the thread's previous unit and
/// context; leave() parks the unit's context and puts the saved ones back (C7). Both are a few
/// pointer moves, with no reference counting.
/// Thread safety: a unit is used by one thread at a time; between leave() on one thread and
/// enter() on another, the runtime's own hand-over (a queue push and pop, a lock, an atomic
/// with release/acquire) must order the two. Units nest: a unit entered while another runs on
/// the same thread must be left before that one is.
/// Lifetime: the address is the unit's identity (tokens refer to it), so it can be neither
/// copied nor moved; it must be parked when it is destroyed.
///
/// Example (a runtime that runs one coroutine in pieces):
/// ```
/// ctxflow::execution_unit unit{ctxflow::context::current(), "job"};  // snapshot (C4)
/// // on any thread, for each piece:
/// unit.enter();
/// run_piece();
/// unit.leave();
/// ```
class execution_unit {
 public:
  /// A parked unit that starts from `ctx`. `kind` names the unit in diagnostics ("task",
  /// "bound call", ...); it must outlive the unit (a string literal).
  explicit execution_unit(context ctx = {}, const char* kind = "execution unit") noexcept {
    unit_.parked = detail::slot_ptr::make_owned(ctx.release());
    unit_.kind = kind;
  }
  execution_unit(const execution_unit&) = delete;
  execution_unit& operator=(const execution_unit&) = delete;
  ~execution_unit() { finish(); }

  /// Makes this unit the running unit of the calling thread. Precondition: parked.
  void enter() noexcept { detail::enter(unit_); }
  /// Parks this unit and puts back the thread's previous unit and context. Precondition: it is
  /// the unit running on the calling thread.
  void leave() noexcept { detail::leave(unit_); }
  /// Ends a parked unit: reports attachments still open (`context.scope.leaked`, strict mode)
  /// and releases its context. The unit is then empty and may be entered again.
  void finish() noexcept {
    if (unit_.parked.get() || !unit_.stack.empty() || unit_.deferred) detail::finish(unit_);
  }

  /// True when this unit is the one running on the calling thread.
  bool running_here() const noexcept { return detail::tls_unit == &unit_; }
  /// The context the unit holds while parked. Precondition: parked.
  context parked_context() const noexcept {
    detail::context_impl* p = unit_.parked.get();
    if (p) p->add_ref();
    return context::adopt(p);
  }
  /// Replaces the context the unit holds while parked. Precondition: parked.
  void set_parked_context(context ctx) noexcept {
    detail::slot_ptr old =
        std::exchange(unit_.parked, detail::slot_ptr::make_owned(ctx.release()));
    old.drop();
  }
  const char* kind() const noexcept { return unit_.kind; }

  // --- for coroutine libraries ---
  //
  // A coroutine task's unit also tracks span scopes that live across its suspensions, so that a
  // scope left by an exception learns what the exception was (docs/design/context.md,
  // "Exceptions in tasks"). A library whose coroutines should get that marks its units as
  // tasks and uses suspend()/resume() at every suspension point instead of leave()/enter().

  /// Marks the unit as a coroutine task's unit (may hop threads; span scopes register with it).
  /// Call before the first enter().
  void mark_as_task() noexcept { unit_.task = true; }
  bool is_task() const noexcept { return unit_.task; }

  /// leave() for a suspension point of a task: span scopes left by an exception that the task
  /// has since caught are ended first.
  void suspend() noexcept {
    if (unit_.deferred) [[unlikely]]
      detail::settle_deferred(unit_, -1, nullptr);
    detail::leave(unit_);
  }
  /// enter() for a task resuming after a suspension, on any thread.
  void resume() noexcept {
    detail::enter(unit_);
    // Span scopes that live across the suspension compare the uncaught-exception count with the
    // count on the thread that runs this step.
    if (unit_.unwind_watchers) [[unlikely]]
      unit_.uncaught_base = detail::uncaught_exceptions(unit_);
  }
  /// For a running task: span scopes left by an exception that has been caught since are ended
  /// now (at the start of an inline child, and at the end of the body).
  void settle_caught() noexcept {
    if (unit_.deferred) [[unlikely]]
      detail::settle_deferred(unit_, -1, nullptr);
  }
  /// For a running task whose body ended with `error` (call from the coroutine's
  /// unhandled_exception): span scopes left by it record its type and message. When
  /// `tell_current_span` is set, the span current in the task is told as well (a detached task
  /// has nobody else to report to).
  void end_with_exception(const std::exception_ptr& error, bool tell_current_span) noexcept {
    if (unit_.deferred)
      detail::settle_deferred(unit_, detail::uncaught_exceptions(unit_), &error);
    if (tell_current_span && error) detail::notify_span_of_task_exception(error);
  }

 private:
  detail::exec_unit unit_;
};

/// A unit that lives for one scope: constructed with the context it starts from and entered at
/// once, left and finished at the end of the scope, also when an exception leaves it. What the
/// code inside attaches stays inside (C6); the thread's previous context is back afterwards (C7).
/// This is what bind_context and the executor wrappers put around one call.
///
/// Example:
/// ```
/// void run_job(ctxflow::context captured, job& j) {
///   ctxflow::execution_unit_scope unit{std::move(captured), "job"};
///   j();
/// }
/// ```
class execution_unit_scope {
 public:
  explicit execution_unit_scope(context ctx, const char* kind = "bound call") noexcept
      : unit_(std::move(ctx), kind) {
    unit_.enter();
  }
  execution_unit_scope(const execution_unit_scope&) = delete;
  execution_unit_scope& operator=(const execution_unit_scope&) = delete;
  ~execution_unit_scope() { unit_.leave(); }  // then the unit's destructor finishes it

 private:
  execution_unit unit_;
};

/// Taken by a runner (a worker loop, an event loop) before it runs one piece of work that it does
/// not wrap in a unit of its own; restore() afterwards puts the runner's context back if the
/// work left anything behind (an attachment never detached, a unit never left), so the next
/// piece starts clean (C7).
///
/// Example:
/// ```
/// ctxflow::context_checkpoint before;
/// job();
/// if (before.restore()) log("a job leaked a context");
/// ```
class context_checkpoint {
 public:
  context_checkpoint() noexcept
      : ctx_(detail::tls_current),
        unit_(detail::tls_unit),
        depth_(detail::tls_thread_unit.stack.size()) {
    // An extra reference keeps the runner's context alive even if the work drops a token it
    // attached over it (only taken when there is one: workers with the empty context pay
    // nothing). Taken also when the runner's slot only borrows it, so that restore() can put
    // back an owned pointer.
    if (detail::context_impl* p = ctx_.get()) p->add_ref();
  }
  context_checkpoint(const context_checkpoint&) = delete;
  context_checkpoint& operator=(const context_checkpoint&) = delete;
  ~context_checkpoint() {
    if (detail::context_impl* p = ctx_.get()) p->release();
  }

  /// Puts back the running unit, the thread's attach depth and the current context as they
  /// were at construction. Returns true when something had to be repaired. Call once.
  bool restore() noexcept {
    const detail::slot_ptr before = std::exchange(ctx_, detail::slot_ptr());
    detail::context_impl* const held = before.get();  // this checkpoint's reference
    if (detail::tls_unit == unit_ && detail::tls_thread_unit.stack.size() == depth_ &&
        detail::tls_current == before) [[likely]] {
      if (held) held->release();
      return false;
    }
    detail::tls_unit = unit_;
    detail::attach_stack& stack = detail::tls_thread_unit.stack;
    if (stack.size() > depth_) stack.truncate(depth_);
    // The checkpoint's own reference goes into the slot: the slot owns it from here, even when
    // the runner had only borrowed it.
    detail::slot_ptr stale =
        std::exchange(detail::tls_current, detail::slot_ptr::make_owned(held));
    stale.drop();
    return true;
  }

 private:
  detail::slot_ptr ctx_;  // the runner's slot as it was; this checkpoint owns a reference to it
  detail::exec_unit* unit_;
  std::uint32_t depth_;
};

}  // namespace ctxflow
