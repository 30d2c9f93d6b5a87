// SPDX-License-Identifier: Apache-2.0
// sync_wait(task): runs a task to completion from ordinary code, blocking the calling thread.
#pragma once

#include <utility>

#include "ctxflow/coro/spawn.hpp"
#include "ctxflow/exec/inline_executor.hpp"

namespace ctxflow::coro {

/// Starts `t` on the calling thread, blocks until it finishes (wherever it ends) and returns its
/// result.
///
/// Context: the task starts from a snapshot of the caller's context (like spawn); the caller's
/// context is unchanged afterwards.
/// Errors: the task's exception is rethrown here; unlike spawn(), the caller's span is not
/// told about it (the caller's own span scope sees it escape).
template <class T>
T sync_wait(task<T> t) {
  exec::inline_executor here;
  auto handle = detail::spawn_root(here, std::move(t), false);
  return handle.get();
}

}  // namespace ctxflow::coro
