// SPDX-License-Identifier: Apache-2.0
// redis_server: starts a real `redis-server` on a free 127.0.0.1 port for one test (no
// persistence) and stops it when destroyed, or, should the test process die first, when the
// process dies. Tests skip when the binary is not installed. Fault tests can freeze it
// (SIGSTOP), thaw it, kill it and start it again on the same port.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace ctxflow::test {

class redis_server {
 public:
  /// Starts redis-server and waits until it answers PING (up to 5 s per attempt, 3 attempts
  /// on fresh ports). The server is tied to the calling thread: the kernel kills it when that
  /// thread ends, so create it on the thread running the test (as fixtures do).
  redis_server();
  /// Stops the server (SIGTERM, then waits for it to exit; SIGKILL if it does not in 5 s).
  ~redis_server();
  redis_server(const redis_server&) = delete;
  redis_server& operator=(const redis_server&) = delete;

  /// True when the server is up.
  bool running() const noexcept { return ready_; }
  /// Why it is not running (binary missing, did not start).
  const std::string& problem() const noexcept { return problem_; }
  std::uint16_t port() const noexcept { return port_; }
  /// The server's process id, or -1 when none runs.
  pid_t pid() const noexcept { return pid_; }

  /// SIGSTOP: the server keeps its port (the kernel still accepts connections) but answers
  /// nothing until thaw().
  bool freeze() noexcept;
  /// SIGCONT after freeze().
  bool thaw() noexcept;
  /// SIGKILL, and waits for it to exit; the port is free afterwards.
  void kill() noexcept;
  /// Starts a fresh server (empty data) on the same port after kill(); true once it answers
  /// PING (retried for up to `patience`, the port may take a moment to be free again).
  bool restart(std::chrono::milliseconds patience = std::chrono::milliseconds(10000));

  /// The path of redis-server, or empty when it is not installed.
  static std::string find_binary();

 private:
  /// Starts the binary on port_ and waits for PING; false (nothing left running) otherwise.
  bool launch(const std::string& binary);
  void stop() noexcept;

  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  bool ready_ = false;
  std::string problem_;
};

/// Starts `args[0]` with `args` as a child process that the kernel kills (SIGKILL) when the
/// calling thread ends, however the test process dies. Its standard output goes to `stdout_fd`
/// (dup2) or, when -1, to /dev/null; standard error stays. Returns the pid, or -1.
pid_t spawn_tied_to_this_thread(const std::vector<std::string>& args, int stdout_fd = -1);

/// Kills `pid` with `signal` if it still runs and reaps it (SIGKILL if it has not exited after
/// `patience`). For children of this process; a no-op for pid <= 0.
void kill_and_reap(pid_t pid, int signal, std::chrono::milliseconds patience) noexcept;

}  // namespace ctxflow::test
