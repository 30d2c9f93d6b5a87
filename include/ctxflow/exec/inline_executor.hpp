// SPDX-License-Identifier: Apache-2.0
// inline_executor: runs each job immediately on the calling thread. Useful to start a spawned
// task right away, and in tests.
#pragma once

#include <coroutine>

#include "ctxflow/exec/bind_context.hpp"
#include "ctxflow/exec/scheduler.hpp"

namespace ctxflow::exec {

/// Runs jobs and resumes coroutines on the calling thread, before post() returns.
///
/// Context: post() binds the caller's context (as every ctxflow executor does).
/// Thread safety: stateless; safe everywhere.
class inline_executor final : public scheduler {
 public:
  template <class Fn>
  void post(Fn&& fn) {
    bind_context(std::forward<Fn>(fn))();
  }
  void post(as_is_t, unique_function job) noexcept override { run(job); }
  void post_handle(std::coroutine_handle<> h) noexcept override { h.resume(); }

 private:
  static void run(unique_function& job) noexcept;
};

}  // namespace ctxflow::exec
