// SPDX-License-Identifier: Apache-2.0
// task<T>: a lazy, move-only coroutine whose context is task-local (C5): the context it runs with
// stays current across every suspension point, on whatever thread it resumes, and the resumer's
// context comes back whenever it suspends or finishes (C7). Awaiting a task runs it as part of
// the awaiting task (C6); spawn() (coro/spawn.hpp) runs it as a task of its own with a snapshot.
// See docs/design/context.md, "Tasks".
#pragma once

#include <atomic>
#include <cassert>
#include <coroutine>
#include <cstdint>
#include <exception>
#include <mutex>
#include <condition_variable>
#include <stdexcept>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

#include "ctxflow/context/context.hpp"
#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/context/execution_unit.hpp"
#include "ctxflow/coro/detail/unit_awaiter.hpp"

namespace ctxflow::coro {

template <class T = void>
class task;

namespace detail {

/// A root's completion channel. States:
///   0            running, nobody waiting
///   1            completed
///   2            detached: the owner is gone; the task destroys itself when it completes
///   even value   the coroutine handle address of the one coroutine awaiting completion
///   odd value    (address | 1) of a blocking_waiter (sync_wait)
struct blocking_waiter {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  void signal() noexcept {
    // Notify under the lock: the waiter may destroy this object as soon as it sees done.
    std::lock_guard lock(mu);
    done = true;
    cv.notify_one();
  }
  void wait() noexcept {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return done; });
  }
};

/// The result of waiting for an empty task (misuse): reported as `coro.task.empty`, then a
/// value-initialised T where one can be made, otherwise a std::logic_error.
template <class T>
T empty_task_result(std::string_view what) {
  report(severity::error, "coro.task.empty", what);
  if constexpr (std::is_void_v<T>) {
    return;
  } else if constexpr (std::is_default_constructible_v<T>) {
    return T{};
  } else {
#if CTXFLOW_HAS_EXCEPTIONS
    throw std::logic_error("ctxflow: wait for an empty task");
#else
    std::terminate();
#endif
  }
}

inline constexpr std::uintptr_t state_running = 0;
inline constexpr std::uintptr_t state_completed = 1;
inline constexpr std::uintptr_t state_detached = 2;

class promise_base {
 public:
  promise_base() noexcept = default;
  promise_base(const promise_base&) = delete;
  promise_base& operator=(const promise_base&) = delete;
  ~promise_base() { delete owned_unit_; }  // finishes the unit

  /// Lazy start. A root enters its own unit when it first runs; an inline child is already
  /// running in its parent's unit.
  struct initial_awaiter {
    promise_base* self;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<>) const noexcept {}
    void await_resume() const noexcept {
      if (self->owned_unit_) {
        self->owned_unit_->enter();
      } else if (self->unit_) {
        // An inline child starts at its parent's co_await, so an exception that left a span
        // scope of the parent earlier has been caught.
        self->unit_->settle_caught();
      }
    }
  };
  initial_awaiter initial_suspend() noexcept { return {this}; }

  struct final_awaiter {
    bool await_ready() const noexcept { return false; }
    template <class Promise>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> h) const noexcept {
      promise_base& p = h.promise();
      if (!p.owned_unit_) return p.continuation_ ? p.continuation_ : std::noop_coroutine();
      p.owned_unit_->leave();
      // acq_rel: publish the result to the joiner; see the joiner's registration.
      const std::uintptr_t old = p.join_state_.exchange(state_completed, std::memory_order_acq_rel);
      if (old == state_running) return std::noop_coroutine();
      if (old == state_detached) {
        h.destroy();
        return std::noop_coroutine();
      }
      if (old & 1u) {
        reinterpret_cast<blocking_waiter*>(old & ~std::uintptr_t{1})->signal();
        return std::noop_coroutine();
      }
      return std::coroutine_handle<>::from_address(reinterpret_cast<void*>(old));
    }
    void await_resume() const noexcept {}
  };
  final_awaiter final_suspend() noexcept {
    // Span scopes left by an exception that was caught (or already settled by
    // unhandled_exception) end here at the latest.
    if (unit_) unit_->settle_caught();
    return {};
  }

  /// Every co_await inside a task goes through here. Tasks run inline as part of this task
  /// (C6); everything else is wrapped so the task's unit is parked while it waits.
  template <class U>
  task<U>&& await_transform(task<U>&& t) noexcept {
    return std::move(t);
  }
  template <class A>
  auto await_transform(A&& a) {
    using awaiter = awaiter_t<A>;
    return unit_awaiter<awaiter>(get_awaiter(std::forward<A>(a)), unit_);
  }

  // --- used by task, spawn, sync_wait ---

  /// Makes this coroutine a root: an execution unit of its own, starting from `ctx`.
  /// Returns false when the unit cannot be allocated (the task then runs in no unit of its own).
  bool make_root(context ctx) noexcept {
    owned_unit_ = new (std::nothrow) execution_unit(std::move(ctx), "task");
    if (!owned_unit_) {
      report(severity::error, "coro.alloc_failed", "could not allocate a task's context unit");
      return false;
    }
    owned_unit_->mark_as_task();
    unit_ = owned_unit_;
    return true;
  }
  /// Runs this coroutine inline as part of `parent`'s unit, resuming `continuation` at the end.
  void set_parent(const promise_base* parent, std::coroutine_handle<> continuation) noexcept {
    unit_ = parent ? parent->unit_ : nullptr;
    continuation_ = continuation;
  }
  bool is_root() const noexcept { return owned_unit_ != nullptr; }
  std::atomic<std::uintptr_t>& join_state() noexcept { return join_state_; }
  /// A root whose body ends with an exception reports it to its current span (coro::spawn).
  void report_exception_to_span() noexcept { report_to_span_ = owned_unit_ != nullptr; }

 protected:
  /// The body ended with `error` (called from unhandled_exception, inside the handler): span
  /// scopes of this task left by it get its type and message; a spawned root also reports it
  /// to the span current in the task.
  void on_unhandled_exception(const std::exception_ptr& error) noexcept {
    if (unit_) unit_->end_with_exception(error, report_to_span_);
  }
  std::exception_ptr exception_;

 private:
  std::coroutine_handle<> continuation_;
  execution_unit* unit_ = nullptr;        // the unit this coroutine runs in
  execution_unit* owned_unit_ = nullptr;  // set for roots (spawned, sync_wait, ...)
  std::atomic<std::uintptr_t> join_state_{state_running};  // roots only; see blocking_waiter
  bool report_to_span_ = false;  // see report_exception_to_span()
};

template <class T>
class task_promise final : public promise_base {
 public:
  task<T> get_return_object() noexcept;
  template <class V>
    requires std::is_convertible_v<V&&, T>
  void return_value(V&& v) noexcept(std::is_nothrow_constructible_v<T, V&&>) {
    value_.template emplace<1>(std::forward<V>(v));
  }
  void unhandled_exception() noexcept {
    std::exception_ptr error = std::current_exception();
    on_unhandled_exception(error);
    value_.template emplace<2>(std::move(error));
  }

  T take_result() {
    if (value_.index() == 2) std::rethrow_exception(std::get<2>(value_));
    return std::move(std::get<1>(value_));
  }

 private:
  std::variant<std::monostate, T, std::exception_ptr> value_;
};

template <>
class task_promise<void> final : public promise_base {
 public:
  task<void> get_return_object() noexcept;
  void return_void() noexcept {}
  void unhandled_exception() noexcept {
    exception_ = std::current_exception();
    on_unhandled_exception(exception_);
  }
  void take_result() {
    if (exception_) std::rethrow_exception(exception_);
  }
};

}  // namespace detail

/// A lazily started coroutine producing a `T`.
///
/// Context: a task awaited with `co_await` runs as part of the awaiting task: it sees the
/// awaiter's context and what it leaves set is visible to the awaiter afterwards (C6). A task
/// started by spawn(), sync_wait() or run() is a task of its own, starting from a snapshot of the
/// starter's context. Inside a task, the current context belongs to the task: changes persist
/// across its suspensions, and every suspension and the end put back the resumer's (C5, C7).
/// Resumes on: whatever executor resumes it (see schedule_on).
/// Errors: an exception thrown in the body is rethrown at the `co_await` (or by sync_wait/run).
/// Thread safety: distinct objects: safe. Shared objects: unsafe.
///
/// Example:
/// ```
/// ctxflow::coro::task<int> answer() { co_return 42; }
/// ctxflow::coro::task<> caller() { int v = co_await answer(); }
/// ```
template <class T>
class [[nodiscard]] task {
 public:
  using promise_type = detail::task_promise<T>;
  using handle_type = std::coroutine_handle<promise_type>;
  using value_type = T;

  task() noexcept = default;
  explicit task(handle_type h) noexcept : h_(h) {}
  task(task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  task& operator=(task&& o) noexcept {
    if (this != &o) {
      if (h_) h_.destroy();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  task(const task&) = delete;
  task& operator=(const task&) = delete;
  ~task() {
    if (h_) h_.destroy();
  }

  bool valid() const noexcept { return static_cast<bool>(h_); }

  /// Awaiting a task starts it and resumes the awaiter with its result.
  auto operator co_await() && noexcept { return awaiter{h_}; }

  /// Low-level: gives up ownership of the coroutine.
  handle_type release() noexcept { return std::exchange(h_, {}); }
  handle_type handle() const noexcept { return h_; }

 private:
  struct awaiter {
    handle_type h;
    bool await_ready() const noexcept { return !h || h.done(); }
    template <class Promise>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> awaiting) noexcept {
      if constexpr (std::is_base_of_v<detail::promise_base, Promise>) {
        // Awaited by a task: run inline, in the awaiting task's unit (C6).
        h.promise().set_parent(&awaiting.promise(), awaiting);
      } else {
        // Awaited by a foreign coroutine: run as a root starting from the current context, and
        // resume the awaiter at completion.
        if (h.promise().make_root(context::current()))
          h.promise().join_state().store(reinterpret_cast<std::uintptr_t>(awaiting.address()),
                                         std::memory_order_relaxed);
        else
          h.promise().set_parent(nullptr, awaiting);
      }
      return h;
    }
    T await_resume() {
      if (!h) return detail::empty_task_result<T>("co_await of an empty (moved-from) task");
      return h.promise().take_result();
    }
  };

  handle_type h_;
};

namespace detail {
template <class T>
task<T> task_promise<T>::get_return_object() noexcept {
  return task<T>(std::coroutine_handle<task_promise<T>>::from_promise(*this));
}
inline task<void> task_promise<void>::get_return_object() noexcept {
  return task<void>(std::coroutine_handle<task_promise<void>>::from_promise(*this));
}
}  // namespace detail

}  // namespace ctxflow::coro
