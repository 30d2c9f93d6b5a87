// SPDX-License-Identifier: Apache-2.0
// The `ctxflow` command-line program.
#include <cstdio>
#include <cstring>

#include "ctxflow/config.hpp"
#include "cli/demo.hpp"

namespace {

void usage(std::FILE* to) {
  std::fprintf(
      to,
      "usage: ctxflow <command> [options]\n"
      "\n"
      "commands:\n"
      "  demo [--out FILE] [--redis HOST:PORT] [--ascii]\n"
      "        run an asynchronous order pipeline that crosses every boundary ctxflow\n"
      "        handles (tasks, threads, an HTTP call, a queue and a child process), write\n"
      "        every span of every process as OTLP JSON lines to FILE (default\n"
      "        ctxflow-demo.jsonl), then read FILE back, print its trace as a waterfall\n"
      "        and verify that every span in it is in one trace under the right parent.\n"
      "        Spans go only to FILE unless OTEL_TRACES_EXPORTER names exporters too\n"
      "        (otlp, console, jsonl), configured by OTEL_EXPORTER_OTLP_* as usual;\n"
      "        the child process and the payment service export their spans the same way.\n"
      "        Exit status: 0 verified (and exported), 1 a check or an export failed,\n"
      "        2 bad options, 128+N stopped by signal N (SIGINT 130, SIGTERM 143: the\n"
      "        payment service stops gracefully and the spans are flushed first).\n"
      "  version\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  if (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0 ||
      std::strcmp(argv[1], "help") == 0) {
    usage(stdout);
    return 0;
  }
  if (std::strcmp(argv[1], "demo") == 0) {
    for (int i = 2; i < argc; ++i) {
      if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
        usage(stdout);
        return 0;
      }
    }
    return ctxflow::cli::run_demo(argc - 2, argv + 2);
  }
  if (std::strcmp(argv[1], "demo-child") == 0)
    return ctxflow::cli::run_demo_child(argc - 2, argv + 2);
  if (std::strcmp(argv[1], "version") == 0) {
    std::printf("ctxflow %s\n", CTXFLOW_VERSION_STRING);
    return 0;
  }
  usage(stderr);
  return 2;
}
