// SPDX-License-Identifier: Apache-2.0
// ctxflow::integrations::asio::co_spawn: boost::asio::co_spawn with ctxflow's context rules. The
// spawner's context is captured at the call (C4) into a context cell owned by the spawned
// coroutine; the coroutine runs on a context_executor, so its context survives every co_await,
// on any thread of the io_context (C5), never reaches the spawner or other coroutines (C6), and
// every handler leaves the thread as it found it (C7). Asio itself is unchanged (C9).
// See docs/design/asio.md.
#pragma once

#include <type_traits>
#include <typeinfo>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/is_executor.hpp>
#include <boost/asio/strand.hpp>

#include "ctxflow/context/context.hpp"
#include "ctxflow/integrations/asio/context_executor.hpp"

namespace ctxflow::integrations::asio {

namespace detail {

template <class T>
struct is_context_executor : std::false_type {};
template <class E>
struct is_context_executor<context_executor<E>> : std::true_type {};

/// The target of `ex` when it is a `T`, else null. Boost before 1.75 does not check the type in
/// `any_executor::target<T>()` (it casts whatever the executor holds), so the type is compared
/// here first; without that, a strand would be read as a context_executor and the coroutine would
/// run on the bare io_context, off its strand.
template <class T>
const T* target_if(const boost::asio::any_io_executor& ex) noexcept {
  if (!ex || ex.target_type() != typeid(T)) return nullptr;
  return ex.template target<T>();
}

/// Calls `f` with the executor to wrap: the inner executor when `ex` already is (or, for the
/// polymorphic `any_io_executor`, holds) a context_executor, so a coroutine spawned from
/// inside another one gets a cell of its own instead of running inside the other's.
template <class Executor, class F>
decltype(auto) with_unwrapped(const Executor& ex, F&& f) {
  if constexpr (is_context_executor<Executor>::value) {
    return f(ex.get_inner_executor());
  } else if constexpr (std::is_same_v<Executor, boost::asio::any_io_executor>) {
    using io_ex = boost::asio::io_context::executor_type;
    if (const auto* w = target_if<context_executor<io_ex>>(ex))
      return f(boost::asio::any_io_executor(w->get_inner_executor()));
    if (const auto* w = target_if<context_executor<boost::asio::strand<io_ex>>>(ex))
      return f(boost::asio::any_io_executor(w->get_inner_executor()));
    if (const auto* w = target_if<context_executor<boost::asio::any_io_executor>>(ex))
      return f(w->get_inner_executor());
    return f(ex);
  } else {
    return f(ex);
  }
}

template <class E>
concept asio_executor =
    boost::asio::execution::is_executor<E>::value || boost::asio::is_executor<E>::value;

}  // namespace detail

/// `ex` without its context_executor wrapper, when it has one (a coroutine's executor from
/// `co_await boost::asio::this_coro::executor`). Give I/O objects that outlive one coroutine
/// (pooled connections, listeners) the unwrapped executor.
inline boost::asio::any_io_executor unwrap_executor(const boost::asio::any_io_executor& ex) {
  return detail::with_unwrapped(ex, [](const auto& e) { return boost::asio::any_io_executor(e); });
}

/// Spawns the awaitable `a` on `ex` as a coroutine with a context of its own and returns what
/// `boost::asio::co_spawn` returns for `token` (`boost::asio::detached`, `use_future`, a
/// callback taking `std::exception_ptr` and the result, ...).
///
/// Contract: `a` runs on a context_executor wrapping `ex` (the unwrapped inner executor when
/// `ex` is itself the executor of a coroutine spawned here), so `co_await
/// boost::asio::this_coro::executor` inside `a` returns that wrapper.
/// Context: the caller's current context is captured now (C4) into a cell owned by the spawned
/// coroutine. Inside `a` that context is current at the start and after every co_await, on
/// whichever thread resumes it; what `a` makes current (a span from start_as_current_span, a
/// context_var) stays current across its suspensions (C5) and never reaches the caller or other
/// coroutines (C6); each thread that runs a piece of `a` gets its previous context back after it
/// (C7). The completion handler runs with the coroutine's context unless `token` has an
/// associated executor of its own.
/// Cancellation: `token` reaches boost::asio::co_spawn unchanged, so its associated
/// cancellation slot (`boost::asio::bind_cancellation_slot`) becomes the coroutine's: emitting
/// the signal cancels the operation `a` awaits, in nested awaitables too (terminal cancellation
/// passes the default filter). http_server relies on this for its shutdown.
/// Resumes on: `ex` (through the wrapper).
/// Errors: as boost::asio::co_spawn: an exception escaping `a` goes to the completion handler.
/// Thread safety: may be called from any thread.
///
/// Example:
/// ```
/// auto span = tracer.start_as_current_span("request");
/// ctxflow::integrations::asio::co_spawn(io, handle(), boost::asio::detached);  // sees "request"
/// ```
template <detail::asio_executor Executor, class T, class AwaitableExecutor, class CompletionToken>
auto co_spawn(const Executor& ex, boost::asio::awaitable<T, AwaitableExecutor> a,
              CompletionToken&& token) {
  return detail::with_unwrapped(ex, [&](const auto& inner) {
    using inner_type = std::decay_t<decltype(inner)>;
    context_executor<inner_type> wrapped(inner, ctxflow::context::current());
    return boost::asio::co_spawn(wrapped, std::move(a), std::forward<CompletionToken>(token));
  });
}

/// As co_spawn(ex, a, token), but the coroutine starts from `start` instead of the current
/// context (for example an empty context for a server's accept loop, or an extracted one).
template <detail::asio_executor Executor, class T, class AwaitableExecutor, class CompletionToken>
auto co_spawn(const Executor& ex, ctxflow::context start,
              boost::asio::awaitable<T, AwaitableExecutor> a, CompletionToken&& token) {
  return detail::with_unwrapped(ex, [&](const auto& inner) {
    using inner_type = std::decay_t<decltype(inner)>;
    context_executor<inner_type> wrapped(inner, std::move(start));
    return boost::asio::co_spawn(wrapped, std::move(a), std::forward<CompletionToken>(token));
  });
}

/// co_spawn(ctx.get_executor(), a, token).
template <class ExecutionContext, class T, class AwaitableExecutor, class CompletionToken>
  requires std::is_convertible_v<ExecutionContext&, boost::asio::execution_context&>
auto co_spawn(ExecutionContext& ctx, boost::asio::awaitable<T, AwaitableExecutor> a,
              CompletionToken&& token) {
  return integrations::asio::co_spawn(ctx.get_executor(), std::move(a),
                                    std::forward<CompletionToken>(token));
}

/// Spawns the awaitable returned by `f()`; `f` is called inside the new coroutine, with its
/// context current. Otherwise as the overload taking an awaitable.
template <detail::asio_executor Executor, class F, class CompletionToken>
  requires std::is_invocable_v<std::decay_t<F>&>
auto co_spawn(const Executor& ex, F&& f, CompletionToken&& token) {
  return detail::with_unwrapped(ex, [&](const auto& inner) {
    using inner_type = std::decay_t<decltype(inner)>;
    context_executor<inner_type> wrapped(inner, ctxflow::context::current());
    return boost::asio::co_spawn(wrapped, std::forward<F>(f),
                                 std::forward<CompletionToken>(token));
  });
}

/// co_spawn(ctx.get_executor(), f, token).
template <class ExecutionContext, class F, class CompletionToken>
  requires std::is_convertible_v<ExecutionContext&, boost::asio::execution_context&> &&
           std::is_invocable_v<std::decay_t<F>&>
auto co_spawn(ExecutionContext& ctx, F&& f, CompletionToken&& token) {
  return integrations::asio::co_spawn(ctx.get_executor(), std::forward<F>(f),
                                    std::forward<CompletionToken>(token));
}

}  // namespace ctxflow::integrations::asio
