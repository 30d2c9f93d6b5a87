// SPDX-License-Identifier: Apache-2.0
// posix_spawn with captured output, and OTLP span records from JSON lines and protobuf.
#include "cli/demo_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <span>
#include <thread>

#include "ctxflow/trace/span_context.hpp"
#include "otlp_trace_service.pb.h"

extern char** environ;

namespace ctxflow::cli::testing {
namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::string hex_of_bytes(const std::string& bytes) {
  std::string out(bytes.size() * 2, '\0');
  trace::to_lower_hex(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()),
                      out.data());
  return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

std::string run_result::describe() const {
  std::string s = "started=" + std::to_string(started) + " timed_out=" + std::to_string(timed_out) +
                  " exited=" + std::to_string(exited) + " code=" + std::to_string(code) +
                  " signal=" + std::to_string(signal) +
                  " elapsed_ms=" + std::to_string(elapsed.count());
  return s + "\n--- stdout ---\n" + out + "\n--- stderr ---\n" + err;
}

std::vector<std::string> clean_environment(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view v(*e);
    if (starts_with(v, "OTEL_") || starts_with(v, "TRACEPARENT=") ||
        starts_with(v, "TRACESTATE=") || starts_with(v, "BAGGAGE=") ||
        starts_with(v, "CTXFLOW_JSONL_PATH="))
      continue;
    env.emplace_back(v);
  }
  for (const auto& x : extra) env.push_back(x);
  return env;
}

running_program::running_program(const std::string& path, const std::vector<std::string>& args,
                                 const std::vector<std::string>& env)
    : start_(std::chrono::steady_clock::now()) {
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return;
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    return;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  std::vector<std::string> argv_strings{path};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<std::string> env_strings = env;
  std::vector<char*> argv = pointers(argv_strings);
  std::vector<char*> envp = pointers(env_strings);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, path.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  out_fd_ = out_pipe[0];
  err_fd_ = err_pipe[0];
  ::fcntl(out_fd_, F_SETFL, O_NONBLOCK);
  ::fcntl(err_fd_, F_SETFL, O_NONBLOCK);
  if (rc == 0) pid_ = pid;
}

running_program::~running_program() {
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status_, 0);  // SIGKILL ends it; the wait is short
  }
  if (out_fd_ >= 0) ::close(out_fd_);
  if (err_fd_ >= 0) ::close(err_fd_);
}

void running_program::pump(int timeout_ms) {
  pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
  const nfds_t n = out_fd_ >= 0 ? 2 : 0;
  if (n == 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(timeout_ms));
    return;
  }
  if (::poll(fds, n, timeout_ms) <= 0) return;
  char buf[4096];
  for (int i = 0; i < 2; ++i) {
    int& fd = i == 0 ? out_fd_ : err_fd_;
    std::string& into = i == 0 ? out_ : err_;
    if (fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
    while (true) {
      const ssize_t r = ::read(fd, buf, sizeof buf);
      if (r > 0) {
        into.append(buf, static_cast<std::size_t>(r));
        continue;
      }
      if (r < 0 && errno == EINTR) continue;
      break;  // EAGAIN, or EOF: kept open until the program is reaped
    }
  }
}

bool running_program::try_reap() {
  if (reaped_) return true;
  if (pid_ <= 0) return false;
  const pid_t r = ::waitpid(pid_, &status_, WNOHANG);
  if (r == pid_) reaped_ = true;
  return reaped_;
}

bool running_program::wait_for_output(std::string_view marker, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (out_.find(marker) == std::string::npos) {
    if (std::chrono::steady_clock::now() >= deadline || try_reap()) {
      pump(0);
      return out_.find(marker) != std::string::npos;
    }
    pump(20);
  }
  return true;
}

bool running_program::send(int sig) { return pid_ > 0 && !reaped_ && ::kill(pid_, sig) == 0; }

run_result running_program::finish(std::chrono::milliseconds limit) {
  run_result r;
  r.started = started();
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (r.started && !try_reap()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      r.timed_out = true;
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status_, 0);
      reaped_ = true;
      break;
    }
    pump(20);
  }
  pump(0);
  r.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start_);
  if (reaped_ && !r.timed_out) {
    r.exited = WIFEXITED(status_);
    r.code = r.exited ? WEXITSTATUS(status_) : -1;
    r.signal = WIFSIGNALED(status_) ? WTERMSIG(status_) : 0;
  }
  r.out = out_;
  r.err = err_;
  return r;
}

run_result run_program(const std::string& path, const std::vector<std::string>& args,
                       const std::vector<std::string>& env, std::chrono::milliseconds limit) {
  running_program p(path, args, env);
  return p.finish(limit);
}

bool spans_of_json(std::string_view json, std::vector<span_record>& out) {
  const auto j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return false;
  if (!j.contains("resourceSpans")) return true;
  for (const auto& rs : j["resourceSpans"]) {
    std::string service;
    if (rs.contains("resource") && rs["resource"].contains("attributes"))
      for (const auto& a : rs["resource"]["attributes"])
        if (a.value("key", "") == "service.name" && a.contains("value"))
          service = a["value"].value("stringValue", "");
    if (!rs.contains("scopeSpans")) continue;
    for (const auto& ss : rs["scopeSpans"]) {
      if (!ss.contains("spans")) continue;
      for (const auto& s : ss["spans"])
        out.push_back({s.value("traceId", ""), s.value("spanId", ""), s.value("parentSpanId", ""),
                       s.value("name", ""), service});
    }
  }
  return true;
}

bool spans_of_protobuf(const std::string& bytes, std::vector<span_record>& out) {
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest msg;
  if (!msg.ParseFromString(bytes)) return false;
  for (const auto& rs : msg.resource_spans()) {
    std::string service;
    for (const auto& a : rs.resource().attributes())
      if (a.key() == "service.name") service = a.value().string_value();
    for (const auto& ss : rs.scope_spans())
      for (const auto& s : ss.spans())
        out.push_back({hex_of_bytes(s.trace_id()), hex_of_bytes(s.span_id()),
                       hex_of_bytes(s.parent_span_id()), s.name(), service});
  }
  return true;
}

std::vector<span_record> spans_of_file(const std::string& path, bool& lines_ok) {
  std::vector<span_record> out;
  lines_ok = true;
  std::ifstream in(path);
  if (!in) {
    lines_ok = false;
    return out;
  }
  std::string line;
  while (std::getline(in, line))
    if (!line.empty() && !spans_of_json(line, out)) lines_ok = false;
  return out;
}

scratch_dir::scratch_dir() {
  std::string templ = (std::filesystem::temp_directory_path() / "ctxflow-demo-test-XXXXXX").string();
  if (::mkdtemp(templ.data()) != nullptr) path_ = templ;
}

scratch_dir::~scratch_dir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

std::string scratch_dir::file(const std::string& name) const { return path_ + "/" + name; }

std::size_t scratch_dir::entries() const {
  std::error_code ec;
  std::size_t n = 0;
  for (auto it = std::filesystem::directory_iterator(path_, ec);
       !ec && it != std::filesystem::directory_iterator(); ++it)
    ++n;
  return n;
}

long verified_count(const std::string& out) {
  const std::string key = "verified: ";
  const std::size_t at = out.find(key);
  if (at == std::string::npos) return -1;
  return std::strtol(out.c_str() + at + key.size(), nullptr, 10);
}

}  // namespace ctxflow::cli::testing
