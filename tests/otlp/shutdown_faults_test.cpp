// SPDX-License-Identifier: Apache-2.0
// Shutdown under faults. A real program (shutdown_child.cpp, started with posix_spawn) that
// queued 1,000 spans for a collector that refuses connections exits promptly once main returns
// and reports its undelivered spans once; with flush_on_signals it delivers its queued spans on
// SIGTERM and still ends by SIGTERM. In-process: once shutdown starts, the OTLP exporter makes
// no retry with backoff.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ctxflow/exporters/otlp/http_exporter.hpp"
#include "ctxflow/sdk/batch_span_processor.hpp"
#include "ctxflow/sdk/tracer_provider.hpp"
#include "ctxflow/testing/diagnostics_capture.hpp"
#include "loopback_receiver.hpp"

extern char** environ;

namespace ctxflow::exporters::otlp {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
using ctxflow::exporters::otlp::testing::canned_response;
using ctxflow::exporters::otlp::testing::loopback_receiver;
using ctxflow::exporters::otlp::testing::received_request;

// A loopback port that refuses connections: bound (so nobody else takes it) but not listening.
class dead_port {
 public:
  dead_port() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    if (fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
      socklen_t len = sizeof a;
      if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0) port_ = ntohs(a.sin_port);
    }
  }
  ~dead_port() {
    if (fd_ >= 0) ::close(fd_);
  }
  dead_port(const dead_port&) = delete;
  dead_port& operator=(const dead_port&) = delete;
  std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

// shutdown_child with its stdout on a pipe and its stderr in a file.
class child_process {
 public:
  child_process(const std::vector<std::string>& args, const std::vector<std::string>& env,
                const std::string& stderr_path) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return;
    out_fd_ = fds[0];
    std::vector<std::string> argv_s{CTXFLOW_SHUTDOWN_CHILD};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& s : argv_s) argv.push_back(s.data());
    argv.push_back(nullptr);
    // The test's environment without the OTEL_* settings (the child gets only `env`'s).
    std::vector<std::string> env_s;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string_view v(*e);
      if (v.starts_with("OTEL_") || v.starts_with("TRACEPARENT=") || v.starts_with("TRACESTATE=") ||
          v.starts_with("BAGGAGE=") || v.starts_with("CTXFLOW_"))
        continue;
      env_s.emplace_back(v);
    }
    env_s.insert(env_s.end(), env.begin(), env.end());
    std::vector<char*> envp;
    for (auto& s : env_s) envp.push_back(s.data());
    envp.push_back(nullptr);

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int rc = ::posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    ::close(fds[1]);
    if (rc != 0) pid_ = -1;
  }
  ~child_process() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int st = 0;
      ::waitpid(pid_, &st, 0);
    }
    if (out_fd_ >= 0) ::close(out_fd_);
  }
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  bool started() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

  // The child's next stdout line; nothing on EOF or timeout.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout) {
    const auto until = steady::now() + timeout;
    for (;;) {
      if (const auto nl = buffered_.find('\n'); nl != std::string::npos) {
        std::string line = buffered_.substr(0, nl);
        buffered_.erase(0, nl + 1);
        return line;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - steady::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{out_fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[256];
      const ssize_t n = ::read(out_fd_, buf, sizeof buf);
      if (n <= 0) return std::nullopt;
      buffered_.append(buf, static_cast<std::size_t>(n));
    }
  }

  // The wait status once the child ended, with the time it was seen to end; nothing on timeout.
  std::optional<std::pair<int, steady::time_point>> wait(std::chrono::milliseconds timeout) {
    const auto until = steady::now() + timeout;
    while (steady::now() < until) {
      int st = 0;
      const pid_t r = ::waitpid(pid_, &st, WNOHANG);
      if (r == pid_) {
        const auto at = steady::now();
        pid_ = -1;
        return std::make_pair(st, at);
      }
      std::this_thread::sleep_for(1ms);
    }
    return std::nullopt;
  }

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string buffered_;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::size_t count_lines_with(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) n += line.find(needle) != std::string::npos;
  return n;
}

std::string temp_path(const char* name) {
  return ::testing::TempDir() + "ctxflow_" + name + "_" + std::to_string(::getpid());
}

TEST(ShutdownFaults, AProgramWithADeadCollectorExitsPromptlyAndReportsItsLostSpansOnce) {
  dead_port port;
  ASSERT_NE(port.port(), 0);
  const std::string err = temp_path("dead_collector_stderr");
  // 200 ms before returning: the first full batch is then in its retry backoff.
  child_process child({"exit", "1000", "200"},
                      {"OTEL_TRACES_EXPORTER=otlp",
                       "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://127.0.0.1:" +
                           std::to_string(port.port()) + "/v1/traces"},
                      err);
  ASSERT_TRUE(child.started());
  const std::optional<std::string> line = child.read_line(30s);
  ASSERT_TRUE(line.has_value());
  ASSERT_TRUE(line->starts_with("main returning ")) << *line;
  const steady::time_point returning{std::chrono::nanoseconds(std::stoll(line->substr(15)))};
  const auto ended = child.wait(30s);
  ASSERT_TRUE(ended.has_value()) << "the child did not exit";
  const auto exit_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(ended->second - returning).count();
  std::cout << "[ measured ] main returning -> exit with a dead collector and 1,000 spans: "
            << exit_ms << " ms\n";
  RecordProperty("exit_ms", static_cast<int>(exit_ms));
  EXPECT_TRUE(WIFEXITED(ended->first) && WEXITSTATUS(ended->first) == 0);
  EXPECT_LT(exit_ms, 5000) << "goal: under 2 s";

  const std::string stderr_text = read_file(err);
  ::unlink(err.c_str());
  EXPECT_EQ(count_lines_with(stderr_text, "[sdk.shutdown.undelivered]"), 1u) << stderr_text;
  EXPECT_EQ(count_lines_with(stderr_text, "[sdk.shutdown.undelivered] 1000 spans"), 1u)
      << stderr_text;
  // Not once per batch: no per-batch failure lines at the default (warning) level.
  EXPECT_EQ(count_lines_with(stderr_text, "[sdk.export.failed]"), 0u) << stderr_text;
  EXPECT_EQ(count_lines_with(stderr_text, "[otlp.export.failed]"), 0u) << stderr_text;
}

TEST(ShutdownFaults, SigtermDeliversTheQueuedSpansAndTheProcessStillEndsBySigterm) {
  loopback_receiver receiver;
  const std::string err = temp_path("sigterm_stderr");
  child_process child({"signal", "300"},
                      {"OTEL_TRACES_EXPORTER=otlp",
                       "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=" + receiver.endpoint(),
                       // The spans stay queued until the signal (no timer export meanwhile).
                       "OTEL_BSP_SCHEDULE_DELAY=600000"},
                      err);
  ASSERT_TRUE(child.started());
  const std::optional<std::string> line = child.read_line(30s);
  ASSERT_TRUE(line.has_value());
  ASSERT_EQ(*line, "ready");
  EXPECT_EQ(receiver.span_count(), 0u);
  ASSERT_EQ(::kill(child.pid(), SIGTERM), 0);
  const auto ended = child.wait(30s);
  ASSERT_TRUE(ended.has_value()) << "the child did not end";
  EXPECT_TRUE(WIFSIGNALED(ended->first));
  EXPECT_EQ(WTERMSIG(ended->first), SIGTERM);
  EXPECT_EQ(receiver.span_count(), 300u);
  const std::string stderr_text = read_file(err);
  ::unlink(err.c_str());
  EXPECT_EQ(count_lines_with(stderr_text, "[sdk.shutdown.undelivered]"), 0u) << stderr_text;
}

TEST(ShutdownFaults, OnceShutdownStartsTheExporterMakesNoRetryWithBackoff) {
  ctxflow::testing::diagnostics_capture cap;
  // Always 503 with Retry-After: 3; a retry would show as a 3 s wait and an extra request.
  loopback_receiver receiver([](const received_request&, std::size_t) {
    canned_response r;
    r.status = 503;
    r.headers.emplace_back("Retry-After", "3");
    return r;
  });
  http_exporter_options eo;
  eo.endpoint = receiver.endpoint();
  eo.timeout = 20s;
  auto exp = std::make_unique<http_exporter>(eo);
  http_exporter* exporter = exp.get();
  sdk::batch_options bo;
  bo.schedule_delay = 60s;
  bo.max_export_batch_size = 100;
  auto proc = std::make_unique<sdk::batch_span_processor>(std::move(exp), bo);
  sdk::batch_span_processor* processor = proc.get();
  sdk::tracer_provider_options po;
  po.processors.push_back(std::move(proc));
  sdk::tracer_provider provider(std::move(po));
  trace::tracer t = provider.get_tracer("test");
  for (int i = 0; i < 300; ++i) t.start_span("s").end();
  // The first full batch got its 503 and waits 3 s for its retry.
  ASSERT_TRUE(receiver.wait_for_requests(1, 10s));
  std::this_thread::sleep_for(50ms);
  const auto start = steady::now();
  EXPECT_FALSE(provider.shutdown(10s));
  EXPECT_LT(steady::now() - start, 2s) << "no backoff wait after shutdown started";

  // One request per batch: the interrupted one, then one attempt for each of the other two.
  EXPECT_EQ(receiver.request_count(), 3u);
  EXPECT_EQ(exporter->stats().requests, 3u);
  EXPECT_EQ(exporter->stats().retries, 0u);
  EXPECT_EQ(processor->stats().not_delivered_at_shutdown, 300u);
  EXPECT_EQ(cap.count("sdk.shutdown.undelivered"), 1u);
  EXPECT_EQ(cap.count("sdk.export.failed"), 0u);
}

}  // namespace
}  // namespace ctxflow::exporters::otlp
