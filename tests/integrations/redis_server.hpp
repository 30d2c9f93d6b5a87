// SPDX-License-Identifier: Apache-2.0
// redis_server: starts a real `redis-server` on a free 127.0.0.1 port for one test (no
// persistence) and stops it when destroyed. Tests skip when the binary is not installed.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace ctxflow::test {

class redis_server {
 public:
  /// Starts redis-server and waits until it answers PING (up to 5 s).
  redis_server();
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
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  bool ready_ = false;
  std::string problem_;
};

}  // namespace ctxflow::test
