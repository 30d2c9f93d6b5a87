// SPDX-License-Identifier: Apache-2.0
// yield(): an awaitable that puts the awaiting task at the back of its scheduler's queue, so that
// the other work already queued there runs first (Python's `await asyncio.sleep(0)`).
#pragma once

#include <coroutine>

#include "ctxflow/exec/scheduler.hpp"

namespace ctxflow::coro {

/// The awaitable returned by yield().
class yield_awaitable {
 public:
  /// Takes the scheduler running the calling thread.
  yield_awaitable() noexcept : here_(exec::current_scheduler()) {}
  /// On a thread no ctxflow scheduler runs there is no queue to go to: no suspension.
  bool await_ready() const noexcept { return here_ == nullptr; }
  void await_suspend(std::coroutine_handle<> h) const noexcept { here_->post_handle(h); }
  void await_resume() const noexcept {}

 private:
  exec::scheduler* here_;
};

/// `co_await yield()` suspends the task and queues it again on the scheduler it is running on
/// (exec::current_scheduler(): an event loop or a thread pool); jobs and tasks queued before it
/// run first.
///
/// Context: unchanged: the task's own context is current again afterwards (C5), and the thread
/// gets its previous context back while the task waits (C7).
/// Resumes on: the same scheduler. On a thread no ctxflow scheduler runs (a plain thread,
/// sync_wait on a plain thread), it does not suspend and the task simply continues.
/// Allocation: none.
///
/// Example:
/// ```
/// for (auto& item : batch) {
///   process(item);
///   co_await ctxflow::coro::yield();   // let the loop's other tasks run between items
/// }
/// ```
inline yield_awaitable yield() noexcept { return {}; }

}  // namespace ctxflow::coro
