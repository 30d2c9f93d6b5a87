// SPDX-License-Identifier: Apache-2.0
// Redis Streams under faults, against real redis-server processes: a frozen server (SIGSTOP)
// makes calls fail within the command timeout instead of hanging; a server killed and started
// again on the same port is reconnected with backoff (no spinning); a long BLOCK is not cut by
// the command timeout; a handler that throws leaves its message pending and it is redelivered;
// a consumer process killed inside its handler has its message claimed by another consumer with
// the producer's trace context intact; the `ctxflow demo` against a frozen server exits.
// Timing bounds are deliberately generous: they tell a hang from a failure, nothing finer.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "ctxflow/integrations/messaging/consumer.hpp"
#include "ctxflow/integrations/messaging/producer.hpp"
#include "ctxflow/integrations/messaging/redis_streams.hpp"
#include "ctxflow/testing/diagnostics_capture.hpp"
#include "ctxflow/testing/gtest.hpp"
#include "ctxflow/testing/span_recorder.hpp"
#include "ctxflow/trace/span.hpp"
#include "integrations/redis_server.hpp"
#include "integrations/w3c_propagator_scope.hpp"

namespace ctxflow::integrations {
namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using messaging::consumer;
using messaging::message;
using messaging::producer;
using messaging::redis_streams;

constexpr auto command_timeout = 500ms;
/// Scheduling slack on a loaded two-core machine, on top of any timeout being checked.
constexpr auto margin = 4s;

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

/// Warning-level reports with `code` (the same codes repeat at debug level during an outage).
std::vector<testing::captured_diagnostic> warnings(const testing::diagnostics_capture& d,
                                                   std::string_view code) {
  std::vector<testing::captured_diagnostic> out;
  for (auto& r : d.records())
    if (r.code == code && r.level >= severity::warning) out.push_back(r);
  return out;
}

/// Calls `attempt` until it returns true or `limit` passes; true when it did.
template <class F>
bool eventually(F attempt, std::chrono::milliseconds limit, std::chrono::milliseconds pause = 20ms) {
  const auto deadline = clock_type::now() + limit;
  while (clock_type::now() < deadline) {
    if (attempt()) return true;
    std::this_thread::sleep_for(pause);
  }
  return false;
}

/// A child process killed (SIGKILL) and reaped when the guard goes, whatever the test did.
struct child_guard {
  pid_t pid = -1;
  ~child_guard() { test::kill_and_reap(pid, SIGKILL, 5000ms); }
};

/// A file descriptor closed when the guard goes.
struct fd_guard {
  int fd = -1;
  ~fd_guard() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

/// A fixture with a real redis-server on a free loopback port for each test.
class RedisFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    if (test::redis_server::find_binary().empty())
      GTEST_SKIP() << "redis-server is not installed (Debian package redis-server); CI has it";
    server_ = std::make_unique<test::redis_server>();
    ASSERT_TRUE(server_->running()) << server_->problem();
  }
  void TearDown() override { server_.reset(); }  // thaws and stops it, whatever the test did

  /// Short limits, so that faults show within a test's time.
  messaging::redis_options options() const {
    messaging::redis_options o;
    o.port = server_->port();
    o.connect_timeout = 1000ms;
    o.command_timeout = command_timeout;
    o.reconnect_backoff = 50ms;
    o.reconnect_backoff_max = 400ms;
    return o;
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(server_->port()); }

  std::unique_ptr<test::redis_server> server_;
};

TEST_F(RedisFaults, AFrozenServerMakesAppendFailWithinTheCommandTimeoutThenFailFastUntilItIsBack) {
  auto o = options();
  o.reconnect_backoff = 2s;  // long enough that the next call surely falls inside it
  o.reconnect_backoff_max = 2s;
  redis_streams redis(o);
  ASSERT_TRUE(redis.append("frozen", {}, "before").has_value());

  testing::diagnostics_capture diagnostics;
  ASSERT_TRUE(server_->freeze());
  auto start = clock_type::now();
  EXPECT_FALSE(redis.append("frozen", {}, "while frozen").has_value());
  const double failed_after = seconds_since(start);
  std::printf("append on a frozen server failed after %.3f s (command timeout %lld ms)\n",
              failed_after, static_cast<long long>(command_timeout.count()));
  EXPECT_LT(failed_after, std::chrono::duration<double>(command_timeout + margin).count());

  const auto timeouts = warnings(diagnostics, "messaging.redis.timeout");
  ASSERT_EQ(timeouts.size(), 1u);
  EXPECT_NE(timeouts[0].message.find(address()), std::string::npos) << timeouts[0].message;
  EXPECT_NE(timeouts[0].message.find("XADD"), std::string::npos) << timeouts[0].message;
  EXPECT_EQ(redis.stats().timeouts, 1u);
  EXPECT_FALSE(redis.stats().available);

  // Inside the backoff: refused at once, without another timeout or another report.
  start = clock_type::now();
  EXPECT_FALSE(redis.append("frozen", {}, "in backoff").has_value());
  EXPECT_LT(seconds_since(start), std::chrono::duration<double>(command_timeout).count());
  EXPECT_GE(redis.stats().fast_failures, 1u);
  EXPECT_EQ(redis.stats().timeouts, 1u);
  EXPECT_EQ(warnings(diagnostics, "messaging.redis.timeout").size(), 1u);

  ASSERT_TRUE(server_->thaw());
  EXPECT_TRUE(eventually([&] { return redis.append("frozen", {}, "after").has_value(); }, 20s));
  EXPECT_TRUE(redis.stats().available);
  EXPECT_EQ(warnings(diagnostics, "messaging.redis.recovered").size(), 1u);
  EXPECT_EQ(redis.stats().outages, 1u);
}

TEST_F(RedisFaults, AFrozenServerMakesABlockingFetchFailAfterItsWaitPlusTheCommandTimeout) {
  auto o = options();
  o.group = "readers";
  redis_streams redis(o);
  EXPECT_TRUE(redis.fetch("frozen.reads", 10, 0ms).empty());  // creates the group, connects
  ASSERT_TRUE(redis.stats().available);

  testing::diagnostics_capture diagnostics;
  ASSERT_TRUE(server_->freeze());
  constexpr auto wait = 300ms;
  const auto start = clock_type::now();
  EXPECT_TRUE(redis.fetch("frozen.reads", 10, wait).empty());
  const double failed_after = seconds_since(start);
  std::printf("fetch (BLOCK %lld ms) on a frozen server failed after %.3f s\n",
              static_cast<long long>(wait.count()), failed_after);
  EXPECT_LT(failed_after, std::chrono::duration<double>(wait + command_timeout + margin).count());
  const auto timeouts = warnings(diagnostics, "messaging.redis.timeout");
  ASSERT_EQ(timeouts.size(), 1u);
  EXPECT_NE(timeouts[0].message.find(address()), std::string::npos) << timeouts[0].message;
  // The claim scan (XAUTOCLAIM) or the read (XREADGROUP), whichever was waiting.
  EXPECT_NE(timeouts[0].message.find("X"), std::string::npos) << timeouts[0].message;

  ASSERT_TRUE(server_->thaw());
  ASSERT_TRUE(eventually([&] { return redis.append("frozen.reads", {}, "back").has_value(); },
                         20s));
  std::vector<message> got;
  EXPECT_TRUE(eventually([&] {
    got = redis.fetch("frozen.reads", 10, 100ms);
    return !got.empty();
  }, 20s));
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.back().body, "back");
}

TEST_F(RedisFaults, ABlockingFetchLongerThanTheCommandTimeoutIsNotCutShort) {
  redis_streams redis(options());
  testing::diagnostics_capture diagnostics;
  constexpr auto wait = 1500ms;  // three command timeouts
  const auto start = clock_type::now();
  EXPECT_TRUE(redis.fetch("quiet", 10, wait).empty());
  EXPECT_GE(seconds_since(start), 1.2);  // it did wait for BLOCK, not for the command timeout
  EXPECT_EQ(redis.stats().timeouts, 0u);
  EXPECT_EQ(diagnostics.count("messaging.redis.timeout"), 0u);
  EXPECT_TRUE(redis.stats().available);
  // And a message arriving during a long BLOCK is delivered by it.
  std::thread late([&] {
    std::this_thread::sleep_for(800ms);
    redis_streams writer(options());
    (void)writer.append("quiet", {}, "late");
  });
  const auto got = redis.fetch("quiet", 10, 5000ms);
  late.join();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].body, "late");
  EXPECT_EQ(redis.stats().timeouts, 0u);
}

TEST_F(RedisFaults, AServerRestartedOnTheSamePortIsReconnectedWithBackoffAndMessagesFlowAgain) {
  auto o = options();
  redis_streams sender(o);
  o.group = "workers";
  redis_streams receiver(o);
  producer p(sender, "jobs");
  messaging::consumer_options co;
  co.wait = 50ms;
  consumer c(receiver, "jobs", co);
  std::vector<std::string> seen;
  const auto handle = [&](const message& m) { seen.push_back(m.body); };
  ASSERT_TRUE(p.send("before").has_value());
  ASSERT_TRUE(eventually([&] { c.poll(handle); return !seen.empty(); }, 10s));
  EXPECT_EQ(seen.front(), "before");

  testing::diagnostics_capture diagnostics;
  server_->kill();
  const auto sender_before = sender.stats();
  const auto receiver_before = receiver.stats();
  // 1.5 s of outage with both sides calling as fast as they can.
  int calls = 0;
  const auto outage_end = clock_type::now() + 1500ms;
  while (clock_type::now() < outage_end) {
    EXPECT_FALSE(p.send("lost").has_value());
    c.poll(handle);
    calls += 2;
    std::this_thread::sleep_for(1ms);
  }
  const auto sender_during = sender.stats();
  const auto receiver_during = receiver.stats();
  const auto attempts = (sender_during.connect_attempts - sender_before.connect_attempts) +
                        (receiver_during.connect_attempts - receiver_before.connect_attempts);
  std::printf("outage: %d calls, %llu connection attempts, %llu calls refused in backoff\n", calls,
              static_cast<unsigned long long>(attempts),
              static_cast<unsigned long long>(sender_during.fast_failures +
                                              receiver_during.fast_failures));
  // Backoff 50 ms doubling to 400 ms over 1.5 s: about 7 attempts per transport, not hundreds.
  EXPECT_GT(calls, 100);
  EXPECT_LE(attempts, 24u);
  EXPECT_GE(attempts, 2u);
  EXPECT_FALSE(sender_during.available);
  EXPECT_FALSE(receiver_during.available);
  // Reported once per outage and transport, not once per call.
  EXPECT_EQ(warnings(diagnostics, "messaging.redis.unavailable").size() +
                warnings(diagnostics, "messaging.redis.timeout").size(),
            2u);

  ASSERT_TRUE(server_->restart()) << server_->problem();
  // The restarted server is empty: the group is created again and new messages flow.
  EXPECT_TRUE(eventually([&] { return p.send("after").has_value(); }, 20s));
  EXPECT_TRUE(eventually([&] {
    c.poll(handle);
    return !seen.empty() && seen.back() == "after";
  }, 20s));
  EXPECT_TRUE(sender.stats().available);
  EXPECT_TRUE(receiver.stats().available);
  EXPECT_EQ(warnings(diagnostics, "messaging.redis.recovered").size(), 2u);
  EXPECT_EQ(sender.stats().outages, 1u);
  EXPECT_EQ(receiver.stats().outages, 1u);
}

TEST_F(RedisFaults, AHandlerThatThrowsLeavesTheMessagePendingAndItIsRedelivered) {
  testing::span_recorder recorder;
  test::w3c_propagator_scope w3c;
  auto o = options();
  o.group = "payers";
  o.claim_idle = 300ms;
  redis_streams redis(o);
  producer p(redis, "payments");
  messaging::consumer_options co;
  co.wait = 50ms;
  co.max_messages = 1;
  consumer c(redis, "payments", co);
  const auto id = p.send("pay 5");
  ASSERT_TRUE(id.has_value());

  testing::diagnostics_capture diagnostics;
  int calls = 0;
  bool thrown = false;
  auto delivered_not_before = clock_type::now();  // taken before the poll that delivered it
  ASSERT_TRUE(eventually([&] {
    delivered_not_before = clock_type::now();
    try {
      c.poll([&](const message&) {
        ++calls;
        throw std::runtime_error("card declined");
      });
    } catch (const std::runtime_error&) {
      thrown = true;
    }
    return thrown;
  }, 10s));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(warnings(diagnostics, "messaging.consumer.handler_failed").size(), 1u);

  const auto failed_at = clock_type::now();
  message again;
  ASSERT_TRUE(eventually([&] {
    c.poll([&](const message& m) { again = m; });
    return !again.id.empty();
  }, 15s));
  std::printf("redelivered %.3f s after the handler threw (claim_idle 300 ms)\n",
              seconds_since(failed_at));
  // Not before it had been idle for claim_idle since it was delivered (Redis counts in ms).
  EXPECT_GE(seconds_since(delivered_not_before), 0.29);
  EXPECT_EQ(again.id, *id);
  EXPECT_EQ(again.body, "pay 5");
  EXPECT_TRUE(again.redelivered);
  EXPECT_EQ(redis.stats().claimed, 1u);

  // Acknowledged after that handler returned: never delivered again.
  EXPECT_FALSE(eventually([&] {
    bool more = false;
    c.poll([&](const message&) { more = true; });
    return more;
  }, 1500ms));

  // Both process spans link the one send span; the first is marked as failed.
  ASSERT_TRUE(recorder.wait_for(3));
  const auto tree = recorder.tree();
  const auto processes = tree.find_all("process payments");
  const sdk::span_data* send = tree.find("send payments");
  ASSERT_EQ(processes.size(), 2u);
  ASSERT_NE(send, nullptr);
  for (const sdk::span_data* s : processes) {
    ASSERT_EQ(s->links.size(), 1u);
    EXPECT_EQ(s->links[0].context.trace, send->context.trace);
    EXPECT_EQ(s->links[0].context.span, send->context.span);
  }
  EXPECT_EQ(processes[0]->status.code, trace::status_code::error);
  EXPECT_NE(processes[1]->status.code, trace::status_code::error);
}

#ifdef CTXFLOW_REDIS_CONSUMER_CHILD
/// Reads one line from `fd` (blocking at most `limit` overall); empty on timeout or EOF.
std::string read_line(int fd, std::chrono::milliseconds limit) {
  std::string line;
  const auto deadline = clock_type::now() + limit;
  while (clock_type::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
    const int ready = ::poll(&p, 1, static_cast<int>(std::max<long long>(left.count(), 1)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) break;
    char c = 0;
    const ssize_t n = ::read(fd, &c, 1);
    if (n <= 0) break;
    if (c == '\n') return line;
    line.push_back(c);
  }
  return {};
}

TEST_F(RedisFaults, AConsumerKilledInsideItsHandlerHasItsMessageClaimedByAnotherWithItsTraceContext) {
  testing::span_recorder recorder;
  test::w3c_propagator_scope w3c;
  auto o = options();
  o.group = "mailers";
  redis_streams sending(o);
  producer p(sending, "mail");
  std::optional<std::string> id;
  {
    auto root = trace::get_tracer("test").start_as_current_span("checkout");
    id = p.send("mail 12");
  }
  ASSERT_TRUE(id.has_value());

  // Consumer "a" in its own process: it reports when its handler starts, then sleeps there.
  int fds[2] = {-1, -1};
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  fd_guard from_child{fds[0]};
  fd_guard to_parent{fds[1]};
  child_guard child;
  child.pid = test::spawn_tied_to_this_thread(
      {CTXFLOW_REDIS_CONSUMER_CHILD, std::to_string(server_->port()), "mail", "mailers", "a"},
      to_parent.fd);
  ASSERT_GT(child.pid, 0);
  to_parent.reset();
  const std::string line = read_line(from_child.fd, 30s);
  ASSERT_EQ(line, "inside " + *id) << "the child never reached its handler";
  ASSERT_EQ(::kill(child.pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child.pid, &status, 0), child.pid);
  child.pid = -1;
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  const auto killed_at = clock_type::now();

  // Consumer "b" claims the message once it has been idle for claim_idle.
  auto ob = o;
  ob.consumer_name = "b";
  ob.claim_idle = 500ms;
  redis_streams receiving(ob);
  messaging::consumer_options co;
  co.wait = 100ms;
  co.parent_from_message = true;
  consumer b(receiving, "mail", co);
  message got;
  ASSERT_TRUE(eventually([&] {
    b.poll([&](const message& m) { got = m; });
    return !got.id.empty();
  }, 20s));
  std::printf("claimed by consumer b %.3f s after consumer a was killed (claim_idle 500 ms)\n",
              seconds_since(killed_at));
  EXPECT_EQ(got.id, *id);
  EXPECT_EQ(got.body, "mail 12");
  EXPECT_TRUE(got.redelivered);
  EXPECT_EQ(receiving.stats().claimed, 1u);

  ASSERT_TRUE(recorder.wait_for(3));
  const auto tree = recorder.tree();
  const sdk::span_data* send = tree.find("send mail");
  const sdk::span_data* process = tree.find("process mail");
  ASSERT_NE(send, nullptr);
  ASSERT_NE(process, nullptr);
  // The original creation context survived the claim: linked, and (as asked) the parent.
  EXPECT_EQ(process->context.trace, send->context.trace);
  EXPECT_EQ(process->parent_span_id, send->context.span);
  ASSERT_EQ(process->links.size(), 1u);
  EXPECT_EQ(process->links[0].context.trace, send->context.trace);
  EXPECT_EQ(process->links[0].context.span, send->context.span);
  EXPECT_TRACE(tree.all_in_one_trace());
  EXPECT_TRACE(tree.child_of("process mail", "send mail"));
}
#endif

#ifdef CTXFLOW_TOOL_PATH
/// Waits for `pid` to exit for at most `limit`; its wait status, or nothing if still running.
std::optional<int> wait_for_exit(pid_t pid, std::chrono::milliseconds limit) {
  const auto deadline = clock_type::now() + limit;
  while (clock_type::now() < deadline) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0) return std::nullopt;
    std::this_thread::sleep_for(20ms);
  }
  return std::nullopt;
}

TEST_F(RedisFaults, TheDemoAgainstAFrozenServerExitsWithAnErrorInsteadOfHanging) {
  if (::access(CTXFLOW_TOOL_PATH, X_OK) != 0) GTEST_SKIP() << "the ctxflow tool is not built";
  ASSERT_TRUE(server_->freeze());
  char out_path[] = "/tmp/ctxflow-demo-frozen-XXXXXX";
  const int out_fd = ::mkstemp(out_path);
  ASSERT_GE(out_fd, 0);
  ::close(out_fd);
  child_guard demo;
  demo.pid = test::spawn_tied_to_this_thread(
      {CTXFLOW_TOOL_PATH, "demo", "--redis", address(), "--out", out_path});
  ASSERT_GT(demo.pid, 0);
  const auto start = clock_type::now();
  const std::optional<int> status = wait_for_exit(demo.pid, 120s);
  std::remove(out_path);
  ASSERT_TRUE(status.has_value()) << "ctxflow demo still runs after 120 s against a frozen server";
  demo.pid = -1;
  std::printf("ctxflow demo against a frozen server exited after %.1f s\n", seconds_since(start));
  ASSERT_TRUE(WIFEXITED(*status)) << "killed by signal " << WTERMSIG(*status);
  EXPECT_NE(WEXITSTATUS(*status), 0);
}
#endif

}  // namespace
}  // namespace ctxflow::integrations
