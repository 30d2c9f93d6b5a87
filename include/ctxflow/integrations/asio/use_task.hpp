// SPDX-License-Identifier: Apache-2.0
// use_task: a completion token that turns any Asio asynchronous operation into something a
// ctxflow::coro::task can co_await (`co_await timer.async_wait(use_task)`). The task keeps its
// own context across the wait (C5) and the thread that completes the operation keeps its own
// (C7); the task resumes on the ctxflow scheduler it was running on.
// See docs/design/asio.md.
#pragma once

#include <coroutine>
#include <exception>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

#include <boost/asio/async_result.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

#include "ctxflow/exec/scheduler.hpp"
#include "ctxflow/integrations/asio/legacy_namespace.hpp"

namespace ctxflow::integrations::asio {

/// The completion token type of use_task.
struct use_task_t {
  constexpr use_task_t() noexcept = default;
};

/// Pass as the completion token of an Asio operation inside a ctxflow::coro::task:
/// `std::size_t n = co_await socket.async_read_some(buf, ctxflow::integrations::asio::use_task);`
///
/// Contract: the operation starts when the result is awaited (once). The result of
/// `co_await` is made from the completion arguments: a leading `error_code` or
/// `std::exception_ptr` is not returned but thrown when set (`boost::system::system_error`, or
/// the exception itself); of the rest, none gives `void`, one gives that value, several give a
/// `std::tuple`.
/// Context: the awaiting task's context is current again after the `co_await`, whichever
/// thread completed the operation (C5); the completing thread's context is untouched (C7).
/// Resumes on: the ctxflow scheduler (event loop, thread pool) that was running the task when it
/// awaited; when there was none (a plain thread, an Asio thread), the thread that ran the
/// completion handler.
/// Errors: as above; the operation's own failures arrive as exceptions at the `co_await`.
inline constexpr use_task_t use_task{};

namespace detail {

template <class... Args>
struct completion_values {
  using stored = std::tuple<std::decay_t<Args>...>;
};

template <class T>
inline constexpr bool is_error_first_v =
    std::is_same_v<std::decay_t<T>, boost::system::error_code> ||
    std::is_same_v<std::decay_t<T>, std::exception_ptr>;

template <class... Args>
struct first_is_error : std::false_type {};
template <class First, class... Rest>
struct first_is_error<First, Rest...> : std::bool_constant<is_error_first_v<First>> {};

/// The awaitable an operation started with use_task returns.
template <class Initiation, class InitArgs, class... Args>
class use_task_awaitable {
 public:
  use_task_awaitable(Initiation init, InitArgs args)
      : init_(std::move(init)), args_(std::move(args)) {}
  use_task_awaitable(use_task_awaitable&&) = default;
  use_task_awaitable(const use_task_awaitable&) = delete;
  use_task_awaitable& operator=(const use_task_awaitable&) = delete;

  /// The completion handler: stores the arguments and resumes the awaiting coroutine.
  struct handler {
    use_task_awaitable* self;
    template <class... A>
    void operator()(A&&... a) {
      self->result_.emplace(std::forward<A>(a)...);
      exec::scheduler* back = self->back_;
      const std::coroutine_handle<> h = self->waiter_;
      if (back)
        back->post_handle(h);
      else
        h.resume();
    }
  };

  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    waiter_ = h;
    back_ = exec::current_scheduler();
    // After the initiation returns the operation may already have completed on another thread
    // and resumed the coroutine: nothing here touches *this afterwards.
    std::apply(
        [&](auto&&... a) { std::move(init_)(handler{this}, std::forward<decltype(a)>(a)...); },
        std::move(args_));
  }
  decltype(auto) await_resume() {
    auto& values = *result_;
    if constexpr (first_is_error<Args...>::value) {
      using first = std::decay_t<std::tuple_element_t<0, std::tuple<Args...>>>;
      if constexpr (std::is_same_v<first, boost::system::error_code>) {
        if (std::get<0>(values)) throw boost::system::system_error(std::get<0>(values));
      } else {
        if (std::get<0>(values)) std::rethrow_exception(std::get<0>(values));
      }
      return rest<1>(values, std::make_index_sequence<sizeof...(Args) - 1>{});
    } else {
      return rest<0>(values, std::make_index_sequence<sizeof...(Args)>{});
    }
  }

 private:
  template <std::size_t Offset, class Tuple, std::size_t... I>
  static auto rest(Tuple& values, std::index_sequence<I...>) {
    if constexpr (sizeof...(I) == 0)
      return;
    else if constexpr (sizeof...(I) == 1)
      return std::move(std::get<Offset>(values));
    else
      return std::make_tuple(std::move(std::get<Offset + I>(values))...);
  }

  Initiation init_;
  InitArgs args_;
  std::optional<typename completion_values<Args...>::stored> result_;
  std::coroutine_handle<> waiter_;
  exec::scheduler* back_ = nullptr;
};

}  // namespace detail

}  // namespace ctxflow::integrations::asio

namespace boost::asio {

/// Makes use_task a completion token for any signature `void(Args...)`.
template <class... Args>
class async_result<::ctxflow::integrations::asio::use_task_t, void(Args...)> {
 public:
  template <class Initiation, class... InitArgs>
  static auto initiate(Initiation&& init, ::ctxflow::integrations::asio::use_task_t,
                       InitArgs&&... args) {
    using awaitable = ::ctxflow::integrations::asio::detail::use_task_awaitable<
        std::decay_t<Initiation>, std::tuple<std::decay_t<InitArgs>...>, Args...>;
    return awaitable(std::forward<Initiation>(init),
                     std::tuple<std::decay_t<InitArgs>...>(std::forward<InitArgs>(args)...));
  }
};

}  // namespace boost::asio
