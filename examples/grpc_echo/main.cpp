// SPDX-License-Identifier: Apache-2.0
// grpc_echo <port> [sync|callback|coroutine]: serves ctxflowtest.Echo on 127.0.0.1:<port> (0: any
// free port), prints `listening on 127.0.0.1:<port>`, and stops cleanly on SIGTERM or SIGINT
// (calls in flight get two seconds to finish). Each Say replies with the trace id and parent
// span id its metadata carried and the baggage it received, then calls Say on every downstream
// address with the context injected. The style picks the API the service is written with
// (default: callback). Spans go where OTEL_TRACES_EXPORTER says (default: nowhere); the
// propagators are OTEL_PROPAGATORS' (default: tracecontext,baggage).
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>

#include <pthread.h>

#include "ctxflow/exec/thread_pool.hpp"
#include "ctxflow/sdk/init.hpp"
#include "grpc_echo/echo_service.hpp"

int main(int argc, char** argv) {
  if (argc != 2 && argc != 3) {
    std::fprintf(stderr, "usage: %s <port> [sync|callback|coroutine]\n", argv[0]);
    return 2;
  }
  char* end = nullptr;
  const long port = std::strtol(argv[1], &end, 10);
  if (end == argv[1] || *end != '\0' || port < 0 || port > 65535) {
    std::fprintf(stderr, "invalid port '%s'\n", argv[1]);
    return 2;
  }
  grpc_echo::style style = grpc_echo::style::callback;
  if (argc == 3) {
    if (std::strcmp(argv[2], "sync") == 0) {
      style = grpc_echo::style::sync;
    } else if (std::strcmp(argv[2], "coroutine") == 0) {
      style = grpc_echo::style::coroutine;
    } else if (std::strcmp(argv[2], "callback") != 0) {
      std::fprintf(stderr, "unknown style '%s'\n", argv[2]);
      return 2;
    }
  }

  // SIGTERM and SIGINT are taken by sigwait below: blocked before any thread starts, so that
  // every gRPC and pool thread inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  ctxflow::sdk::init_options options;
  if (!std::getenv("OTEL_TRACES_EXPORTER")) options.exporter_names = "none";
  if (!std::getenv("OTEL_PROPAGATORS")) options.propagators = "tracecontext,baggage";
  options.service_name = "grpc_echo";
  auto sdk = ctxflow::sdk::init(std::move(options));

  ctxflow::exec::thread_pool pool(2);
  grpc_echo::server server = grpc_echo::start_server(style, static_cast<int>(port), pool);
  if (!server.grpc || server.port == 0) {
    std::fprintf(stderr, "cannot listen on 127.0.0.1:%ld\n", port);
    return 1;
  }
  std::printf("listening on 127.0.0.1:%d\n", server.port);
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  server.grpc->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  server.grpc->Wait();
  return 0;
}
