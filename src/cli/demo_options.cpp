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

std::optional<int> parse_demo_args(int argc, char** argv, demo_args& a) {
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
      a.out_path = argv[++i];
    } else if (std::strcmp(argv[i], "--ascii") == 0) {
      a.render.ascii = true;
    } else if (std::strcmp(argv[i], "--hold") == 0 && i + 1 < argc) {
      const std::string_view v(argv[++i]);
      unsigned ms = 0;
      const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), ms);
      if (ec != std::errc{} || end != v.data() + v.size()) {
        std::fprintf(stderr, "ctxflow demo: --hold wants milliseconds, got '%s'\n", argv[i]);
        return 2;
      }
      a.hold = std::chrono::milliseconds(ms);
    } else if (std::strcmp(argv[i], "--redis") == 0 && i + 1 < argc) {
      if (!payment_services::built()) {
        std::fprintf(stderr, "ctxflow demo: --redis needs a build with CTXFLOW_WITH_ASIO=ON\n");
        return 2;
      }
      const auto choice = parse_redis(argv[++i]);
      if (!choice) {
        std::fprintf(stderr, "ctxflow demo: --redis wants HOST:PORT, got '%s'\n", argv[i]);
        return 2;
      }
      a.queue = *choice;
    } else {
      std::fprintf(stderr, "ctxflow demo: unknown option '%s' (see `ctxflow --help`)\n", argv[i]);
      return 2;
    }
  }
  return std::nullopt;
}

}  // namespace ctxflow::cli
