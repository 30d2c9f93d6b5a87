// SPDX-License-Identifier: Apache-2.0
// context_executor: turns any executor into one that captures the submitter's context at
// submission and runs each job with it, restoring the worker's previous context afterwards, also
// when the job throws (C4, C7).
#pragma once

#include <utility>

#include "ctxflow/exec/bind_context.hpp"
#include "ctxflow/exec/executor.hpp"

namespace ctxflow::exec {

/// Wraps `Executor`; post() and execute() bind the current context to every job.
///
/// Context: captured when post/execute is called (never when the worker was created); current
/// inside the job; the worker's own context is back when the job returns or throws.
/// Thread safety: as the wrapped executor.
///
/// Example:
/// ```
/// ctxflow::exec::context_executor ex{my_legacy_pool};
/// ex.post([] { assert(request_id.get() == 42); });
/// ```
template <executor Executor>
class context_executor {
 public:
  explicit context_executor(Executor inner) noexcept(
      std::is_nothrow_move_constructible_v<Executor>)
      : inner_(std::move(inner)) {}

  template <class Fn>
  void post(Fn&& fn) {
    exec::post(inner_, bind_context(std::forward<Fn>(fn)));
  }
  template <class Fn>
  void execute(Fn&& fn) {
    exec::post(inner_, bind_context(std::forward<Fn>(fn)));
  }

  Executor& inner() noexcept { return inner_; }
  const Executor& inner() const noexcept { return inner_; }

 private:
  Executor inner_;
};

template <class Executor>
context_executor(Executor) -> context_executor<Executor>;

}  // namespace ctxflow::exec
