// SPDX-License-Identifier: Apache-2.0
// mini::event_loop: a minimal single-threaded event loop that carries the ctxflow context, built
// only on the public execution-unit interface. It is the worked example of
// docs/usage/executors.md; tests/context/custom_event_loop_test.cpp checks it.
//
// - Capture (C4): spawn() and post() take the submitter's current context with the work.
// - Run: each piece of work runs inside its own execution unit; the loop's context is back
//   afterwards, also when the work throws (C7).
// - Resume (C5): work that runs in several steps keeps one unit for its whole life, so what a
//   step leaves current is there at the next step, and nowhere else.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

#include "ctxflow/context/execution_unit.hpp"

namespace mini {

class event_loop {
 public:
  /// Runs `step` repeatedly, one call per turn of the loop, until it returns false.
  void spawn(std::function<bool()> step) {
    auto unit =
        std::make_shared<ctxflow::execution_unit>(ctxflow::context::current(), "mini task");
    push({std::move(unit), std::move(step)});
  }
  /// Runs `job` once.
  void post(std::function<void()> job) {
    spawn([job = std::move(job)] { return job(), false; });
  }
  /// Runs queued work until the queue is empty.
  void run() {
    while (std::optional<item> it = pop()) {
      bool again = false;
      {
        it->unit->enter();
        struct leave_on_exit {
          ctxflow::execution_unit& unit;
          ~leave_on_exit() { unit.leave(); }
        } guard{*it->unit};
        again = it->step();
      }
      if (again) push(std::move(*it));  // the unit keeps the context until the next step
    }  // a finished item's unit is finished when its last owner drops it
  }

 private:
  struct item {
    std::shared_ptr<ctxflow::execution_unit> unit;
    std::function<bool()> step;
  };
  void push(item it) {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(it));
  }
  std::optional<item> pop() {
    std::lock_guard lock(mu_);
    if (queue_.empty()) return std::nullopt;
    item it = std::move(queue_.front());
    queue_.pop_front();
    return it;
  }

  std::mutex mu_;
  std::deque<item> queue_;
};

}  // namespace mini
