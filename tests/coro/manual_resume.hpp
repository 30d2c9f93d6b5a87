// SPDX-License-Identifier: Apache-2.0
// A test awaitable whose waiting coroutine is resumed by hand, from any thread, with any context
// current: it makes the "who resumes, and with what context" question explicit.
#pragma once

#include <atomic>
#include <coroutine>

namespace ctxflow::test {

class manual_resume {
 public:
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) noexcept {
    handle_.store(h.address(), std::memory_order_release);
  }
  void await_resume() const noexcept {}

  bool waiting() const noexcept { return handle_.load(std::memory_order_acquire) != nullptr; }
  void resume() {
    void* h = handle_.exchange(nullptr, std::memory_order_acq_rel);
    if (h) std::coroutine_handle<>::from_address(h).resume();
  }

 private:
  std::atomic<void*> handle_{nullptr};
};

}  // namespace ctxflow::test
