// SPDX-License-Identifier: Apache-2.0
// The executor concept ctxflow accepts (anything with post(fn) or execute(fn)), and post(ex, fn),
// which hands a job to such an executor (the one name for submitting work: see scheduler.hpp).
// See docs/design/context.md, "How the wrappers capture and restore", and docs/usage/executors.md.
#pragma once

#include <concepts>
#include <utility>

#include "ctxflow/exec/unique_function.hpp"

namespace ctxflow::exec {

/// Anything that accepts a `void()` job through `post` or `execute`.
template <class E>
concept executor = requires(E& e, unique_function f) { e.post(std::move(f)); } ||
                   requires(E& e, unique_function f) { e.execute(std::move(f)); };

/// Hands `fn` to `ex` through its post(fn), or execute(fn) when it has no post. Adds no context
/// of its own: a ctxflow executor binds the submitter's context in its post(); for any other,
/// see context_executor / bind_context.
template <executor E, class Fn>
void post(E& ex, Fn&& fn) {
  if constexpr (requires { ex.post(std::forward<Fn>(fn)); })
    ex.post(std::forward<Fn>(fn));
  else
    ex.execute(std::forward<Fn>(fn));
}

/// Former name of post(ex, fn).
template <executor E, class Fn>
[[deprecated("use ctxflow::exec::post(ex, fn)")]] void submit(E& ex, Fn&& fn) {
  exec::post(ex, std::forward<Fn>(fn));
}

}  // namespace ctxflow::exec
