// SPDX-License-Identifier: Apache-2.0
// The process-wide timer thread behind sleep_for() outside an event loop.
#include "ctxflow/coro/detail/timer_service.hpp"

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

namespace ctxflow::coro::detail {
namespace {

class timer_service {
 public:
  timer_service() : thread_([this] { main(); }) {}
  ~timer_service() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }

  void add(std::chrono::steady_clock::time_point deadline, std::coroutine_handle<> h,
           exec::scheduler* back) noexcept {
    std::lock_guard lock(mu_);
    timers_.push(entry{deadline, seq_++, h, back});
    cv_.notify_one();
  }

 private:
  struct entry {
    std::chrono::steady_clock::time_point deadline;
    std::uint64_t seq;
    std::coroutine_handle<> handle;
    exec::scheduler* back;
    bool operator>(const entry& o) const noexcept {
      return deadline != o.deadline ? deadline > o.deadline : seq > o.seq;
    }
  };

  void main() noexcept {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      if (timers_.empty()) {
        cv_.wait(lock);
        continue;
      }
      const entry top = timers_.top();
      if (top.deadline > std::chrono::steady_clock::now()) {
        cv_.wait_until(lock, top.deadline);
        continue;
      }
      timers_.pop();
      lock.unlock();
      if (top.back)
        top.back->post_handle(top.handle);
      else
        top.handle.resume();
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::priority_queue<entry, std::vector<entry>, std::greater<>> timers_;  // guarded by mu_
  std::uint64_t seq_ = 0;                                                  // guarded by mu_
  bool stopping_ = false;                                                  // guarded by mu_
  std::thread thread_;
};

timer_service& service() noexcept {
  static timer_service s;
  return s;
}

}  // namespace

void schedule_timer(std::chrono::steady_clock::time_point deadline, std::coroutine_handle<> h,
                    exec::scheduler* back) noexcept {
  service().add(deadline, h, back);
}

}  // namespace ctxflow::coro::detail
