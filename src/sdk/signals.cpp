// SPDX-License-Identifier: Apache-2.0
// flush_on_signals: a self-pipe. The handler writes the signal number to a non-blocking pipe
// and does nothing else (write, errno and lock-free atomics are async-signal-safe; for a
// second signal during a flush: sigaction and raise). A thread started with every signal
// blocked waits on the read end, shuts the global provider down, restores SIG_DFL, unblocks the
// signal in itself and raises it again. The state below is immortal: a signal may arrive while
// static objects are destroyed at exit.
#include "ctxflow/sdk/signals.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/macros.hpp"
#include "ctxflow/sdk/tracer_provider.hpp"
#include "ctxflow/trace/provider.hpp"

namespace ctxflow::sdk {
namespace {

// Read by the handler: the pipe's write end (-1: none yet), and whether a flush is running.
std::atomic<int> wake_fd{-1};
std::atomic<bool> flushing{false};
static_assert(std::atomic<int>::is_always_lock_free && std::atomic<bool>::is_always_lock_free,
              "the signal handler needs lock-free atomics");

struct installation {
  std::mutex mu;  // install and uninstall
  bool installed = false;
  int read_fd = -1;
  int write_fd = -1;
  std::thread worker;
  std::vector<std::pair<int, struct sigaction>> previous;  // signal, disposition before us
};

installation& the_installation() {
  static installation* i = new installation;  // immortal (see the top)
  return *i;
}

extern "C" void on_signal(int sig) {
  const int saved_errno = errno;
  if (flushing.load(std::memory_order_relaxed)) {
    // Asked again while the flush runs: end now. The signal is blocked while this handler
    // runs, so raise() leaves it pending until the handler returns; SIG_DFL then applies.
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    (void)sigaction(sig, &dfl, nullptr);
    (void)raise(sig);
  } else if (const int fd = wake_fd.load(std::memory_order_relaxed); fd >= 0) {
    const auto byte = static_cast<unsigned char>(sig);
    (void)!write(fd, &byte, 1);  // a full pipe already holds a wake-up
  }
  errno = saved_errno;
}

bool refused(int sig) noexcept {
  if (sig <= 0 || sig >= NSIG || sig > 255) return true;
  switch (sig) {
    case SIGKILL:
    case SIGSTOP:
    case SIGSEGV:
    case SIGBUS:
    case SIGFPE:
    case SIGILL:
    case SIGTRAP:
    case SIGSYS:
      return true;
    default:
      return false;
  }
}

// The self-pipe, made once: read end blocking-free for draining, write end non-blocking.
bool make_pipe(installation& in) noexcept {
  if (in.read_fd >= 0) return true;
  int fds[2];
  if (::pipe(fds) != 0) return false;
  for (int fd : fds) {
    (void)::fcntl(fd, F_SETFD, FD_CLOEXEC);
    (void)::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  }
  in.read_fd = fds[0];
  in.write_fd = fds[1];
  wake_fd.store(fds[1], std::memory_order_relaxed);
  return true;
}

void drain_pipe(int fd) noexcept {
  unsigned char buf[64];
  while (::read(fd, buf, sizeof buf) > 0) {
  }
}

void shut_down_global_provider(std::chrono::milliseconds timeout) noexcept {
  const std::shared_ptr<trace::tracer_provider> p = trace::get_tracer_provider();
  if (auto* sdk_provider = dynamic_cast<tracer_provider*>(p.get())) {
    // The provider's shutdown exports what each processor holds first, within `timeout` in all.
    if (!sdk_provider->is_shut_down()) (void)sdk_provider->shutdown(timeout);
  }
}

// The flushing thread. Byte 0 asks it to stop; any other byte is a signal number.
void run(int fd, std::chrono::milliseconds timeout) noexcept {
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    const int r = ::poll(&p, 1, -1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return;
    unsigned char byte = 0;
    const ssize_t n = ::read(fd, &byte, 1);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
    if (n <= 0 || byte == 0) return;
    const int sig = byte;
    flushing.store(true, std::memory_order_relaxed);
    shut_down_global_provider(timeout);
    // End the process the way the signal would have: default disposition, then raise it on
    // this thread with it unblocked here.
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    (void)sigaction(sig, &dfl, nullptr);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    (void)pthread_sigmask(SIG_UNBLOCK, &one, nullptr);
    (void)raise(sig);
    // Still here: the signal's default action does not end the process.
    (void)pthread_sigmask(SIG_BLOCK, &one, nullptr);
    flushing.store(false, std::memory_order_relaxed);
    reportf(severity::warning, "sdk.signals.not_terminating",
            "signal %d did not end the process; the tracer provider is shut down", sig);
  }
}

}  // namespace

signal_flush_guard::signal_flush_guard(signal_flush_guard&& o) noexcept
    : active_(std::exchange(o.active_, false)) {}

signal_flush_guard& signal_flush_guard::operator=(signal_flush_guard&& o) noexcept {
  if (this != &o) {
    uninstall();
    active_ = std::exchange(o.active_, false);
  }
  return *this;
}

signal_flush_guard::~signal_flush_guard() { uninstall(); }

void signal_flush_guard::uninstall() noexcept {
  if (!std::exchange(active_, false)) return;
  installation& in = the_installation();
  std::lock_guard lock(in.mu);
  if (!in.installed) return;
  for (const auto& [sig, old] : in.previous) (void)sigaction(sig, &old, nullptr);
  in.previous.clear();
  // A signal caught before the dispositions were restored is already in the pipe, ahead of
  // the stop byte: the thread handles it first.
  const unsigned char stop = 0;
  while (::write(in.write_fd, &stop, 1) < 0 && errno == EINTR) {
  }
  if (in.worker.joinable()) {
    if (in.worker.get_id() == std::this_thread::get_id())
      in.worker.detach();
    else
      in.worker.join();
  }
  in.installed = false;
}

signal_flush_guard flush_on_signals(std::initializer_list<int> signals,
                                    std::chrono::milliseconds timeout) noexcept {
  signal_flush_guard g;
  installation& in = the_installation();
  std::lock_guard lock(in.mu);
  if (in.installed) {
    report(severity::warning, "sdk.signals.busy",
           "flush_on_signals is already installed; the earlier installation stays");
    return g;
  }
  CTXFLOW_TRY {
    std::vector<int> wanted;
    for (int sig : signals) {
      if (refused(sig)) {
        reportf(severity::warning, "sdk.signals.invalid",
                "flush_on_signals cannot handle signal %d; it is left out", sig);
        continue;
      }
      bool dup = false;
      for (int w : wanted) dup = dup || w == sig;
      if (!dup) wanted.push_back(sig);
    }
    if (wanted.empty()) {
      report(severity::warning, "sdk.signals.invalid", "flush_on_signals: no signal to handle");
      return g;
    }
    if (!make_pipe(in)) {
      reportf(severity::error, "sdk.signals.failed", "flush_on_signals: pipe() failed (errno %d)",
              errno);
      return g;
    }
    drain_pipe(in.read_fd);  // bytes left from an earlier installation
    flushing.store(false, std::memory_order_relaxed);

    // The thread inherits this mask: every signal blocked, so handlers never run on it.
    {
      struct mask_all {
        sigset_t old_mask;
        mask_all() noexcept {
          sigset_t all;
          sigfillset(&all);
          (void)pthread_sigmask(SIG_SETMASK, &all, &old_mask);
        }
        ~mask_all() { (void)pthread_sigmask(SIG_SETMASK, &old_mask, nullptr); }
        mask_all(const mask_all&) = delete;
        mask_all& operator=(const mask_all&) = delete;
      } blocked;
      in.worker = std::thread(run, in.read_fd, timeout);
    }

    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (int sig : wanted) {
      struct sigaction old {};
      if (sigaction(sig, &sa, &old) != 0) {
        reportf(severity::warning, "sdk.signals.invalid",
                "flush_on_signals: sigaction(%d) failed (errno %d); it is left out", sig, errno);
        continue;
      }
      in.previous.emplace_back(sig, old);
    }
    in.installed = true;
    g.active_ = true;
  } CTXFLOW_CATCH_ALL {
    report(severity::error, "sdk.signals.failed",
           "flush_on_signals: could not start its thread (out of resources)");
    if (in.worker.joinable()) {
      const unsigned char stop = 0;
      (void)!::write(in.write_fd, &stop, 1);
      in.worker.join();
    }
    for (const auto& [sig, old] : in.previous) (void)sigaction(sig, &old, nullptr);
    in.previous.clear();
  }
  return g;
}

}  // namespace ctxflow::sdk
