// SPDX-License-Identifier: Apache-2.0
// flush_on_signals: an opt-in way for a program without its own signal handling to deliver
// its queued spans when it is told to stop (SIGTERM from a service manager or an orchestrator,
// SIGINT from a terminal). See docs/usage/tracing.md, "Shutting down".
#pragma once

#include <chrono>
#include <csignal>
#include <initializer_list>

#include "ctxflow/export.hpp"

namespace ctxflow::sdk {

/// Keeps flush_on_signals installed; destroying it (or uninstall()) restores the signal
/// dispositions that were in place before and stops the flushing thread.
///
/// Thread safety: distinct objects: safe. Shared objects: unsafe.
class CTXFLOW_API signal_flush_guard {
 public:
  signal_flush_guard() noexcept = default;
  signal_flush_guard(signal_flush_guard&& o) noexcept;
  signal_flush_guard& operator=(signal_flush_guard&& o) noexcept;
  signal_flush_guard(const signal_flush_guard&) = delete;
  signal_flush_guard& operator=(const signal_flush_guard&) = delete;
  ~signal_flush_guard();

  /// True while this guard holds the installation.
  bool active() const noexcept { return active_; }
  /// Restores the previous dispositions and stops the thread now. If a signal is being handled,
  /// waits for its flush (at most the timeout given to flush_on_signals).
  void uninstall() noexcept;

 private:
  friend CTXFLOW_API signal_flush_guard flush_on_signals(std::initializer_list<int> signals,
                                                         std::chrono::milliseconds timeout) noexcept;
  bool active_ = false;
};

/// Installs handlers for `signals` that flush and shut down the global tracer provider before
/// the process ends, then let the signal end it as it would have.
///
/// The handler itself only writes the signal number to a pipe (async-signal-safe). A dedicated
/// thread, started here with every signal blocked, reads it; it shuts down the global
/// provider (an SDK tracer_provider: its processors export what they hold, within `timeout` in
/// all, one attempt per batch), restores the default disposition of the signal, unblocks it in
/// itself and raises it, so the process ends with the signal's usual status (a parent's
/// waitpid sees WIFSIGNALED with that signal). A second signal that arrives during the flush
/// ends the process at once.
///
/// A pipe and a thread are used rather than sigwait() because sigwait needs the signals blocked
/// in every thread, which a library cannot ensure for threads that already exist; a handler
/// runs on whichever thread the kernel picks, and only wakes the thread.
///
/// Use it in programs that do not handle these signals themselves. Do not combine it with other
/// handling of the same signals (an Asio `signal_set`, your own `sigaction`, a framework's
/// handler): the last one installed wins and the other never runs. Such programs should call
/// the init guard's shutdown() (or let it go out of scope) from their own handling instead.
///
/// Signals: terminating signals such as SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2.
/// SIGKILL and SIGSTOP cannot be caught, and the synchronous fault signals (SIGSEGV, SIGBUS,
/// SIGFPE, SIGILL, SIGTRAP, SIGSYS) cannot be handled this way; they are refused.
/// Errors: never throws. Refused signals, a second installation while one is active and
/// failures to create the pipe or thread are reported (`sdk.signals.invalid`,
/// `sdk.signals.busy`, `sdk.signals.failed`); the returned guard is then inactive (a refused
/// signal alone only leaves that signal out).
/// Lifetime: one installation at a time per process. The pipe stays open for the rest of the
/// process (two descriptors, close-on-exec) so that a late signal never writes to a reused one.
[[nodiscard]] CTXFLOW_API signal_flush_guard flush_on_signals(
    std::initializer_list<int> signals = {SIGTERM, SIGINT},
    std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) noexcept;

}  // namespace ctxflow::sdk
