// SPDX-License-Identifier: Apache-2.0
// The wrapper a task puts around everything it awaits (except another task it runs inline):
// before suspending it parks the task's execution unit and puts back the resumer's context; on
// resumption, on whatever thread, it makes the task's unit current again (C5, C7).
// See docs/design/context.md, "Tasks".
#pragma once

#include <coroutine>
#include <exception>
#include <type_traits>
#include <utility>

#include "ctxflow/context/execution_unit.hpp"
#include "ctxflow/macros.hpp"

namespace ctxflow::coro::detail {

/// The awaiter that `co_await a` uses for an awaitable `a`: `a.operator co_await()`,
/// `operator co_await(a)`, or `a` itself. Returns a reference for lvalue awaiters.
template <class A>
decltype(auto) get_awaiter(A&& a) noexcept(noexcept(std::forward<A>(a))) {
  if constexpr (requires { std::forward<A>(a).operator co_await(); })
    return std::forward<A>(a).operator co_await();
  else if constexpr (requires { operator co_await(std::forward<A>(a)); })
    return operator co_await(std::forward<A>(a));
  else
    return std::forward<A>(a);
}

template <class A>
using awaiter_t = decltype(get_awaiter(std::declval<A>()));

/// Wraps `Awaiter` (a value, or an lvalue reference for lvalue awaiters).
template <class Awaiter>
class unit_awaiter {
 public:
  unit_awaiter(Awaiter&& inner, execution_unit* unit) noexcept
      : inner_(std::forward<Awaiter>(inner)), unit_(unit) {}

  bool await_ready() { return inner_.await_ready(); }

  template <class Promise>
  auto await_suspend(std::coroutine_handle<Promise> h) {
    using result = decltype(inner_.await_suspend(h));
    static_assert(std::is_void_v<result> || std::is_same_v<result, bool> ||
                  std::is_convertible_v<result, std::coroutine_handle<>>);
    // Park the task before handing the handle over: once inner_.await_suspend runs, another
    // thread may resume the task at any moment.
    if (!unit_) return inner_.await_suspend(h);
    // A span scope left by an exception the task has since caught is settled before leaving.
    suspended_ = true;
    unit_->suspend();
    CTXFLOW_TRY { return inner_.await_suspend(h); }
    CTXFLOW_CATCH_ALL {
      // The coroutine resumes with the exception: it must be running in its unit again.
      suspended_ = false;
      unit_->enter();
      std::rethrow_exception(std::current_exception());
    }
  }

  decltype(auto) await_resume() {
    if (suspended_) unit_->resume();
    return inner_.await_resume();
  }

 private:
  Awaiter inner_;
  execution_unit* unit_;
  bool suspended_ = false;
};

}  // namespace ctxflow::coro::detail
