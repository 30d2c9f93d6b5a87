// SPDX-License-Identifier: Apache-2.0
// redis_server: posix_spawn of redis-server with `--port <free> --bind 127.0.0.1 --save ''
// --appendonly no`, a PING loop until it answers, SIGTERM + waitpid at the end.
#include "integrations/redis_server.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <sstream>
#include <thread>
#include <vector>

#include "ctxflow/integrations/messaging/redis_streams.hpp"

extern char** environ;

namespace ctxflow::test {

namespace {

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace

std::string redis_server::find_binary() {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(std::string(path ? path : "") + ":/usr/bin:/usr/sbin:/usr/local/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    const std::string candidate = dir + "/redis-server";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

redis_server::redis_server() {
  const std::string binary = find_binary();
  if (binary.empty()) {
    problem_ = "redis-server is not installed (Debian: apt-get install redis-server)";
    return;
  }
  for (int attempt = 0; attempt < 3 && !ready_; ++attempt) {
    port_ = free_port();
    const std::string port = std::to_string(port_);
    std::vector<std::string> args = {binary,  "--port", port,         "--bind", "127.0.0.1",
                                     "--save", "",       "--appendonly", "no",   "--loglevel",
                                     "warning"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (::posix_spawn(&pid_, binary.c_str(), nullptr, nullptr, argv.data(), environ) != 0) {
      pid_ = -1;
      problem_ = "posix_spawn of redis-server failed";
      return;
    }
    messaging::redis_options options;
    options.port = port_;
    options.connect_timeout = std::chrono::milliseconds(200);
    messaging::redis_streams probe(options);
    for (int i = 0; i < 100 && !ready_; ++i) {
      ready_ = probe.ping();
      if (!ready_) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      int status = 0;
      if (!ready_ && ::waitpid(pid_, &status, WNOHANG) == pid_) {  // it exited (port taken?)
        pid_ = -1;
        break;
      }
    }
  }
  if (!ready_) problem_ = "redis-server did not answer PING";
}

redis_server::~redis_server() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

}  // namespace ctxflow::test
