// SPDX-License-Identifier: Apache-2.0
// thread_pool and inline_executor.
#include "ctxflow/exec/thread_pool.hpp"

#include <algorithm>
#include <cstdint>
#include <exception>
#include <utility>

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/context/execution_unit.hpp"
#include "ctxflow/exec/inline_executor.hpp"
#include "ctxflow/exec/run_item.hpp"
#include "ctxflow/macros.hpp"

namespace ctxflow::exec {

void run_guarded(unique_function& job) noexcept {
  CTXFLOW_TRY { job(); }
  CTXFLOW_CATCH_ALL {
    reportf(severity::error, "exec.job.exception", "a job threw and was dropped: %s",
            current_exception_message());
  }
}

bool run_item(std::coroutine_handle<> handle, unique_function& job) noexcept {
  // What the runner had before the item; C7: put back whatever the item left behind.
  context_checkpoint before;
  if (handle)
    handle.resume();
  else
    run_guarded(job);
  if (!before.restore()) return false;
  report(severity::warning, "exec.worker.context_leak",
         "work run by an executor left a context attached; the runner's context was restored");
  return true;
}

void inline_executor::run(unique_function& job) noexcept { run_guarded(job); }

thread_pool::thread_pool(std::size_t threads) {
  threads = std::max<std::size_t>(threads, 1);
  workers_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { worker_main(); });
}

thread_pool::~thread_pool() { join(); }

void thread_pool::push(item it) noexcept {
  // Notify under the lock: once it is released the item may complete and the pool be destroyed.
  std::lock_guard lock(mu_);
  if (stopping_ && workers_.empty()) {
    report(severity::error, "exec.pool.stopped", "work posted to a joined thread_pool was dropped");
    return;
  }
  queue_.push_back(std::move(it));
  cv_.notify_one();
}

void thread_pool::post(as_is_t, unique_function job) noexcept { push({{}, std::move(job)}); }

void thread_pool::post_handle(std::coroutine_handle<> h) noexcept { push({h, {}}); }

void thread_pool::worker_main() noexcept {
  detail::scheduler_scope sched(this);
  for (;;) {
    item it;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      it = std::move(queue_.front());
      queue_.pop_front();
    }
    if (run_item(it.handle, it.job)) leaks_repaired_.fetch_add(1, std::memory_order_relaxed);
  }
}

void thread_pool::join() noexcept {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && workers_.empty()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& w : workers_)
    if (w.joinable()) w.join();
  std::lock_guard lock(mu_);
  workers_.clear();
}

bool thread_pool::running_in_this_thread() const noexcept {
  return detail::tls_scheduler == static_cast<const scheduler*>(this);
}

thread_pool& default_pool() noexcept {
  static thread_pool pool(std::max(2u, std::thread::hardware_concurrency()));
  return pool;
}

}  // namespace ctxflow::exec
