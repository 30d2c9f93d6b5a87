// SPDX-License-Identifier: Apache-2.0
// to_thread(fn): runs a blocking callable on a thread pool with the task's context and resumes
// the task with its result (Python's asyncio.to_thread, with the context carried automatically).
#pragma once

#include <coroutine>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include "ctxflow/context/context.hpp"
#include "ctxflow/context/execution_unit.hpp"
#include "ctxflow/exec/scheduler.hpp"
#include "ctxflow/exec/thread_pool.hpp"
#include "ctxflow/macros.hpp"

namespace ctxflow::coro {

/// Awaitable returned by to_thread().
template <class Fn>
class to_thread_awaitable {
 public:
  using result_type = std::invoke_result_t<Fn&>;

  to_thread_awaitable(Fn fn, exec::thread_pool& pool)
      : fn_(std::move(fn)), pool_(&pool), ctx_(context::current()),
        back_(exec::current_scheduler()) {}

  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    pool_->post(exec::as_is, exec::unique_function([this, h] {
      {
        execution_unit_scope unit(std::move(ctx_), "to_thread call");
        CTXFLOW_TRY { invoke(); }
        CTXFLOW_CATCH_ALL { result_.template emplace<2>(std::current_exception()); }
      }
      if (back_)
        back_->post_handle(h);
      else
        h.resume();
    }));
  }
  result_type await_resume() {
    if (result_.index() == 2) std::rethrow_exception(std::get<2>(result_));
    if constexpr (!std::is_void_v<result_type>) return std::move(std::get<1>(result_));
  }

 private:
  void invoke() {
    if constexpr (std::is_void_v<result_type>) {
      fn_();
      result_.template emplace<1>();
    } else {
      result_.template emplace<1>(fn_());
    }
  }
  using stored = std::conditional_t<std::is_void_v<result_type>, std::monostate, result_type>;

  Fn fn_;
  exec::thread_pool* pool_;
  context ctx_;
  exec::scheduler* back_;
  std::variant<std::monostate, stored, std::exception_ptr> result_;
};

/// `co_await to_thread(fn)` runs `fn` on `pool` (default: exec::default_pool()) and returns
/// its result.
///
/// Context: `fn` runs with the task's current context at the call (C4); changes it makes stay
/// inside the call (C6); the worker's slot is empty afterwards (C7).
/// Resumes on: the scheduler the task was running on (event loop or pool); from a plain thread,
/// the pool thread that ran `fn`.
/// Errors: an exception from `fn` is rethrown at the `co_await`.
template <class Fn>
to_thread_awaitable<std::decay_t<Fn>> to_thread(Fn&& fn,
                                                exec::thread_pool& pool = exec::default_pool()) {
  return to_thread_awaitable<std::decay_t<Fn>>(std::forward<Fn>(fn), pool);
}

}  // namespace ctxflow::coro
