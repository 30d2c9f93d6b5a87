// SPDX-License-Identifier: Apache-2.0
// spawn(executor, task): starts a task of its own on an executor with a snapshot of the
// spawner's context (C4, Python's create_task), and returns an awaitable join_handle.
// spawn(task) does the same on the event loop or thread pool running the caller.
#pragma once

#include <atomic>
#include <coroutine>
#include <cstdint>
#include <utility>

#include "ctxflow/context/context.hpp"
#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/coro/task.hpp"
#include "ctxflow/exec/executor.hpp"
#include "ctxflow/exec/scheduler.hpp"
#include "ctxflow/exec/thread_pool.hpp"

namespace ctxflow::coro {

namespace detail {
/// Resumes `h` on `ex`: without allocation on ctxflow's own executors.
template <class Executor>
void resume_on(Executor& ex, std::coroutine_handle<> h) {
  if constexpr (std::is_base_of_v<exec::scheduler, Executor>)
    static_cast<exec::scheduler&>(ex).post_handle(h);
  else
    exec::post(ex, [h] { h.resume(); });
}
}  // namespace detail

/// Owns a spawned task: await it for the result, or drop it to let the task run on detached.
///
/// Context: awaiting a join_handle never changes the awaiter's context; the spawned task's
/// changes stay in the spawned task (C6).
/// Resumes on: the thread that completed the spawned task (or at once if it already had).
/// Errors: the task's exception is rethrown at `co_await` / get().
/// Thread safety: distinct objects: safe. Shared objects: unsafe. Await at most once.
template <class T>
class [[nodiscard]] join_handle {
 public:
  using handle_type = typename task<T>::handle_type;

  join_handle() noexcept = default;
  explicit join_handle(handle_type h) noexcept : h_(h) {}
  join_handle(join_handle&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  join_handle& operator=(join_handle&& o) noexcept {
    if (this != &o) {
      release_frame();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  join_handle(const join_handle&) = delete;
  join_handle& operator=(const join_handle&) = delete;
  ~join_handle() { release_frame(); }

  bool valid() const noexcept { return static_cast<bool>(h_); }
  /// True once the task has finished.
  bool done() const noexcept {
    return h_ && h_.promise().join_state().load(std::memory_order_acquire) ==
                     detail::state_completed;
  }

  auto operator co_await() noexcept { return awaiter{h_}; }

  /// Blocks the calling thread until the task finishes and returns its result.
  /// Never call it on the thread that must run the task.
  T get() {
    if (!h_) return detail::empty_task_result<T>("get() on an empty join_handle");
    wait();
    return h_.promise().take_result();
  }
  /// Blocks the calling thread until the task finishes. Returns at once on an empty handle.
  void wait() noexcept {
    if (!h_) return;
    detail::blocking_waiter w;
    std::uintptr_t expected = detail::state_running;
    // acq_rel on success: publish the waiter; acquire on failure: see the completed result.
    if (h_.promise().join_state().compare_exchange_strong(
            expected, reinterpret_cast<std::uintptr_t>(&w) | 1u, std::memory_order_acq_rel,
            std::memory_order_acquire))
      w.wait();
  }

 private:
  struct awaiter {
    handle_type h;
    bool await_ready() const noexcept {
      return !h ||
             h.promise().join_state().load(std::memory_order_acquire) == detail::state_completed;
    }
    bool await_suspend(std::coroutine_handle<> awaiting) const noexcept {
      std::uintptr_t expected = detail::state_running;
      // Fails only when the task completed meanwhile: then continue at once.
      return h.promise().join_state().compare_exchange_strong(
          expected, reinterpret_cast<std::uintptr_t>(awaiting.address()),
          std::memory_order_acq_rel, std::memory_order_acquire);
    }
    T await_resume() {
      if (!h) return detail::empty_task_result<T>("co_await of an empty join_handle");
      return h.promise().take_result();
    }
  };

  void release_frame() noexcept {
    if (!h_) return;
    // acq_rel: if the task completed, its writes must be visible before we destroy it.
    const std::uintptr_t old =
        h_.promise().join_state().exchange(detail::state_detached, std::memory_order_acq_rel);
    if (old == detail::state_completed) h_.destroy();
    h_ = {};
  }

  handle_type h_;
};

namespace detail {
template <class Executor, class T>
join_handle<T> spawn_root(Executor& ex, task<T> t, bool report_exception_to_span) {
  auto h = t.release();
  if (!h) return {};
  if (h.promise().make_root(context::current()) && report_exception_to_span)
    h.promise().report_exception_to_span();
  resume_on(ex, h);
  return join_handle<T>(h);
}
}  // namespace detail

/// Starts `t` as a task of its own on `ex` and returns its join handle.
///
/// Context: the spawner's current context is captured now, at submission (C4); the task
/// starts from it and its own changes never reach the spawner or its siblings (C6).
/// Resumes on: `ex` for the first step; later steps wherever the task's awaits resume it.
/// Errors: when the task's body ends with an exception, the span current in the task at that
/// moment (usually the spawner's span, from the snapshot) records it like a span scope left by
/// it: an `exception` event with `exception.type` and `exception.message`, and status ERROR
/// with the message, if the span is still recording. The exception is then rethrown to
/// whoever awaits the join handle, as before.
template <exec::executor Executor, class T>
join_handle<T> spawn(Executor& ex, task<T> t) {
  return detail::spawn_root(ex, std::move(t), true);
}

/// Starts `t` as a task of its own on the scheduler running the caller (the event loop or the
/// thread-pool worker, exec::current_scheduler()) and returns its join handle: inside a task,
/// the equivalent of Python's `asyncio.create_task(coro)`.
///
/// Precondition: called on a thread run by a ctxflow scheduler (inside event_loop::run(),
/// coro::run(), or a job or task on a thread_pool). Elsewhere (a plain thread, sync_wait on a
/// plain thread, an Asio thread) there is no loop to join: the call reports
/// `coro.spawn.no_scheduler` (severity error) and starts the task on exec::default_pool()
/// instead, so the task still runs and the handle still works.
/// Context, errors: as spawn(ex, t): the snapshot is taken now (C4), the task's changes stay in
/// it (C6).
/// Resumes on: the caller's scheduler for the first step (after the caller's current step, on a
/// single-threaded event loop); later steps wherever the task's awaits resume it.
///
/// Example:
/// ```
/// ctxflow::coro::task<> handler() {
///   auto child = ctxflow::coro::spawn(fetch());   // starts on this loop, sees our span
///   co_await other_work();
///   auto body = co_await child;
/// }
/// ```
template <class T>
join_handle<T> spawn(task<T> t) {
  if (exec::scheduler* here = exec::current_scheduler())
    return detail::spawn_root(*here, std::move(t), true);
  report(severity::error, "coro.spawn.no_scheduler",
         "spawn(task) outside an event loop or thread pool: the task runs on "
         "exec::default_pool()");
  return detail::spawn_root(exec::default_pool(), std::move(t), true);
}

}  // namespace ctxflow::coro
