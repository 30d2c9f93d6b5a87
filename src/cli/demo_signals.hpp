// SPDX-License-Identifier: Apache-2.0
// Private: how `ctxflow demo` stops early on SIGINT and SIGTERM.
#pragma once

#include <signal.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace ctxflow::cli {

/// Turns SIGINT and SIGTERM into a request to stop: the handler writes the signal number into a
/// pipe, a watcher thread sets the flag, runs the callback and wakes wait_for(). The handlers
/// are one-shot: a second signal ends the program at once. Child processes start with the
/// default dispositions (exec resets handled signals).
class signal_watch {
 public:
  signal_watch();
  ~signal_watch();
  signal_watch(const signal_watch&) = delete;
  signal_watch& operator=(const signal_watch&) = delete;

  /// Runs `f` on the watcher thread when a signal arrives (right away if one already has).
  void on_signal(std::function<void()> f);
  /// Forgets the callback (before what it refers to goes away); waits for it when running.
  void clear_callback();
  /// Waits up to `limit` for a signal; true when one arrived.
  bool wait_for(std::chrono::milliseconds limit);
  /// The first signal that arrived; 0 when none.
  int signal() const;
  const std::atomic<bool>& interrupted() const { return interrupted_; }

 private:
  void watch();

  int read_fd_ = -1;
  int write_fd_ = -1;
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
  std::thread watcher_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int signal_ = 0;                  // guarded by mu_
  std::function<void()> callback_;  // guarded by mu_
  std::atomic<bool> interrupted_{false};
};

/// "SIGINT", "SIGTERM", or "a signal".
const char* signal_name(int sig);

}  // namespace ctxflow::cli
