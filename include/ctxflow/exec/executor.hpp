// SPDX-License-Identifier: Apache-2.0
// The executor concept ctxflow accepts (anything with post(fn) or execute(fn)), and submit(),
// which hands a job to such an executor. See docs/design/context.md, "Executors".
#pragma once

#include <concepts>
#include <utility>

#include "ctxflow/exec/unique_function.hpp"

namespace ctxflow::exec {

/// Anything that accepts a `void()` job through `post` or `execute`.
template <class E>
concept executor = requires(E& e, unique_function f) { e.post(std::move(f)); } ||
                   requires(E& e, unique_function f) { e.execute(std::move(f)); };

/// Hands `fn` to `ex` as-is (no context capture; see context_executor / bind_context for that).
template <executor E, class Fn>
void submit(E& ex, Fn&& fn) {
  if constexpr (requires { ex.post(std::forward<Fn>(fn)); })
    ex.post(std::forward<Fn>(fn));
  else
    ex.execute(std::forward<Fn>(fn));
}

}  // namespace ctxflow::exec
