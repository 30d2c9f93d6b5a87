// SPDX-License-Identifier: Apache-2.0
// A small program for tests/otlp/shutdown_faults_test.cpp: it sets the SDK up from the OTEL_*
// environment the test gives it, as an application would.
//
//   shutdown_child exit <spans> <settle-ms>
//       ends <spans> spans, waits <settle-ms>, prints "main returning <steady ns>" and returns
//       from main (the init guard then flushes and shuts down).
//   shutdown_child signal <spans>
//       also installs flush_on_signals(), ends <spans> spans, prints "ready" and waits for a
//       signal.
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "ctxflow/sdk/init.hpp"
#include "ctxflow/sdk/signals.hpp"
#include "ctxflow/trace/provider.hpp"

namespace {

void end_spans(int n) {
  ctxflow::trace::tracer t = ctxflow::trace::get_tracer("shutdown-child");
  for (int i = 0; i < n; ++i) t.start_span("queued").end();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: shutdown_child exit <spans> <settle-ms> | signal <spans>\n");
    return 2;
  }
  const int spans = std::atoi(argv[2]);
  auto telemetry = ctxflow::sdk::init();
  if (std::strcmp(argv[1], "exit") == 0) {
    end_spans(spans);
    if (argc > 3) std::this_thread::sleep_for(std::chrono::milliseconds(std::atoi(argv[3])));
    const auto now = std::chrono::steady_clock::now().time_since_epoch();
    std::printf("main returning %lld\n",
                static_cast<long long>(std::chrono::duration_cast<std::chrono::nanoseconds>(now).count()));
    std::fflush(stdout);
    return 0;
  }
  if (std::strcmp(argv[1], "signal") == 0) {
    auto on_signals = ctxflow::sdk::flush_on_signals();
    end_spans(spans);
    // One blocking call on this thread before "ready". ThreadSanitizer's runtime creates a
    // thread's signal state at the thread's first blocking call, and a signal that arrives
    // while it does so is lost: a SIGTERM sent just after "ready", while this thread entered
    // pause() for the first time, never reached the handler (about 1 run in 100, seen in the
    // kernel's signal trace). With the state made here, a signal that comes before pause() is
    // held and handled when pause() begins. Without ThreadSanitizer this is a zero-length poll.
    // docs/usage/building.md, "ThreadSanitizer and signals".
    (void)::poll(nullptr, 0, 0);
    std::printf("ready\n");
    std::fflush(stdout);
    for (;;) ::pause();
  }
  return 2;
}
