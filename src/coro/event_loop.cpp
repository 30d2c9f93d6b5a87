// SPDX-License-Identifier: Apache-2.0
// event_loop.
#include "ctxflow/coro/event_loop.hpp"

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/exec/run_item.hpp"

namespace ctxflow::coro {
namespace {
thread_local constinit event_loop* tls_loop = nullptr;
}  // namespace

event_loop::event_loop() = default;

event_loop::~event_loop() {
  // Coroutines still queued or sleeping are not resumed; their owners destroy them.
  std::lock_guard lock(mu_);
  if (!queue_.empty() || !timers_.empty())
    reportf(severity::debug, "coro.loop.abandoned", "event_loop destroyed with %zu jobs and %zu timers",
            queue_.size(), timers_.size());
}

event_loop* event_loop::current() noexcept { return tls_loop; }

// Notifying under the lock: the item may let another thread finish and destroy this loop as
// soon as the lock is released, so nothing here may touch the loop after unlocking.
void event_loop::push(item it) noexcept {
  std::lock_guard lock(mu_);
  queue_.push_back(std::move(it));
  cv_.notify_one();
}

void event_loop::post(exec::as_is_t, exec::unique_function job) noexcept {
  push({{}, std::move(job)});
}

void event_loop::post_handle(std::coroutine_handle<> h) noexcept { push({h, {}}); }

void event_loop::schedule_at(clock::time_point deadline, std::coroutine_handle<> h) noexcept {
  std::lock_guard lock(mu_);
  timers_.push(timer{deadline, timer_seq_++, h});
  cv_.notify_one();
}

void event_loop::stop() noexcept {
  std::lock_guard lock(mu_);
  stop_requested_ = true;
  cv_.notify_one();
}

void event_loop::run() noexcept {
  exec::detail::scheduler_scope sched(this);
  event_loop* const prev_loop = std::exchange(tls_loop, this);
  for (;;) {
    item it;
    {
      std::unique_lock lock(mu_);
      for (;;) {
        const auto now = clock::now();
        while (!timers_.empty() && timers_.top().deadline <= now) {
          queue_.push_back({timers_.top().handle, {}});
          timers_.pop();
        }
        if (stop_requested_ || !queue_.empty()) break;
        if (timers_.empty())
          cv_.wait(lock);
        else
          cv_.wait_until(lock, timers_.top().deadline);
      }
      if (stop_requested_) {
        stop_requested_ = false;
        break;
      }
      it = std::move(queue_.front());
      queue_.pop_front();
    }
    exec::run_item(it.handle, it.job);
  }
  tls_loop = prev_loop;
}

}  // namespace ctxflow::coro
