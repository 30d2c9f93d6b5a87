// SPDX-License-Identifier: Apache-2.0
// channel<T>: an asynchronous multi-producer multi-consumer queue between tasks (Python's
// asyncio.Queue), bounded or unbounded, with close().
#pragma once

#include <coroutine>
#include <cstddef>
#include <deque>
#include <limits>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "ctxflow/exec/scheduler.hpp"

namespace ctxflow::coro {

/// A queue whose send() and receive() suspend the task instead of blocking the thread.
///
/// Context: values carry no context of their own; each waiting task keeps its own context and
/// gets it back when it resumes (C5). To pass a context with a value, put a ctxflow::context
/// (or propagation headers) in the value.
/// Resumes on: a task that had to wait resumes on the scheduler it waited on (event loop or
/// pool); from a plain thread, on the thread that woke it.
/// Thread safety: all member functions may be called from any thread concurrently.
/// Lifetime: the channel must outlive every pending send/receive.
template <class T>
class channel {
 public:
  static constexpr std::size_t unbounded = std::numeric_limits<std::size_t>::max();

  explicit channel(std::size_t capacity = unbounded) noexcept
      : capacity_(capacity == 0 ? 1 : capacity) {}
  channel(const channel&) = delete;
  channel& operator=(const channel&) = delete;

  class send_awaiter;
  class receive_awaiter;

  /// `co_await send(v)`: true once queued or handed to a receiver; false if the channel is
  /// closed. Waits while a bounded channel is full.
  send_awaiter send(T value) noexcept { return send_awaiter(*this, std::move(value)); }

  /// `co_await receive()`: the next value, or nullopt once the channel is closed and drained.
  receive_awaiter receive() noexcept { return receive_awaiter(*this); }

  /// Queues without waiting. False when closed or full.
  bool try_send(T value) {
    std::vector<std::pair<std::coroutine_handle<>, exec::scheduler*>> wake;
    bool ok;
    {
      std::lock_guard lock(mu_);
      ok = offer_locked(value, wake);
    }
    resume_all(wake);
    return ok;
  }

  /// Closes the channel: pending and later sends fail, receivers drain what is queued and then
  /// get nullopt.
  void close() {
    std::vector<std::pair<std::coroutine_handle<>, exec::scheduler*>> wake;
    {
      std::lock_guard lock(mu_);
      if (closed_) return;
      closed_ = true;
      for (receive_awaiter* r : receivers_) wake.emplace_back(r->handle_, r->back_);
      receivers_.clear();
      for (send_awaiter* s : senders_) {
        s->ok_ = false;
        wake.emplace_back(s->handle_, s->back_);
      }
      senders_.clear();
    }
    resume_all(wake);
  }

  std::size_t size() const {
    std::lock_guard lock(mu_);
    return items_.size();
  }

  class send_awaiter {
   public:
    send_awaiter(channel& ch, T value) noexcept : ch_(&ch), value_(std::move(value)) {}
    bool await_ready() const noexcept { return false; }
    bool await_suspend(std::coroutine_handle<> h) {
      std::vector<std::pair<std::coroutine_handle<>, exec::scheduler*>> wake;
      bool suspend = false;
      {
        std::lock_guard lock(ch_->mu_);
        if (ch_->closed_) {
          ok_ = false;
        } else if (ch_->offer_locked(value_, wake)) {
          ok_ = true;
        } else {
          handle_ = h;
          back_ = exec::current_scheduler();
          ch_->senders_.push_back(this);
          suspend = true;
        }
      }
      channel::resume_all(wake);
      return suspend;
    }
    bool await_resume() const noexcept { return ok_; }

   private:
    friend class channel;
    channel* ch_;
    T value_;
    bool ok_ = false;
    std::coroutine_handle<> handle_;
    exec::scheduler* back_ = nullptr;
  };

  class receive_awaiter {
   public:
    explicit receive_awaiter(channel& ch) noexcept : ch_(&ch) {}
    bool await_ready() const noexcept { return false; }
    bool await_suspend(std::coroutine_handle<> h) {
      std::vector<std::pair<std::coroutine_handle<>, exec::scheduler*>> wake;
      bool suspend = false;
      {
        std::lock_guard lock(ch_->mu_);
        if (!ch_->items_.empty()) {
          value_.emplace(std::move(ch_->items_.front()));
          ch_->items_.pop_front();
          ch_->admit_sender_locked(wake);
        } else if (!ch_->closed_) {
          handle_ = h;
          back_ = exec::current_scheduler();
          ch_->receivers_.push_back(this);
          suspend = true;
        }
      }
      channel::resume_all(wake);
      return suspend;
    }
    std::optional<T> await_resume() noexcept { return std::move(value_); }

   private:
    friend class channel;
    channel* ch_;
    std::optional<T> value_;
    std::coroutine_handle<> handle_;
    exec::scheduler* back_ = nullptr;
  };

 private:
  using wake_list = std::vector<std::pair<std::coroutine_handle<>, exec::scheduler*>>;

  // Hands `value` to a waiting receiver or queues it. False when full (value untouched).
  bool offer_locked(T& value, wake_list& wake) {
    if (closed_) return false;
    if (!receivers_.empty()) {
      receive_awaiter* r = receivers_.front();
      receivers_.pop_front();
      r->value_.emplace(std::move(value));
      wake.emplace_back(r->handle_, r->back_);
      return true;
    }
    if (items_.size() >= capacity_) return false;
    items_.push_back(std::move(value));
    return true;
  }

  // After a receive made room, moves one waiting sender's value into the queue.
  void admit_sender_locked(wake_list& wake) {
    if (senders_.empty() || items_.size() >= capacity_) return;
    send_awaiter* s = senders_.front();
    senders_.pop_front();
    items_.push_back(std::move(s->value_));
    s->ok_ = true;
    wake.emplace_back(s->handle_, s->back_);
  }

  static void resume_all(wake_list& wake) {
    for (auto& [h, back] : wake) {
      if (back)
        back->post_handle(h);
      else
        h.resume();
    }
  }

  mutable std::mutex mu_;
  std::deque<T> items_;                    // guarded by mu_
  std::deque<receive_awaiter*> receivers_;  // guarded by mu_
  std::deque<send_awaiter*> senders_;       // guarded by mu_
  std::size_t capacity_;
  bool closed_ = false;  // guarded by mu_
};

}  // namespace ctxflow::coro
