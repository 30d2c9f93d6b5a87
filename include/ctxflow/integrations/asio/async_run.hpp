// SPDX-License-Identifier: Apache-2.0
// async_run(task, token): runs a ctxflow::coro::task as an Asio asynchronous operation, so an Asio
// coroutine can `co_await async_run(make_task(), boost::asio::use_awaitable)` (or any other
// completion token). The task starts from the awaiting coroutine's context (C4); the coroutine
// resumes through its own executor with its context intact (C5).
// See docs/design/asio.md.
#pragma once

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>

#include "ctxflow/coro/spawn.hpp"
#include "ctxflow/coro/task.hpp"
#include "ctxflow/exec/executor.hpp"
#include "ctxflow/exec/inline_executor.hpp"
#include "ctxflow/integrations/asio/legacy_namespace.hpp"
#include "ctxflow/macros.hpp"

namespace ctxflow::integrations::asio {

namespace detail {

template <class T>
struct run_signature {
  using type = void(std::exception_ptr, T);
};
template <>
struct run_signature<void> {
  using type = void(std::exception_ptr);
};

/// Keeps `Executor` busy (outstanding work) while the task runs.
template <class Executor>
auto track_work(const Executor& ex) {
  return boost::asio::prefer(ex, boost::asio::execution::outstanding_work.tracked);
}

/// The root that runs the user's task inline and then posts the handler to its executor.
template <class T, class Handler, class WorkExecutor>
coro::task<void> run_and_complete(coro::task<T> work, Handler handler, WorkExecutor ex) {
  std::exception_ptr error;
  if constexpr (std::is_void_v<T>) {
    CTXFLOW_TRY { co_await std::move(work); }
    CTXFLOW_CATCH_ALL { error = std::current_exception(); }
    boost::asio::post(ex, [h = std::move(handler), error]() mutable { std::move(h)(error); });
  } else {
    std::optional<T> value;
    CTXFLOW_TRY { value.emplace(co_await std::move(work)); }
    CTXFLOW_CATCH_ALL { error = std::current_exception(); }
    boost::asio::post(ex, [h = std::move(handler), error, v = std::move(value)]() mutable {
      std::move(h)(error, v ? std::move(*v) : T{});
    });
  }
}

/// Starts the task on `*starter`, or inline on the initiating thread when `starter` is null.
template <class Starter>
struct initiate_run {
  Starter* starter;
  template <class Handler, class T>
  void operator()(Handler&& handler, coro::task<T> work) const {
    auto ex = track_work(boost::asio::get_associated_executor(handler));
    auto root = run_and_complete<T, std::decay_t<Handler>, decltype(ex)>(
        std::move(work), std::forward<Handler>(handler), std::move(ex));
    // Dropping the join handle detaches the root; it frees itself when it finishes.
    if (starter) {
      (void)coro::spawn(*starter, std::move(root));
    } else {
      exec::inline_executor here;
      (void)coro::spawn(here, std::move(root));
    }
  }
};

}  // namespace detail

/// Runs `work` as an asynchronous operation completing with `void(std::exception_ptr, T)`
/// (`void(std::exception_ptr)` for `task<void>`), started on `starter` (a ctxflow executor:
/// thread_pool, event_loop, ...).
///
/// Contract: `work` runs as a task of its own; when it finishes, the completion handler is
/// posted to its associated executor (never called inline from the initiation). With
/// `boost::asio::use_awaitable` the awaiting coroutine gets the value or the exception.
/// Context: `work` starts from the context current when the operation is initiated (for
/// use_awaitable inside a coroutine spawned by integrations::asio::co_spawn: the coroutine's), and
/// its own changes stay in it (C4, C6). The handler runs with its executor's context (the
/// coroutine's, through its context_executor).
/// Errors: an exception from `work` is the handler's `std::exception_ptr`; `T` must then be
/// default-constructible (the value argument is `T{}`).
template <exec::executor Starter, class T, class CompletionToken>
auto async_run(Starter& starter, coro::task<T> work, CompletionToken&& token) {
  static_assert(std::is_void_v<T> || std::is_default_constructible_v<T>,
                "async_run needs a default-constructible result type");
  return boost::asio::async_initiate<CompletionToken, typename detail::run_signature<T>::type>(
      detail::initiate_run<Starter>{&starter}, token, std::move(work));
}

/// async_run on the initiating thread: `work` starts at once, inline, and continues wherever its
/// own awaits resume it.
template <class T, class CompletionToken>
auto async_run(coro::task<T> work, CompletionToken&& token) {
  static_assert(std::is_void_v<T> || std::is_default_constructible_v<T>,
                "async_run needs a default-constructible result type");
  return boost::asio::async_initiate<CompletionToken, typename detail::run_signature<T>::type>(
      detail::initiate_run<exec::inline_executor>{nullptr}, token, std::move(work));
}

}  // namespace ctxflow::integrations::asio
