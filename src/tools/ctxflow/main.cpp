// SPDX-License-Identifier: Apache-2.0
// The `ctxflow` command-line program.
#include <cstdio>
#include <cstring>

#include "ctxflow/config.hpp"
#include "tools/ctxflow/demo.hpp"

namespace {

void usage() {
  std::printf(
      "usage: ctxflow <command> [options]\n"
      "\n"
      "commands:\n"
      "  demo [--out FILE] [--redis HOST:PORT] [--ascii]\n"
      "        run an asynchronous order pipeline that crosses every boundary ctxflow\n"
      "        handles, print its trace as a waterfall, write the spans as OTLP JSON lines\n"
      "        to FILE (default ctxflow-demo.jsonl) and verify the trace's structure\n"
      "  version\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage();
    return 2;
  }
  if (std::strcmp(argv[1], "demo") == 0) return ctxflow::tools::run_demo(argc - 2, argv + 2);
  if (std::strcmp(argv[1], "demo-child") == 0)
    return ctxflow::tools::run_demo_child(argc - 2, argv + 2);
  if (std::strcmp(argv[1], "version") == 0) {
    std::printf("ctxflow %s\n", CTXFLOW_VERSION_STRING);
    return 0;
  }
  usage();
  return 2;
}
