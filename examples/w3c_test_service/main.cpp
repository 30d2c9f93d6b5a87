// SPDX-License-Identifier: Apache-2.0
// w3c_test_service <port>: runs the W3C Trace Context test-suite service on 127.0.0.1:<port>
// until SIGINT or SIGTERM. Spans are recorded by the SDK (set OTEL_TRACES_EXPORTER=console to
// see them); the propagator is W3C Trace Context unless OTEL_PROPAGATORS says otherwise.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "ctxflow/sdk/init.hpp"
#include "w3c_test_service/w3c_service.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <port>\n", argv[0]);
    return 2;
  }
  const int port = std::atoi(argv[1]);
  if (port <= 0 || port > 65535) {
    std::fprintf(stderr, "invalid port '%s'\n", argv[1]);
    return 2;
  }
  ctxflow::sdk::init_options options;
  if (!std::getenv("OTEL_TRACES_EXPORTER")) options.exporter_names = "none";
  if (!std::getenv("OTEL_PROPAGATORS")) options.propagators = "tracecontext";
  options.service_name = "w3c_test_service";
  auto sdk = ctxflow::sdk::init(std::move(options));

  boost::asio::io_context io;
  w3c_test_service::service service(io.get_executor(), static_cast<std::uint16_t>(port));
  service.start();
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) { service.stop(); });
  std::printf("w3c_test_service listening on 127.0.0.1:%u\n", service.port());
  std::fflush(stdout);
  std::thread second([&] { io.run(); });
  io.run();
  second.join();
  return 0;
}
