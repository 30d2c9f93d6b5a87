// SPDX-License-Identifier: Apache-2.0
// Private: the command line of `ctxflow demo`.
#pragma once

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "cli/demo_services.hpp"
#include "ctxflow/exporters/console_exporter.hpp"

namespace ctxflow::cli {

/// The options of `ctxflow demo` (`ctxflow demo --help` describes them).
struct demo_args {
  std::string out_path = "ctxflow-demo.jsonl";
  exporters::render_options render;
  /// How long the payment service stays up after the order (`--hold MS`), so that a signal can
  /// be sent to a running service; used by the tests.
  std::chrono::milliseconds hold{0};
  queue_choice queue;  // `--redis HOST:PORT`; the in-process queue by default
};

/// Prints the usage of `ctxflow demo`: its options and exit statuses.
void demo_usage(std::FILE* to);

/// Parses the options into `a`; returns an exit code when the demo must not run: 0 after
/// printing its usage for `--help`/`-h`, 2 after a message on stderr naming the option that is
/// unknown or lacks a value.
std::optional<int> parse_demo_args(int argc, char** argv, demo_args& a);

/// Parses `HOST:PORT`.
std::optional<queue_choice> parse_redis(std::string_view arg);

}  // namespace ctxflow::cli
