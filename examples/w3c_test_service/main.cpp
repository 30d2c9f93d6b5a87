// SPDX-License-Identifier: Apache-2.0
// w3c_test_service <port> [<drain timeout ms>]: runs the W3C Trace Context test-suite service on
// 127.0.0.1:<port> (0: a free port, printed on the first line) until SIGINT or SIGTERM, then
// shuts down gracefully: requests in flight get the drain timeout (default 5000 ms) to finish,
// then they are cancelled, and the process exits. Spans are recorded by the SDK (set
// OTEL_TRACES_EXPORTER=console to see them); the propagator is W3C Trace Context unless
// OTEL_PROPAGATORS says otherwise.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <string>
#include <thread>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "ctxflow/sdk/init.hpp"
#include "w3c_test_service/w3c_service.hpp"

namespace {

bool parse_number(const char* text, long min, long max, long& out) {
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || v < min || v > max) return false;
  out = v;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 && argc != 3) {
    std::fprintf(stderr, "usage: %s <port> [<drain timeout ms>]\n", argv[0]);
    return 2;
  }
  long port = 0;
  if (!parse_number(argv[1], 0, 65535, port)) {
    std::fprintf(stderr, "invalid port '%s'\n", argv[1]);
    return 2;
  }
  long drain_ms = 5000;
  if (argc == 3 && !parse_number(argv[2], 0, 3600 * 1000, drain_ms)) {
    std::fprintf(stderr, "invalid drain timeout '%s'\n", argv[2]);
    return 2;
  }
  const std::chrono::milliseconds drain_timeout(drain_ms);
  ctxflow::sdk::init_options options;
  if (!std::getenv("OTEL_TRACES_EXPORTER")) options.exporter_names = "none";
  if (!std::getenv("OTEL_PROPAGATORS")) options.propagators = "tracecontext";
  options.service_name = "w3c_test_service";
  auto sdk = ctxflow::sdk::init(std::move(options));

  boost::asio::io_context io;
  w3c_test_service::service service(io.get_executor(), static_cast<std::uint16_t>(port),
                                    drain_timeout);
  service.start();
  // The signal only starts the shutdown; this thread, which does not run the io_context, waits
  // for it. The pending wait also keeps the io_context's threads running until a signal comes.
  std::promise<int> signalled;
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int number) {
    if (!ec) service.shutdown();
    signalled.set_value(ec ? 0 : number);
  });
  std::printf("w3c_test_service listening on 127.0.0.1:%u\n", service.port());
  std::fflush(stdout);
  std::thread runners[2];
  for (auto& t : runners) t = std::thread([&] { io.run(); });
  const int number = signalled.get_future().get();
  // Requests in flight finish (or are cancelled) within the drain timeout; a handler that
  // ignores its cancellation is given one more second, then the process leaves anyway.
  const bool clean = service.wait_for_shutdown(drain_timeout + std::chrono::seconds(1));
  io.stop();
  for (auto& t : runners) t.join();
  std::fprintf(stderr, "w3c_test_service: signal %d, %s\n", number,
               clean ? "shut down" : "shut down with requests still running");
  return clean ? 0 : 1;
}
