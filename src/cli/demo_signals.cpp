// SPDX-License-Identifier: Apache-2.0
// SIGINT and SIGTERM as a request to stop `ctxflow demo`, through a self-pipe and a watcher
// thread (only write() runs in the handler).
#include "cli/demo_signals.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

namespace ctxflow::cli {
namespace {

// The write end of the signal pipe, for the handler (set before the handler is installed).
std::atomic<int> signal_pipe_fd{-1};

extern "C" void on_stop_signal(int sig) {
  const int saved = errno;
  const unsigned char b = static_cast<unsigned char>(sig);
  const int fd = signal_pipe_fd.load();
  if (fd >= 0) (void)!::write(fd, &b, 1);
  errno = saved;
}

}  // namespace

signal_watch::signal_watch() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    std::fprintf(stderr, "ctxflow demo: cannot watch for signals: %s\n", std::strerror(errno));
    return;
  }
  read_fd_ = fds[0];
  write_fd_ = fds[1];
  signal_pipe_fd = write_fd_;
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND | SA_RESTART;
  ::sigaction(SIGINT, &sa, &old_int_);
  ::sigaction(SIGTERM, &sa, &old_term_);
  watcher_ = std::thread([this] { watch(); });
}

signal_watch::~signal_watch() {
  if (read_fd_ < 0) return;
  ::sigaction(SIGINT, &old_int_, nullptr);
  ::sigaction(SIGTERM, &old_term_, nullptr);
  const unsigned char quit = 0;
  (void)!::write(write_fd_, &quit, 1);
  watcher_.join();
  signal_pipe_fd = -1;
  // The pipe stays open (close-on-exec) until the process ends: a handler that read the
  // descriptor just before it was cleared must not write into a reused one.
}

void signal_watch::on_signal(std::function<void()> f) {
  std::unique_lock lock(mu_);
  if (signal_ != 0) {
    lock.unlock();
    f();
    return;
  }
  callback_ = std::move(f);
}

void signal_watch::clear_callback() {
  std::lock_guard lock(mu_);
  callback_ = nullptr;
}

bool signal_watch::wait_for(std::chrono::milliseconds limit) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, limit, [&] { return signal_ != 0; });
}

int signal_watch::signal() const {
  std::lock_guard lock(mu_);
  return signal_;
}

void signal_watch::watch() {
  unsigned char b = 0;
  while (true) {
    const ssize_t n = ::read(read_fd_, &b, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || b == 0) return;
    {
      // The callback runs under the lock, so clear_callback() waits for a running one.
      std::lock_guard lock(mu_);
      if (signal_ == 0) signal_ = b;
      interrupted_ = true;
      if (callback_) callback_();
      callback_ = nullptr;
    }
    cv_.notify_all();
  }
}

const char* signal_name(int sig) {
  switch (sig) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    default: return "a signal";
  }
}

}  // namespace ctxflow::cli
