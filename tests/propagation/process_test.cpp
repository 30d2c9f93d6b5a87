// SPDX-License-Identifier: Apache-2.0
// Real child processes (C10, R6.4): a helper started with spawn_process() continues the
// parent's trace from TRACEPARENT/TRACESTATE/BAGGAGE, inherited stale values are replaced,
// and a worker fed jobs over a pipe extracts each job's own context from its message headers.
#include "ctxflow/propagation/process.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "ctxflow/context/scope.hpp"
#include "ctxflow/propagation/baggage.hpp"
#include "ctxflow/propagation/global.hpp"
#include "ctxflow/testing/diagnostics_capture.hpp"
#include "propagation/test_support.hpp"

namespace ctxflow::propagation {
namespace {

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

std::string temp_path(const char* tag) {
  return ::testing::TempDir() + "ctxflow_" + tag + "_" + std::to_string(::getpid()) + ".txt";
}

// Restores the global propagator after a test.
struct global_guard {
  std::shared_ptr<const text_map_propagator> saved = global_propagator();
  ~global_guard() { set_global_propagator(saved); }
};

TEST(SpawnProcess, TheChildContinuesTheParentsTraceFromItsEnvironment) {
  // C10, R6.2, R6.4: the child's init extracts TRACEPARENT/TRACESTATE/BAGGAGE as its root
  global_guard g;
  set_global_propagator(propagator_from_env_value("tracecontext,baggage"));
  trace::span_context spawn_span = testing::make_span_context(
      "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", 0x01);
  spawn_span.state = trace::trace_state::parse("vendor=abc");
  const context ctx = with_baggage(testing::context_with(spawn_span),
                                   baggage().set("tenant", "acme corp"));

  env_map env = env_map::from_process();
  env.set("OTEL_PROPAGATORS", "tracecontext,baggage");
  env.set("TRACEPARENT", "00-ffffffffffffffffffffffffffffffff-ffffffffffffffff-01");  // stale
  const std::string out = temp_path("child");
  std::remove(out.c_str());
  spawn_options options;
  options.environment = &env;
  {
    scope s{ctx};  // the current context is what gets injected
    spawn_result r = spawn_process(CTXFLOW_ENV_CHILD_HELPER, std::vector<std::string>{out}, options);
    ASSERT_TRUE(r) << "errno " << r.error;
    const exit_status st = r.process.wait();
    EXPECT_TRUE(st.success()) << "code " << st.code << " signal " << st.signal;
  }
  const std::vector<std::string> lines = read_lines(out);
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines[0], "valid");
  EXPECT_EQ(lines[1], "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(lines[2], "b7ad6b7169203331");  // the parent's span is the child's parent
  EXPECT_EQ(lines[3], "01");
  EXPECT_EQ(lines[4], "vendor=abc");
  EXPECT_EQ(lines[5], "tenant=acme corp;");
  std::remove(out.c_str());
}

TEST(SpawnProcess, WithoutAContextTheChildDoesNotSeeInheritedTraceVariables) {
  // C10: a stale TRACEPARENT in the inherited environment is removed
  global_guard g;
  set_global_propagator(propagator_from_env_value("tracecontext,baggage"));
  env_map env = env_map::from_process();
  env.set("OTEL_PROPAGATORS", "tracecontext,baggage");
  env.set("TRACEPARENT", "00-" + std::string(testing::trace_hex) + "-" + std::string(testing::span_hex) + "-01");
  env.set("BAGGAGE", "stale=1");
  const std::string out = temp_path("fresh");
  spawn_options options;
  options.environment = &env;
  options.parent = context();
  spawn_result r = spawn_process(CTXFLOW_ENV_CHILD_HELPER, std::vector<std::string>{out}, options);
  ASSERT_TRUE(r);
  const exit_status st = r.process.wait();
  EXPECT_TRUE(st.exited);
  EXPECT_EQ(st.code, 1);  // the helper found no valid parent
  const std::vector<std::string> lines = read_lines(out);
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines[0], "invalid");
  EXPECT_EQ(lines[5], "");
  std::remove(out.c_str());
}

TEST(SpawnProcess, AWorkerRoundTripsEveryJobsTraceIdOverAPipe) {
  // R5.1, R6.4: each job carries its own context in message headers
  int to_child[2];
  int from_child[2];
  ASSERT_EQ(::pipe2(to_child, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(from_child, O_CLOEXEC), 0);
  spawn_options options;
  options.stdin_fd = to_child[0];
  options.stdout_fd = from_child[1];
  options.propagate_context = false;
  spawn_result r = spawn_process(CTXFLOW_WORKER_HELPER, std::vector<std::string>{}, options);
  ::close(to_child[0]);
  ::close(from_child[1]);
  ASSERT_TRUE(r) << "errno " << r.error;

  const auto prop = propagator_from_env_value("tracecontext,baggage");
  constexpr int jobs = 64;
  std::vector<trace::span_context> sent;
  std::string input;
  for (int i = 0; i < jobs; ++i) {
    char trace_hex[33];
    char span_hex[17];
    std::snprintf(trace_hex, sizeof trace_hex, "%016x%016x", 0xabc00000u + static_cast<unsigned>(i),
                  0x1234u * static_cast<unsigned>(i + 1));
    std::snprintf(span_hex, sizeof span_hex, "%016x", 0x5000u + static_cast<unsigned>(i));
    const trace::span_context sc = testing::make_span_context(trace_hex, span_hex, 0x01);
    sent.push_back(sc);
    testing::headers h;
    inject(*prop, with_baggage(testing::context_with(sc), baggage().set("job", std::to_string(i))), h);
    input += std::to_string(i);
    for (const auto& [k, v] : h) input += "\t" + k + "=" + v;
    input += "\n";
  }
  ASSERT_EQ(::write(to_child[1], input.data(), input.size()), static_cast<ssize_t>(input.size()));
  ::close(to_child[1]);

  std::string output;
  char buf[4096];
  for (ssize_t n; (n = ::read(from_child[0], buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    ASSERT_GT(n, 0);
    output.append(buf, static_cast<std::size_t>(n));
  }
  ::close(from_child[0]);
  EXPECT_TRUE(r.process.wait().success());

  std::istringstream lines(output);
  int count = 0;
  for (std::string job, trace_id, span_id, bag; lines >> job >> trace_id >> span_id >> bag; ++count) {
    const int i = std::stoi(job);
    ASSERT_GE(i, 0);
    ASSERT_LT(i, jobs);
    EXPECT_EQ(trace_id, testing::hex(sent[static_cast<std::size_t>(i)].trace)) << "job " << i;
    EXPECT_EQ(span_id, testing::hex(sent[static_cast<std::size_t>(i)].span)) << "job " << i;
    EXPECT_EQ(bag, std::to_string(i));
  }
  EXPECT_EQ(count, jobs);
}

TEST(SpawnProcess, AFailedSpawnIsAnErrorValueAndAReport) {
  // R1.12: errors as values, never exceptions
  ctxflow::testing::diagnostics_capture capture;
  spawn_result r = spawn_process("/nonexistent/ctxflow-helper", std::vector<std::string>{});
  EXPECT_FALSE(r);
  EXPECT_EQ(r.error, ENOENT);
  EXPECT_EQ(capture.count("propagation.process.spawn_failed"), 1u);
  EXPECT_EQ(r.process.wait().error, ECHILD);
}

TEST(SpawnProcess, SearchPathFindsProgramsAndExitCodesAreReported) {
  spawn_options options;
  options.search_path = true;
  spawn_result r = spawn_process("sh", std::vector<std::string>{"-c", "exit 7"}, options);
  ASSERT_TRUE(r);
  const exit_status st = r.process.wait();
  EXPECT_TRUE(st.exited);
  EXPECT_EQ(st.code, 7);
  EXPECT_FALSE(st.success());
}

}  // namespace
}  // namespace ctxflow::propagation
