// SPDX-License-Identifier: Apache-2.0
// The command line of `ctxflow demo`.
#include "cli/demo_options.hpp"

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace ctxflow::cli {

std::optional<queue_choice> parse_redis(std::string_view arg) {
  const std::size_t colon = arg.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  unsigned port = 0;
  const char* first = arg.data() + colon + 1;
  const char* last = arg.data() + arg.size();
  auto [end, ec] = std::from_chars(first, last, port);
  if (ec != std::errc{} || end != last || port == 0 || port > 65535) return std::nullopt;
  return queue_choice{std::string(arg.substr(0, colon)), static_cast<std::uint16_t>(port)};
}

void demo_usage(std::FILE* to) {
  std::fprintf(
      to,
      "usage: ctxflow demo [--out FILE] [--redis HOST:PORT] [--ascii] [--hold MS]\n"
      "\n"
      "Runs an asynchronous order pipeline that crosses every boundary ctxflow handles\n"
      "(tasks, threads, an HTTP call, a queue and a child process), writes every span of\n"
      "every process as OTLP JSON lines to FILE, then reads FILE back, prints its trace as\n"
      "a waterfall and verifies that every span in it is in one trace under the right\n"
      "parent. Spans go only to FILE unless OTEL_TRACES_EXPORTER names exporters too\n"
      "(otlp, console, jsonl), configured by OTEL_EXPORTER_OTLP_* as usual.\n"
      "\n"
      "options:\n"
      "  --out FILE          where the spans go (default ctxflow-demo.jsonl)\n"
      "  --redis HOST:PORT   send the message through a Redis stream instead of the\n"
      "                      in-process queue\n"
      "  --ascii             draw the waterfall bars with '#'\n"
      "  --hold MS           keep the payment service up MS milliseconds after the order\n"
      "  -h, --help          print this text and exit\n"
      "\n"
      "exit status: 0 verified (and exported), 1 a check or an export failed, 2 bad\n"
      "options, 128+N stopped by signal N (SIGINT 130, SIGTERM 143: the payment service\n"
      "stops gracefully and the spans are flushed first)\n");
}

std::optional<int> parse_demo_args(int argc, char** argv, demo_args& a) {
  // The value of option argv[i], or null (after saying so) when there is none: the option is
  // last, or the next argument is an option itself.
  auto value_of = [&](int& i) -> const char* {
    if (i + 1 >= argc || std::strncmp(argv[i + 1], "--", 2) == 0) {
      std::fprintf(stderr, "ctxflow demo: option '%s' needs a value (see `ctxflow demo --help`)\n",
                   argv[i]);
      return nullptr;
    }
    return argv[++i];
  };
  for (int i = 0; i < argc; ++i) {
    const char* arg = argv[i];
    if (std::strcmp(arg, "--help") == 0 || std::strcmp(arg, "-h") == 0) {
      demo_usage(stdout);
      return 0;
    } else if (std::strcmp(arg, "--out") == 0) {
      const char* v = value_of(i);
      if (v == nullptr) return 2;
      a.out_path = v;
    } else if (std::strcmp(arg, "--ascii") == 0) {
      a.render.ascii = true;
    } else if (std::strcmp(arg, "--hold") == 0) {
      const char* v = value_of(i);
      if (v == nullptr) return 2;
      const std::string_view text(v);
      unsigned ms = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
      if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) {
        std::fprintf(stderr, "ctxflow demo: --hold wants milliseconds, got '%s'\n", v);
        return 2;
      }
      a.hold = std::chrono::milliseconds(ms);
    } else if (std::strcmp(arg, "--redis") == 0) {
      const char* v = value_of(i);
      if (v == nullptr) return 2;
      if (!payment_services::built()) {
        std::fprintf(stderr, "ctxflow demo: --redis needs a build with CTXFLOW_WITH_ASIO=ON\n");
        return 2;
      }
      const auto choice = parse_redis(v);
      if (!choice) {
        std::fprintf(stderr, "ctxflow demo: --redis wants HOST:PORT, got '%s'\n", v);
        return 2;
      }
      a.queue = *choice;
    } else if (arg[0] == '-') {
      std::fprintf(stderr, "ctxflow demo: unknown option '%s' (see `ctxflow demo --help`)\n",
                   arg);
      return 2;
    } else {
      std::fprintf(stderr, "ctxflow demo: unexpected argument '%s' (see `ctxflow demo --help`)\n",
                   arg);
      return 2;
    }
  }
  return std::nullopt;
}

}  // namespace ctxflow::cli
