// SPDX-License-Identifier: Apache-2.0
// redis_server: starts a real `redis-server` on a free 127.0.0.1 port for one test (no
// persistence) and stops it when destroyed, or, should the test process die first, when the
// process dies. Tests skip when the binary is not installed.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace ctxflow::test {

class redis_server {
 public:
  /// Starts redis-server and waits until it answers PING (up to 5 s per attempt, 3 attempts
  /// on fresh ports). The server is tied to the calling thread: the kernel sends it SIGTERM
  /// when that thread ends, so create it on the thread running the test (as fixtures do).
  redis_server();
  /// Stops the server (SIGTERM, then waits for it to exit).
  ~redis_server();
  redis_server(const redis_server&) = delete;
  redis_server& operator=(const redis_server&) = delete;

  /// True when the server is up.
  bool running() const noexcept { return ready_; }
  /// Why it is not running (binary missing, did not start).
  const std::string& problem() const noexcept { return problem_; }
  std::uint16_t port() const noexcept { return port_; }

  /// The path of redis-server, or empty when it is not installed.
  static std::string find_binary();

 private:
  void stop() noexcept;

  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  bool ready_ = false;
  std::string problem_;
};

}  // namespace ctxflow::test
