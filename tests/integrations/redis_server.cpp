// SPDX-License-Identifier: Apache-2.0
// redis_server: fork + exec of redis-server with `--port <free> --bind 127.0.0.1 --save ''
// --appendonly no`, a PING loop until it answers, SIGTERM + waitpid at the end. The server also
// gets SIGTERM from the kernel when the test process dies without running the destructor (a
// crash, or ctest killing it on timeout), so no run leaves a server behind.
#include "integrations/redis_server.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <sstream>
#include <thread>
#include <vector>

#include "ctxflow/integrations/messaging/redis_streams.hpp"

namespace ctxflow::test {

namespace {

/// A port the kernel considers free on 127.0.0.1 now, or 0 when none could be had. Another
/// process may take it before redis-server binds it; the caller retries with a new one.
std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  std::uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

/// Starts `argv[0]` with `argv` in a child that is sent SIGTERM when this thread exits (the
/// whole test process dies, however it dies). Its standard output (redis' log) goes to
/// /dev/null; standard error stays. Returns the child's pid, or -1.
pid_t spawn_tied_to_this_thread(const std::vector<char*>& argv) {
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid != 0) return pid;  // the parent (or -1: fork failed)
  // The child of a multi-threaded process: only async-signal-safe calls until exec.
  if (::prctl(PR_SET_PDEATHSIG, SIGTERM) != 0) ::_exit(127);
  if (::getppid() != parent) ::_exit(127);  // the parent died before prctl took effect
  const int null = ::open("/dev/null", O_WRONLY);
  if (null >= 0) {
    ::dup2(null, STDOUT_FILENO);
    ::close(null);
  }
  ::execv(argv[0], argv.data());
  ::_exit(127);
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
    if (port_ == 0) continue;
    const std::string port = std::to_string(port_);
    std::vector<std::string> args = {binary,  "--port", port,         "--bind", "127.0.0.1",
                                     "--save", "",       "--appendonly", "no",   "--loglevel",
                                     "warning"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = spawn_tied_to_this_thread(argv);
    if (pid_ < 0) {
      problem_ = "fork of redis-server failed";
      return;
    }
    messaging::redis_options options;
    options.port = port_;
    options.connect_timeout = std::chrono::milliseconds(200);
    messaging::redis_streams probe(options);
    for (int i = 0; i < 100 && !ready_; ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {  // it exited (port taken meanwhile?)
        pid_ = -1;
        break;
      }
      ready_ = probe.ping();
      if (!ready_) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!ready_) stop();  // never two servers: the next attempt starts a fresh one
  }
  if (!ready_) problem_ = "redis-server did not answer PING on a free port (3 attempts)";
}

redis_server::~redis_server() { stop(); }

void redis_server::stop() noexcept {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

}  // namespace ctxflow::test
