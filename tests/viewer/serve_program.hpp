// SPDX-License-Identifier: Apache-2.0
// `ctxflow serve` started as a child process on a free loopback port (read from its first
// line), stopped with SIGTERM at the end; and the JSON API read back with viewer::decode_json.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "cli/demo_process.hpp"
#include "ctxflow/viewer/otlp_reader.hpp"
#include "viewer/serve_test_support.hpp"

namespace ctxflow::viewer::testing {

inline std::string hex_of(const trace::trace_id& id) {
  const auto h = id.to_hex();
  return {h.data(), h.size()};
}

/// A running `ctxflow serve --listen 127.0.0.1:0 --ascii [extra]`; port() is 0 when it did not
/// say where it listens within 10 s.
class serve_program {
 public:
  /// `env`: extra `NAME=value` entries; `listen`: the `--listen` value.
  serve_program(const std::string& path, const std::vector<std::string>& extra_args = {},
                const std::vector<std::string>& env = {},
                const std::string& listen = "127.0.0.1:0") {
    std::vector<std::string> args{"serve", "--listen", listen, "--ascii"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    program_ = std::make_unique<cli::testing::running_program>(path, args,
                                                               cli::testing::clean_environment(env));
    if (!program_->wait_for_output("\n", std::chrono::seconds(10))) return;
    static const std::regex first_line("^listening on http://127\\.0\\.0\\.1:([0-9]+)\n");
    std::smatch m;
    const std::string& out = program_->output();
    if (std::regex_search(out, m, first_line)) port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
  }
  ~serve_program() {
    if (!stopped_) (void)stop();
  }
  serve_program(const serve_program&) = delete;
  serve_program& operator=(const serve_program&) = delete;

  std::uint16_t port() const { return port_; }
  cli::testing::running_program& process() { return *program_; }
  /// Sends `sig` and waits (at most 15 s) for the program to end.
  cli::testing::run_result stop(int sig = SIGTERM) {
    stopped_ = true;
    program_->send(sig);
    return program_->finish(std::chrono::seconds(15));
  }

 private:
  std::unique_ptr<cli::testing::running_program> program_;
  std::uint16_t port_ = 0;
  bool stopped_ = false;
};

/// The spans `GET /api/traces/{id}` answers, decoded with viewer::decode_json; `status` gets
/// the HTTP status.
inline std::vector<sdk::span_data> fetch_trace(std::uint16_t port, const trace::trace_id& id,
                                               int* status = nullptr) {
  const auto a = http_call(port, "GET", "/api/traces/" + hex_of(id));
  if (status != nullptr) *status = a.status;
  std::vector<sdk::span_data> spans;
  std::string error;
  if (a.status == 200) {
    EXPECT_EQ(a.header("Content-Type"), "application/json");
    EXPECT_TRUE(decode_json(a.body, spans, error)) << error << "\n" << a.body;
  }
  return spans;
}

/// `GET /api/traces` + `query`, parsed.
inline nlohmann::json list_traces(std::uint16_t port, const std::string& query = "") {
  const auto a = http_call(port, "GET", "/api/traces" + query);
  EXPECT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.header("Content-Type"), "application/json");
  return nlohmann::json::parse(a.body, nullptr, false);
}

}  // namespace ctxflow::viewer::testing
