// SPDX-License-Identifier: Apache-2.0
// when_all: runs several tasks concurrently, each a task of its own (Python's gather), and
// resumes with all their results.
#pragma once

#include <exception>
#include <tuple>
#include <utility>
#include <vector>

#include "ctxflow/coro/spawn.hpp"
#include "ctxflow/coro/task.hpp"
#include "ctxflow/exec/inline_executor.hpp"
#include "ctxflow/macros.hpp"

namespace ctxflow::coro {

namespace detail {
template <class T>
task<T> await_capturing(join_handle<T>& h, std::exception_ptr& first_error) {
  // Collects every child even after one failed, so no child outlives when_all.
  CTXFLOW_TRY { co_return co_await h; }
  CTXFLOW_CATCH_ALL {
    if (!first_error) first_error = std::current_exception();
  }
  if constexpr (!std::is_void_v<T>) co_return T{};
}
}  // namespace detail

/// Runs every task of `tasks` concurrently and returns their results in order.
///
/// Context: each child is a task of its own starting from a snapshot of the caller's context
/// taken now; siblings never see each other's changes, nor does the caller (C4, C6).
/// Resumes on: the thread that completes the last child.
/// Errors: waits for all children, then rethrows the first exception (in argument order). A
/// failing child does not mark the caller's span (unlike spawn); the rethrown exception reaches
/// the caller's own span scope.
template <class T>
task<std::vector<T>> when_all(std::vector<task<T>> tasks) {
  exec::inline_executor start_now;
  std::vector<join_handle<T>> handles;
  handles.reserve(tasks.size());
  for (auto& t : tasks) handles.push_back(detail::spawn_root(start_now, std::move(t), false));
  std::exception_ptr first_error;
  std::vector<T> results;
  results.reserve(handles.size());
  for (auto& h : handles) results.push_back(co_await detail::await_capturing(h, first_error));
  if (first_error) std::rethrow_exception(first_error);
  co_return results;
}

/// when_all for tasks without a result.
inline task<void> when_all(std::vector<task<void>> tasks) {
  exec::inline_executor start_now;
  std::vector<join_handle<void>> handles;
  handles.reserve(tasks.size());
  for (auto& t : tasks) handles.push_back(detail::spawn_root(start_now, std::move(t), false));
  std::exception_ptr first_error;
  for (auto& h : handles) co_await detail::await_capturing(h, first_error);
  if (first_error) std::rethrow_exception(first_error);
}

/// Runs tasks of different result types concurrently; returns a tuple of their results.
template <class... Ts>
  requires(sizeof...(Ts) > 0 && (!std::is_void_v<Ts> && ...))
task<std::tuple<Ts...>> when_all(task<Ts>... tasks) {
  exec::inline_executor start_now;
  std::tuple<join_handle<Ts>...> handles{
      detail::spawn_root(start_now, std::move(tasks), false)...};
  std::exception_ptr first_error;
  auto results = co_await std::apply(
      [&](auto&... h) -> task<std::tuple<Ts...>> {
        co_return std::tuple<Ts...>{co_await detail::await_capturing(h, first_error)...};
      },
      handles);
  if (first_error) std::rethrow_exception(first_error);
  co_return results;
}

}  // namespace ctxflow::coro
