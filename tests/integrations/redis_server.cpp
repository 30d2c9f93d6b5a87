// SPDX-License-Identifier: Apache-2.0
// redis_server: fork + exec of redis-server with `--port <free> --bind 127.0.0.1 --save ''
// --appendonly no`, a PING loop until it answers (a raw socket, so no diagnostics are reported
// while it comes up), SIGTERM + waitpid at the end. The server also gets SIGKILL from the
// kernel when the test thread dies without running the destructor (a crash, or ctest killing it
// on timeout), so no run leaves a server behind, not even a frozen one.
#include "integrations/redis_server.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <thread>
#include <vector>

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

/// True when a server on 127.0.0.1:`port` answers `PING` within a second.
bool answers_ping(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  timeval tv{};
  tv.tv_sec = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    static constexpr char ping[] = "PING\r\n";
    static constexpr char pong[] = "+PONG\r\n";
    if (::send(fd, ping, sizeof ping - 1, MSG_NOSIGNAL) == static_cast<ssize_t>(sizeof ping - 1)) {
      char buf[sizeof pong] = {};
      std::size_t got = 0;
      while (got < sizeof pong - 1) {
        const ssize_t n = ::recv(fd, buf + got, sizeof pong - 1 - got, 0);
        if (n <= 0) break;
        got += static_cast<std::size_t>(n);
      }
      ok = got == sizeof pong - 1 && std::memcmp(buf, pong, got) == 0;
    }
  }
  ::close(fd);
  return ok;
}

}  // namespace

pid_t spawn_tied_to_this_thread(const std::vector<std::string>& args, int stdout_fd) {
  if (args.empty()) return -1;
  // Everything the child needs is prepared before fork: after it, only async-signal-safe calls.
  std::vector<std::string> copies(args);
  std::vector<char*> argv;
  for (auto& a : copies) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid != 0) return pid;  // the parent (or -1: fork failed)
  // SIGKILL rather than SIGTERM: a stopped (frozen) server would leave SIGTERM pending forever.
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) ::_exit(127);
  if (::getppid() != parent) ::_exit(127);  // the parent died before prctl took effect
  if (stdout_fd >= 0) {
    ::dup2(stdout_fd, STDOUT_FILENO);
  } else {
    const int null = ::open("/dev/null", O_WRONLY);
    if (null >= 0) {
      ::dup2(null, STDOUT_FILENO);
      ::close(null);
    }
  }
  ::execv(argv[0], argv.data());
  ::_exit(127);
}

void kill_and_reap(pid_t pid, int signal, std::chrono::milliseconds patience) noexcept {
  if (pid <= 0) return;
  ::kill(pid, signal);
  ::kill(pid, SIGCONT);  // a stopped process acts on SIGTERM only once continued
  const auto deadline = std::chrono::steady_clock::now() + patience;
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

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

bool redis_server::launch(const std::string& binary) {
  const std::string port = std::to_string(port_);
  pid_ = spawn_tied_to_this_thread({binary, "--port", port, "--bind", "127.0.0.1", "--save", "",
                                    "--appendonly", "no", "--loglevel", "warning"});
  if (pid_ < 0) {
    problem_ = "fork of redis-server failed";
    return false;
  }
  for (int i = 0; i < 100; ++i) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {  // it exited (port taken meanwhile?)
      pid_ = -1;
      return false;
    }
    if (answers_ping(port_)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  stop();  // never two servers: the next attempt starts a fresh one
  return false;
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
    ready_ = launch(binary);
    if (!ready_ && !problem_.empty()) return;
  }
  if (!ready_) problem_ = "redis-server did not answer PING on a free port (3 attempts)";
}

redis_server::~redis_server() { stop(); }

bool redis_server::freeze() noexcept { return pid_ > 0 && ::kill(pid_, SIGSTOP) == 0; }

bool redis_server::thaw() noexcept { return pid_ > 0 && ::kill(pid_, SIGCONT) == 0; }

void redis_server::kill() noexcept {
  kill_and_reap(pid_, SIGKILL, std::chrono::milliseconds(5000));
  pid_ = -1;
  ready_ = false;
}

bool redis_server::restart(std::chrono::milliseconds patience) {
  if (pid_ > 0) kill();
  const std::string binary = find_binary();
  if (binary.empty() || port_ == 0) return false;
  const auto deadline = std::chrono::steady_clock::now() + patience;
  do {
    ready_ = launch(binary);
    if (ready_) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  } while (std::chrono::steady_clock::now() < deadline);
  problem_ = "redis-server did not come back on port " + std::to_string(port_);
  return false;
}

void redis_server::stop() noexcept {
  kill_and_reap(pid_, SIGTERM, std::chrono::milliseconds(5000));
  pid_ = -1;
}

}  // namespace ctxflow::test
