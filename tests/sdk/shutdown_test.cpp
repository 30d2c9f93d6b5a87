// SPDX-License-Identifier: Apache-2.0
// Bounded, honest shutdown: the init guard keeps one limit for flush and shutdown together, a
// draining batch processor makes one attempt per batch under one deadline and attempts nothing
// after it, every span it could not deliver is counted and reported once, and flush_on_signals
// installs and uninstalls cleanly (the signal path itself runs in a child process:
// tests/otlp/shutdown_faults_test.cpp).
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "ctxflow/sdk/batch_span_processor.hpp"
#include "ctxflow/sdk/init.hpp"
#include "ctxflow/sdk/signals.hpp"
#include "ctxflow/sdk/tracer_provider.hpp"
#include "ctxflow/testing/diagnostics_capture.hpp"
#include "ctxflow/trace/provider.hpp"
#include "sdk/test_exporter.hpp"

namespace ctxflow::sdk {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

std::chrono::milliseconds since(steady::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - t);
}

// An exporter whose force_flush and shutdown each block for the whole timeout they are given
// (a network exporter that cannot reach its destination).
class blocking_flush_exporter final : public span_exporter {
 public:
  export_result export_spans(std::span<const span_data* const>) noexcept override {
    return export_result::success;
  }
  bool force_flush(std::chrono::milliseconds timeout) noexcept override {
    std::this_thread::sleep_for(timeout);
    return false;
  }
  bool shutdown(std::chrono::milliseconds timeout) noexcept override {
    std::this_thread::sleep_for(timeout);
    return false;
  }
};

// One export call as the exporter saw it.
struct call {
  std::size_t spans = 0;
  bool single_attempt = false;
  steady::time_point deadline{};
  steady::time_point started{};
  bool interrupted = false;
};

// Records every call with its limits. While `hold` is set, ordinary calls (not single-attempt
// ones) wait, as in a retry backoff, until the test releases them or their interrupt is
// requested (a flush or shutdown started); while `hang` is set every call waits for the
// release alone. `per_call` makes each call take that long (cut at the call's deadline);
// `fail` fails every call.
struct scripted {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<call> calls;
  bool hold = false;
  bool hang = false;
  bool fail = false;
  std::chrono::milliseconds per_call{0};

  std::vector<call> snapshot() {
    std::lock_guard lock(mu);
    return calls;
  }
  bool wait_for_calls(std::size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, timeout, [&] { return calls.size() >= n; });
  }
  void release() {
    {
      std::lock_guard lock(mu);
      hold = false;
      hang = false;
    }
    cv.notify_all();
  }
};

class scripted_exporter final : public span_exporter {
 public:
  explicit scripted_exporter(std::shared_ptr<scripted> s) : s_(std::move(s)) {}
  export_result export_spans(std::span<const span_data* const> batch) noexcept override {
    return export_spans_within(batch, export_limits{});
  }
  export_result export_spans_within(std::span<const span_data* const> batch,
                                    const export_limits& limits) noexcept override {
    scripted& s = *s_;
    call c;
    c.spans = batch.size();
    c.single_attempt = limits.single_attempt;
    c.deadline = limits.deadline;
    c.started = steady::now();
    std::size_t index = 0;
    {
      std::lock_guard lock(s.mu);
      index = s.calls.size();
      s.calls.push_back(c);
    }
    s.cv.notify_all();
    std::stop_callback wake(limits.interrupt, [&s] {
      { std::lock_guard lock(s.mu); }
      s.cv.notify_all();
    });
    std::unique_lock lock(s.mu);
    s.cv.wait(lock, [&] { return !s.hang; });
    if (!limits.single_attempt) {
      s.cv.wait(lock, [&] { return !s.hold || limits.interrupt.stop_requested(); });
      if (s.hold) {
        s.calls[index].interrupted = true;
        return export_result::failure;
      }
    }
    if (s.per_call.count() > 0) {
      const auto until = std::min(c.started + s.per_call, limits.deadline);
      s.cv.wait_until(lock, until, [] { return false; });
      if (until == limits.deadline) return export_result::failure;  // cut by the deadline
    }
    return s.fail ? export_result::failure : export_result::success;
  }

 private:
  std::shared_ptr<scripted> s_;
};

batch_options long_timer(std::size_t batch) {
  batch_options o;
  o.schedule_delay = 60s;  // exports only when a batch fills, or on flush/shutdown
  o.max_export_batch_size = batch;
  o.max_queue_size = 2048;
  return o;
}

void end_spans(trace::tracer& t, int n) {
  for (int i = 0; i < n; ++i) t.start_span("s").end();
}

TEST(Shutdown, TheInitGuardKeepsOneLimitForFlushAndShutdownTogether) {
  init_options o;
  o.read_environment = false;
  o.continue_environment_trace = false;
  o.simple = true;
  // Two exporters whose flush and shutdown each use up whatever time they get: four steps that
  // used to take the whole limit each.
  o.exporters.push_back(std::make_unique<blocking_flush_exporter>());
  o.exporters.push_back(std::make_unique<blocking_flush_exporter>());
  o.shutdown_timeout = 800ms;
  const auto start = [&] {
    init_guard g = init(std::move(o));
    trace::get_tracer("app").start_span("work").end();
    return steady::now();
  }();  // the guard is destroyed at the end of the lambda
  const auto took = since(start);
  EXPECT_GE(took, 700ms);
  EXPECT_LT(took, 1300ms) << "flush and shutdown must share the one 800 ms limit";
}

TEST(Shutdown, TheInitGuardGivesUpOnAHangingExportAfterItsLimit) {
  testing::diagnostics_capture cap;
  auto s = std::make_shared<scripted>();
  s->hang = true;  // the export returns only when released
  init_options o;
  o.read_environment = false;
  o.continue_environment_trace = false;
  o.exporters.push_back(std::make_unique<scripted_exporter>(s));
  o.batch = long_timer(512);
  o.shutdown_timeout = 800ms;
  steady::time_point start;
  {
    init_guard g = init(std::move(o));
    auto t = trace::get_tracer("app");
    end_spans(t, 10);
    start = steady::now();
  }
  const auto took = since(start);
  s->release();  // let the abandoned export thread finish
  EXPECT_GE(took, 700ms);
  EXPECT_LT(took, 1300ms);
  EXPECT_EQ(cap.count("sdk.shutdown.undelivered"), 1u);
}

TEST(Shutdown, AnExportInBackoffIsCutShortAndEachRemainingBatchGetsOneAttempt) {
  testing::diagnostics_capture cap;
  auto s = std::make_shared<scripted>();
  s->hold = true;  // the first (ordinary) export waits as if in a retry backoff
  s->fail = true;
  test::batch_pipeline p(std::make_unique<scripted_exporter>(s), long_timer(10));
  end_spans(p.tracer, 50);
  ASSERT_TRUE(s->wait_for_calls(1, 5s));  // the first full batch is being exported
  const auto start = steady::now();
  EXPECT_FALSE(p.provider->shutdown(5s));
  EXPECT_LT(since(start), 2s);

  const std::vector<call> calls = s->snapshot();
  ASSERT_EQ(calls.size(), 5u);  // 50 spans in batches of 10: one attempt each
  EXPECT_FALSE(calls[0].single_attempt);
  EXPECT_TRUE(calls[0].interrupted) << "the shutdown ends the export's retries";
  std::size_t spans = calls[0].spans;
  for (std::size_t i = 1; i < calls.size(); ++i) {
    EXPECT_TRUE(calls[i].single_attempt);
    EXPECT_EQ(calls[i].deadline, calls[1].deadline) << "one deadline for the whole drain";
    EXPECT_LE(calls[i].deadline, start + 5s);
    EXPECT_GT(calls[i].deadline, start + 4s);
    spans += calls[i].spans;
  }
  EXPECT_EQ(spans, 50u);
  const processor_stats st = p.processor->stats();
  EXPECT_EQ(st.export_failed, 50u);
  EXPECT_EQ(st.not_delivered_at_shutdown, 50u);
  // Once for the whole shutdown, not per batch.
  EXPECT_EQ(cap.count("sdk.shutdown.undelivered"), 1u);
  EXPECT_EQ(cap.count("sdk.export.failed"), 0u);
  bool counted = false;
  for (const auto& r : cap.records())
    counted = counted || (r.code == "sdk.shutdown.undelivered" &&
                          r.message.find("50 spans") != std::string::npos);
  EXPECT_TRUE(counted);
}

TEST(Shutdown, BatchesLeftWhenTheDeadlinePassesAreNotAttempted) {
  testing::diagnostics_capture cap;
  auto s = std::make_shared<scripted>();
  s->per_call = 300ms;  // each batch takes 300 ms; the 2 s limit fits about six of ten
  test::batch_pipeline p(std::make_unique<scripted_exporter>(s), long_timer(100));
  {
    // Queue 1,000 spans without the full-batch wake-ups exporting them early: hold the first
    // ordinary export, which the shutdown then cuts short.
    std::lock_guard lock(s->mu);
    s->hold = true;
  }
  end_spans(p.tracer, 1000);
  ASSERT_TRUE(s->wait_for_calls(1, 5s));
  const auto start = steady::now();
  EXPECT_FALSE(p.provider->shutdown(2000ms));
  const auto took = since(start);
  EXPECT_LT(took, 2500ms);

  const std::vector<call> calls = s->snapshot();
  std::size_t attempted = 0;
  std::size_t delivered = 0;
  for (std::size_t i = 1; i < calls.size(); ++i) {
    EXPECT_LT(calls[i].started, calls[i].deadline) << "no attempt starts after the deadline";
    attempted += calls[i].spans;
    if (calls[i].started + 300ms <= calls[i].deadline) delivered += calls[i].spans;
  }
  EXPECT_LT(attempted + calls[0].spans, 1000u) << "some batches were never attempted";
  const processor_stats st = p.processor->stats();
  EXPECT_EQ(st.exported, delivered);
  EXPECT_EQ(st.not_delivered_at_shutdown, 1000u - delivered);
  EXPECT_EQ(st.exported + st.not_delivered_at_shutdown, 1000u) << "every span is accounted for";
  EXPECT_EQ(cap.count("sdk.shutdown.undelivered"), 1u);
  EXPECT_EQ(cap.count("sdk.shutdown.timeout"), 0u);
}

TEST(Shutdown, AForceFlushWithATimeoutMakesSingleAttemptsAndOneWithoutKeepsRetries) {
  testing::diagnostics_capture cap;
  auto s = std::make_shared<scripted>();
  s->fail = true;
  test::batch_pipeline p(std::make_unique<scripted_exporter>(s), long_timer(512));
  end_spans(p.tracer, 3);
  EXPECT_FALSE(p.processor->force_flush(2s));
  end_spans(p.tracer, 3);
  EXPECT_FALSE(p.processor->force_flush(0ms));
  const std::vector<call> calls = s->snapshot();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_TRUE(calls[0].single_attempt);
  EXPECT_NE(calls[0].deadline, steady::time_point::max());
  EXPECT_FALSE(calls[1].single_attempt);
  EXPECT_EQ(calls[1].deadline, steady::time_point::max());
  // One summary per flush; the spans are failed exports, not shutdown losses.
  EXPECT_EQ(cap.count("sdk.flush.undelivered"), 2u);
  EXPECT_EQ(p.processor->stats().export_failed, 6u);
  EXPECT_EQ(p.processor->stats().not_delivered_at_shutdown, 0u);
}

TEST(Shutdown, ADeliveredDrainReportsNothing) {
  testing::diagnostics_capture cap;
  auto s = std::make_shared<scripted>();
  test::batch_pipeline p(std::make_unique<scripted_exporter>(s), long_timer(10));
  end_spans(p.tracer, 35);
  EXPECT_TRUE(p.provider->shutdown(5s));
  EXPECT_EQ(p.processor->stats().exported, 35u);
  EXPECT_EQ(p.processor->stats().not_delivered_at_shutdown, 0u);
  EXPECT_EQ(cap.count("sdk.shutdown.undelivered"), 0u);
}

// ---- flush_on_signals (installation only; the signal path: tests/otlp) ----

bool handler_is_default(int sig) {
  struct sigaction sa {};
  sigaction(sig, nullptr, &sa);
  return sa.sa_handler == SIG_DFL && (sa.sa_flags & SA_SIGINFO) == 0;
}

TEST(SignalFlush, UninstallRestoresThePreviousDispositions) {
  ASSERT_TRUE(handler_is_default(SIGUSR1));
  {
    signal_flush_guard g = flush_on_signals({SIGUSR1, SIGUSR2});
    ASSERT_TRUE(g.active());
    EXPECT_FALSE(handler_is_default(SIGUSR1));
    EXPECT_FALSE(handler_is_default(SIGUSR2));
    signal_flush_guard moved = std::move(g);
    EXPECT_FALSE(g.active());
    EXPECT_TRUE(moved.active());
  }
  EXPECT_TRUE(handler_is_default(SIGUSR1));
  EXPECT_TRUE(handler_is_default(SIGUSR2));
  // And it can be installed again afterwards.
  signal_flush_guard again = flush_on_signals({SIGUSR1});
  EXPECT_TRUE(again.active());
  again.uninstall();
  EXPECT_FALSE(again.active());
  EXPECT_TRUE(handler_is_default(SIGUSR1));
}

TEST(SignalFlush, ASecondInstallationAndUncatchableSignalsAreRefused) {
  testing::diagnostics_capture cap;
  signal_flush_guard first = flush_on_signals({SIGUSR1, SIGKILL});
  EXPECT_TRUE(first.active());
  EXPECT_EQ(cap.count("sdk.signals.invalid"), 1u);  // SIGKILL left out
  signal_flush_guard second = flush_on_signals({SIGUSR2});
  EXPECT_FALSE(second.active());
  EXPECT_EQ(cap.count("sdk.signals.busy"), 1u);
  EXPECT_TRUE(handler_is_default(SIGUSR2));
  signal_flush_guard none = flush_on_signals({SIGSEGV});
  EXPECT_FALSE(none.active());
}

}  // namespace
}  // namespace ctxflow::sdk
