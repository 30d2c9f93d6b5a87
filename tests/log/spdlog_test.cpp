// SPDX-License-Identifier: Apache-2.0
// The spdlog flag of ctxflow/log/spdlog.hpp: every line carries the ids of the span current
// where it was logged (nothing outside a span), for one logger or for spdlog's registry, and
// from coroutine tasks that move between threads while two of them log at the same time.
#include "ctxflow/log/spdlog.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <cstddef>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "ctxflow/coro/schedule_on.hpp"
#include "ctxflow/coro/spawn.hpp"
#include "ctxflow/coro/task.hpp"
#include "ctxflow/exec/thread_pool.hpp"
#include "ctxflow/testing/span_recorder.hpp"
#include "ctxflow/trace/provider.hpp"

namespace ctxflow::log {
namespace {

/// A synchronous logger writing into a string, one line per message.
struct captured_logger {
  std::ostringstream out;
  std::shared_ptr<spdlog::logger> logger = std::make_shared<spdlog::logger>(
      "ctxflow.log.test", std::make_shared<spdlog::sinks::ostream_sink_mt>(out));

  std::vector<std::string> lines() const {
    std::vector<std::string> result;
    std::istringstream in(out.str());
    for (std::string line; std::getline(in, line);) result.push_back(line);
    return result;
  }
};

std::string expected_ids(const trace::span_context& sc) {
  return "trace_id=" + std::string(sc.trace.to_hex().data(), 32) +
         " span_id=" + std::string(sc.span.to_hex().data(), 16);
}

TEST(LogSpdlog, SpdlogLineCarriesTraceAndSpanIdOfCurrentSpan) {
  testing::span_recorder recorder;
  captured_logger log;
  ASSERT_TRUE(set_spdlog_pattern(*log.logger, "%v [%*]"));
  std::string ids_text;
  {
    auto span = trace::get_tracer("log.test").start_as_current_span("charge");
    ids_text = expected_ids(span->context());
    log.logger->info("charging {}", 42);
  }
  ASSERT_EQ(log.lines().size(), 1u);
  EXPECT_EQ(log.lines()[0], "charging 42 [" + ids_text + "]");
  ASSERT_EQ(recorder.size(), 1u);
  EXPECT_EQ(expected_ids(recorder.spans()[0].context), ids_text);
}

TEST(LogSpdlog, SpdlogLineHasNoIdsOutsideASpan) {
  testing::span_recorder recorder;
  captured_logger log;
  ASSERT_TRUE(set_spdlog_pattern(*log.logger, "%v [%*]"));
  { auto span = trace::get_tracer("log.test").start_as_current_span("before"); }
  log.logger->warn("idle");
  ASSERT_EQ(log.lines().size(), 1u);
  EXPECT_EQ(log.lines()[0], "idle []");
}

TEST(LogSpdlog, SpdlogLineCarriesTheInnerSpanThenTheOuterSpanAgain) {
  testing::span_recorder recorder;
  captured_logger log;
  ASSERT_TRUE(set_spdlog_pattern(*log.logger, "%v %*"));
  const auto tracer = trace::get_tracer("log.test");
  auto outer = tracer.start_as_current_span("outer");
  std::string inner_ids;
  log.logger->info("a");
  {
    auto inner = tracer.start_as_current_span("inner");
    inner_ids = expected_ids(inner->context());
    log.logger->info("b");
  }
  log.logger->info("c");
  const std::string outer_ids = expected_ids(outer->context());
  ASSERT_NE(inner_ids, outer_ids);
  EXPECT_EQ(log.lines(),
            (std::vector<std::string>{"a " + outer_ids, "b " + inner_ids, "c " + outer_ids}));
}

TEST(LogSpdlog, SpdlogDefaultPatternPutsIdsInBracketsBeforeTheMessage) {
  testing::span_recorder recorder;
  captured_logger log;
  ASSERT_TRUE(set_spdlog_pattern(*log.logger));
  auto span = trace::get_tracer("log.test").start_as_current_span("work");
  log.logger->error("failed");
  ASSERT_EQ(log.lines().size(), 1u);
  const std::string line = log.lines()[0];
  const std::string tail = "] [ctxflow.log.test] [error] [" + expected_ids(span->context()) + "] failed";
  ASSERT_GT(line.size(), tail.size());
  EXPECT_EQ(line.substr(line.size() - tail.size()), tail) << line;
  EXPECT_EQ(line[0], '[') << line;
}

TEST(LogSpdlog, SpdlogFlagCharacterCanBeChosenAndTheFormatterGivenByHand) {
  testing::span_recorder recorder;
  captured_logger log;
  log.logger->set_formatter(make_spdlog_formatter("%v (%&) %*", '&'));
  auto span = trace::get_tracer("log.test").start_as_current_span("work");
  log.logger->info("x");
  ASSERT_EQ(log.lines().size(), 1u);
  // %* is not a flag of this formatter: spdlog writes it as it is.
  EXPECT_EQ(log.lines()[0], "x (" + expected_ids(span->context()) + ") %*");
}

TEST(LogSpdlog, SpdlogPatternForEveryRegisteredLoggerReachesLoggersTheRegistryCreates) {
  testing::span_recorder recorder;
  std::ostringstream out;
  ASSERT_TRUE(set_spdlog_pattern("%n: %v [%*]"));
  auto registered = spdlog::create<spdlog::sinks::ostream_sink_mt>("ctxflow.log.registered", std::ref(out));
  {
    auto span = trace::get_tracer("log.test").start_as_current_span("work");
    registered->info("hello");
    EXPECT_EQ(out.str(), "ctxflow.log.registered: hello [" + expected_ids(span->context()) + "]\n");
  }
  spdlog::drop("ctxflow.log.registered");
  spdlog::set_formatter(std::make_unique<spdlog::pattern_formatter>());  // spdlog's default back
}

TEST(LogSpdlog, SpdlogMessageArgumentFormatsCurrentIds) {
  testing::span_recorder recorder;
  captured_logger log;
  log.logger->set_pattern("%v");
  auto span = trace::get_tracer("log.test").start_as_current_span("work");
  log.logger->info("{} | {}", current_ids(), span->context().trace);
  ASSERT_EQ(log.lines().size(), 1u);
  EXPECT_EQ(log.lines()[0], expected_ids(span->context()) + " | " +
                                std::string(span->context().trace.to_hex().data(), 32));
}

// Two tasks, each in its own span, hop back and forth between two single-thread pools and log
// at every step, so each pool thread formats lines of both tasks in turn. A flag that kept its
// own per-thread state, or read the thread's context instead of the task's, would put the
// other task's ids (or none) into some line.
coro::task<void> hop_and_log(std::string name, exec::thread_pool& a, exec::thread_pool& b,
                             spdlog::logger& logger, int hops, std::string& ids_text) {
  auto span = trace::get_tracer("log.test").start_as_current_span(name);
  ids_text = expected_ids(span->context());
  for (int i = 0; i < hops; ++i) {
    co_await coro::schedule_on(i % 2 == 0 ? a : b);
    logger.info("{} {}", name, i);
  }
}

TEST(LogSpdlog, SpdlogLineFromCoroutineAfterMigratingThreadsCarriesItsOwnSpan) {
  testing::span_recorder recorder;
  captured_logger log;
  ASSERT_TRUE(set_spdlog_pattern(*log.logger, "%v|%t|%*"));
  constexpr int hops = 40;
  std::string first_ids, second_ids;
  {
    exec::thread_pool a(1), b(1);
    auto first = coro::spawn(a, hop_and_log("first", a, b, *log.logger, hops, first_ids));
    auto second = coro::spawn(b, hop_and_log("second", b, a, *log.logger, hops, second_ids));
    first.get();
    second.get();
  }
  ASSERT_FALSE(first_ids.empty());
  ASSERT_FALSE(second_ids.empty());
  ASSERT_NE(first_ids, second_ids);

  const std::vector<std::string> lines = log.lines();
  ASSERT_EQ(lines.size(), 2u * hops);
  std::map<std::string, std::set<std::string>> threads_of_task;
  std::map<std::string, std::set<std::string>> tasks_of_thread;
  for (const std::string& line : lines) {
    const std::size_t bar1 = line.find('|');
    const std::size_t bar2 = line.find('|', bar1 + 1);
    ASSERT_NE(bar2, std::string::npos) << line;
    const std::string message = line.substr(0, bar1);
    const std::string thread = line.substr(bar1 + 1, bar2 - bar1 - 1);
    const std::string task = message.substr(0, message.find(' '));
    const std::string& expected = task == "first" ? first_ids : second_ids;
    EXPECT_EQ(line.substr(bar2 + 1), expected) << line;
    threads_of_task[task].insert(thread);
    tasks_of_thread[thread].insert(task);
  }
  // Each task logged from both threads, and each thread logged for both tasks.
  EXPECT_EQ(threads_of_task["first"].size(), 2u);
  EXPECT_EQ(threads_of_task["second"].size(), 2u);
  ASSERT_EQ(tasks_of_thread.size(), 2u);
  for (const auto& [thread, tasks] : tasks_of_thread) EXPECT_EQ(tasks.size(), 2u) << thread;
  EXPECT_EQ(recorder.size(), 2u);
}

}  // namespace
}  // namespace ctxflow::log
