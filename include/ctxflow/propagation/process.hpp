// SPDX-License-Identifier: Apache-2.0
// A small child-process launcher on posix_spawn that hands the child the current trace
// context in TRACEPARENT/TRACESTATE/BAGGAGE (C10, R6.4). It is an explicit helper the
// application calls; the carriers and propagators themselves never spawn anything (R6.4).
// Errors are values; nothing throws. See docs/design/propagation.md, "Processes".
#pragma once

#include <sys/types.h>

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "ctxflow/context/context.hpp"
#include "ctxflow/export.hpp"
#include "ctxflow/propagation/env_carrier.hpp"
#include "ctxflow/propagation/propagator.hpp"

namespace ctxflow::propagation {

/// How to start a child process.
struct spawn_options {
  /// The child's environment before injection; null means a snapshot of this process's.
  const env_map* environment = nullptr;
  /// Inject the context into the child's environment (replacing inherited trace variables).
  bool propagate_context = true;
  /// The context to inject; nothing means the current context at the call.
  std::optional<context> parent;
  /// The propagator to inject with; null means the global propagator.
  const text_map_propagator* propagator = nullptr;
  /// File descriptors to become the child's stdin/stdout/stderr; -1 inherits.
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
  /// Look `path` up in PATH (posix_spawnp) instead of using it as given.
  bool search_path = false;
};

/// How a child ended.
struct exit_status {
  bool exited = false;  ///< ended by exit(); `code` is valid
  int code = -1;        ///< exit code when `exited`
  int signal = 0;       ///< the terminating signal, or 0
  int error = 0;        ///< errno of a failed wait, or 0
  /// True when the child exited with code 0.
  bool success() const noexcept { return error == 0 && exited && code == 0; }
};

/// A started child process. Move-only.
///
/// Lifetime: destroying a handle that was not waited for does not kill or reap the child.
/// Thread safety: distinct objects: safe. Shared objects: unsafe.
class child_process {
 public:
  child_process() noexcept = default;
  explicit child_process(pid_t pid) noexcept : pid_(pid) {}
  child_process(child_process&& o) noexcept : pid_(o.pid_) { o.pid_ = -1; }
  child_process& operator=(child_process&& o) noexcept {
    pid_ = o.pid_;
    o.pid_ = -1;
    return *this;
  }
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  bool valid() const noexcept { return pid_ > 0; }
  pid_t pid() const noexcept { return pid_; }

  /// Blocks until the child ends and reaps it; the handle becomes invalid.
  /// Errors: `error` is set (e.g. ECHILD) when there is nothing to wait for.
  CTXFLOW_API exit_status wait() noexcept;
  /// Sends `sig` to the child. Errors: false when it could not be sent.
  CTXFLOW_API bool kill(int sig) noexcept;

 private:
  pid_t pid_ = -1;
};

/// The result of spawn_process(): a running child, or the errno that prevented it.
struct spawn_result {
  child_process process;
  int error = 0;
  explicit operator bool() const noexcept { return error == 0 && process.valid(); }
};

/// Starts `path` with arguments `args` (argv[0] is `path`) through posix_spawn, giving it the
/// environment of `options` with the context injected (C10).
/// Context: injects `options.parent`, or the current context when none is given; the usual
/// pattern is to start a `spawn` span, make it current, then call this.
/// Errors: `error` holds the errno of the failed spawn (ENOENT, ENOMEM, ...); a failure is
/// also reported as `propagation.process.spawn_failed`.
CTXFLOW_API spawn_result spawn_process(std::string_view path, std::span<const std::string> args,
                                       const spawn_options& options = {}) noexcept;

}  // namespace ctxflow::propagation
