// SPDX-License-Identifier: Apache-2.0
// The `ctxflow` program's command line, run as a child process: help and version on stdout with
// status 0, unknown commands and options named on stderr with status 2, and `ctxflow demo`'s own
// usage and option errors.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli/demo_process.hpp"

namespace ctxflow::cli::testing {
namespace {

using namespace std::chrono_literals;

const std::string program = CTXFLOW_DEMO_PROGRAM;

run_result run(const std::vector<std::string>& args) {
  return run_program(program, args, clean_environment(), 20s);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(Cli, HelpInEachFormPrintsTheUsageToStdoutAndExits0) {
  for (const char* form : {"--help", "-h", "help"}) {
    const run_result r = run({form});
    ASSERT_TRUE(r.exited) << form << ": " << r.describe();
    EXPECT_EQ(r.code, 0) << form;
    EXPECT_TRUE(contains(r.out, "usage: ctxflow <command>")) << form << ": " << r.out;
    EXPECT_TRUE(contains(r.out, "demo")) << r.out;
    EXPECT_TRUE(contains(r.out, "--version")) << r.out;
    EXPECT_EQ(r.err, "") << form;
  }
}

TEST(Cli, VersionInEachFormPrintsTheProjectVersionToStdoutAndExits0) {
  for (const char* form : {"--version", "-V", "version"}) {
    const run_result r = run({form});
    ASSERT_TRUE(r.exited) << form << ": " << r.describe();
    EXPECT_EQ(r.code, 0) << form;
    EXPECT_EQ(r.out, std::string("ctxflow ") + CTXFLOW_EXPECTED_VERSION + "\n") << form;
    EXPECT_EQ(r.err, "") << form;
  }
}

TEST(Cli, AnUnknownCommandIsNamedOnStderrWithAHintAndExits2) {
  const run_result r = run({"frobnicate", "--now"});
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(contains(r.err, "ctxflow: unknown command 'frobnicate'\n")) << r.err;
  EXPECT_TRUE(contains(r.err, "ctxflow --help")) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST(Cli, AnUnknownOptionBeforeTheCommandIsNamedOnStderrAndExits2) {
  const run_result r = run({"--frobnicate"});
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(contains(r.err, "ctxflow: unknown option '--frobnicate'\n")) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST(Cli, NoCommandPrintsTheUsageToStderrAndExits2) {
  const run_result r = run({});
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(contains(r.err, "usage: ctxflow <command>")) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST(Cli, DemoHelpPrintsTheDemosOwnOptionsToStdoutWithoutRunningIt) {
  for (const char* form : {"--help", "-h"}) {
    const run_result r = run({"demo", "--ascii", form});
    ASSERT_TRUE(r.exited) << form << ": " << r.describe();
    EXPECT_EQ(r.code, 0) << form;
    EXPECT_TRUE(contains(r.out, "usage: ctxflow demo ")) << r.out;
    for (const char* option : {"--out FILE", "--redis HOST:PORT", "--ascii", "--hold MS"})
      EXPECT_TRUE(contains(r.out, option)) << option << " missing from:\n" << r.out;
    EXPECT_TRUE(contains(r.out, "exit status")) << r.out;
    EXPECT_EQ(verified_count(r.out), -1) << "the demo ran:\n" << r.out;
    EXPECT_EQ(r.err, "") << form;
  }
}

TEST(Cli, ADemoOptionWithoutItsValueIsNamedAndExits2) {
  for (const char* option : {"--out", "--hold", "--redis"}) {
    const run_result r = run({"demo", option});
    ASSERT_TRUE(r.exited) << option << ": " << r.describe();
    EXPECT_EQ(r.code, 2) << option;
    EXPECT_TRUE(contains(r.err, std::string("ctxflow demo: option '") + option +
                                    "' needs a value"))
        << r.err;
    EXPECT_EQ(verified_count(r.out), -1) << r.out;
  }
  // An option where the value should be is not taken as the value.
  const run_result r = run({"demo", "--out", "--ascii"});
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(contains(r.err, "ctxflow demo: option '--out' needs a value")) << r.err;
}

TEST(Cli, AnUnknownDemoOptionIsNamedAndExits2) {
  const run_result r = run({"demo", "--port", "8080"});
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(contains(r.err, "ctxflow demo: unknown option '--port'")) << r.err;
  EXPECT_EQ(verified_count(r.out), -1) << r.out;
}

TEST(Cli, AStrayDemoArgumentIsNamedAndExits2) {
  const run_result r = run({"demo", "orders.jsonl"});
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(contains(r.err, "ctxflow demo: unexpected argument 'orders.jsonl'")) << r.err;
}

TEST(Cli, ABadDemoOptionValueIsNamedAndExits2) {
  const run_result hold = run({"demo", "--hold", "soon"});
  ASSERT_TRUE(hold.exited) << hold.describe();
  EXPECT_EQ(hold.code, 2);
  EXPECT_TRUE(contains(hold.err, "--hold wants milliseconds, got 'soon'")) << hold.err;
}

}  // namespace
}  // namespace ctxflow::cli::testing
