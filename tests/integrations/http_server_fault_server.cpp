// SPDX-License-Identifier: Apache-2.0
// http_server_fault_server <max connections> <head timeout ms>: an http_server on 127.0.0.1 (a
// free port) answering every request `200 ok`, for the fault tests that need the server in a
// process of its own (under a lowered RLIMIT_NOFILE). Prints `port <n>` once listening and
// `diagnostic <code>` for every ctxflow report; stops on SIGTERM or SIGINT.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/integrations/http/http_server.hpp"

namespace {

boost::asio::awaitable<ctxflow::integrations::http::response> answer(
    ctxflow::integrations::http::request) {
  co_return ctxflow::integrations::http::response{200, {}, "ok"};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <max connections> <head timeout ms>\n", argv[0]);
    return 2;
  }
  ctxflow::set_diagnostics_rate_limit(1000000);
  ctxflow::set_diagnostics_handler([](const ctxflow::diagnostic& d) {
    std::printf("diagnostic %.*s\n", static_cast<int>(d.code.size()), d.code.data());
    std::fflush(stdout);
  });
  ctxflow::integrations::http::server_options options;
  options.max_connections = static_cast<std::size_t>(std::strtoul(argv[1], nullptr, 10));
  options.head_timeout = std::chrono::milliseconds(std::strtol(argv[2], nullptr, 10));
  options.drain_timeout = std::chrono::milliseconds(500);

  boost::asio::io_context io;
  ctxflow::integrations::http::http_server server(io.get_executor(), answer, options);
  server.start();
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) { server.stop(); });
  std::printf("port %u\n", static_cast<unsigned>(server.port()));
  std::fflush(stdout);
  io.run();
  return 0;
}
