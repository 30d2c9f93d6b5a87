// SPDX-License-Identifier: Apache-2.0
// The `ctxflow` command-line program: the commands, help and version. Exit status: 0 for help
// and version, 2 for a command line it does not understand; a command's own otherwise.
#include <cstdio>
#include <cstring>

#include "ctxflow/config.hpp"
#include "cli/demo.hpp"
#include "cli/view.hpp"
#if CTXFLOW_CLI_HAS_SERVE
#include "cli/serve.hpp"
#endif

namespace {

void usage(std::FILE* to) {
  std::fprintf(
      to,
      "usage: ctxflow <command> [options]\n"
      "       ctxflow --help | --version\n"
      "\n"
      "commands:\n"
      "  demo      run an asynchronous order pipeline that crosses every boundary ctxflow\n"
      "            handles (tasks, threads, an HTTP call, a queue and a child process), write\n"
      "            its spans as OTLP JSON lines, print the trace and verify that it is one\n"
      "            trace with every span under the right parent\n"
      "            (`ctxflow demo --help` lists its options and exit statuses)\n"
      "  serve     receive OTLP/HTTP trace exports on 127.0.0.1:4318, keep them in SQLite,\n"
      "            answer a JSON API and print each trace as a waterfall\n"
      "            (`ctxflow serve --help` lists its options)\n"
      "  view      print the traces of OTLP JSON files as waterfalls, filter them, or\n"
      "            check their structure (`ctxflow view --help`)\n"
      "  help      print this text\n"
      "  version   print the version\n"
      "\n"
      "options:\n"
      "  -h, --help      print this text and exit\n"
      "  -V, --version   print `ctxflow <version>` and exit\n"
      "\n"
      "exit status: 0 done, 2 unknown command or option; a command's own otherwise\n");
}

bool is(const char* arg, const char* a, const char* b = nullptr) {
  return std::strcmp(arg, a) == 0 || (b != nullptr && std::strcmp(arg, b) == 0);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char* command = argv[1];
  if (is(command, "--help", "-h") || is(command, "help")) {
    usage(stdout);
    return 0;
  }
  if (is(command, "--version", "-V") || is(command, "version")) {
    std::printf("ctxflow %s\n", CTXFLOW_VERSION_STRING);
    return 0;
  }
  if (is(command, "demo")) return ctxflow::cli::run_demo(argc - 2, argv + 2);
  if (is(command, "view")) return ctxflow::cli::run_view(argc - 2, argv + 2);
  if (is(command, "demo-child")) return ctxflow::cli::run_demo_child(argc - 2, argv + 2);
  if (is(command, "serve")) {
#if CTXFLOW_CLI_HAS_SERVE
    return ctxflow::cli::run_serve(argc - 2, argv + 2);
#else
    std::fprintf(stderr, "ctxflow: serve needs a build with the HTTP integration and the viewer\n");
    return 2;
#endif
  }
  if (command[0] == '-') {
    std::fprintf(stderr, "ctxflow: unknown option '%s'\nrun `ctxflow --help` for usage\n",
                 command);
  } else {
    std::fprintf(stderr, "ctxflow: unknown command '%s'\nrun `ctxflow --help` for usage\n",
                 command);
  }
  return 2;
}
