// SPDX-License-Identifier: Apache-2.0
// Private: the `ctxflow serve` command, a local OTLP/HTTP trace receiver with a JSON API.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace ctxflow::cli {

/// The options of `ctxflow serve` (`ctxflow serve --help` describes them).
struct serve_args {
  std::string address = "127.0.0.1";
  std::uint16_t port = 4318;
  std::string db_path;  // empty: in memory
  std::size_t retention = 1000;
  std::size_t max_body = 16 * 1024 * 1024;
  bool quiet = false;
  bool ascii = false;  // forced; otherwise ASCII when stdout is not a terminal
  std::chrono::milliseconds quiet_after{1000};
  std::chrono::milliseconds head_timeout{10000};
};

/// Prints the usage of `ctxflow serve`.
void serve_usage(std::FILE* to);

/// Parses the options into `a`; an exit code when the server must not run: 0 after the usage
/// for `--help`, 2 after a message naming the bad option.
std::optional<int> parse_serve_args(int argc, char** argv, serve_args& a);

/// Parses `1s`, `250ms`, `500us`, `20ns`, `2m` (a bare number is milliseconds).
std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text);

/// Runs the server until SIGINT or SIGTERM; returns the process exit code.
int run_serve(int argc, char** argv);

}  // namespace ctxflow::cli
