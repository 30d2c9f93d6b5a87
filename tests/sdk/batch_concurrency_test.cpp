// SPDX-License-Identifier: Apache-2.0
// The batch processor under concurrent producers (R7.20, R7.26; docs/design/sdk.md §3):
// nothing is dropped while the queue has room, and every drop is counted when it has not. Also
// the recycling of span objects: a span released on the export thread goes back to the thread
// that started it, and that must never disturb a span still waiting for export, nor outlive its
// thread badly.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "ctxflow/sdk/batch_span_processor.hpp"
#include "ctxflow/testing/diagnostics_capture.hpp"
#include "sdk/test_exporter.hpp"

namespace ctxflow::sdk {
namespace {

using namespace std::chrono_literals;

// Batch options with the three values these tests vary: queue size, batch size, schedule delay.
batch_options queue_options(std::size_t queue, std::size_t batch,
                            std::chrono::milliseconds delay) {
  batch_options o;
  o.max_queue_size = queue;
  o.max_export_batch_size = batch;
  o.schedule_delay = delay;
  return o;
}

// Counts spans only (cheap, so producers run flat out).
class counting_exporter final : public span_exporter {
 public:
  explicit counting_exporter(std::shared_ptr<std::atomic<std::uint64_t>> n) : n_(std::move(n)) {}
  export_result export_spans(std::span<const span_data* const> batch) noexcept override {
    for (const span_data* d : batch)
      if (d->name.empty()) return export_result::failure;
    n_->fetch_add(batch.size());
    return export_result::success;
  }

 private:
  std::shared_ptr<std::atomic<std::uint64_t>> n_;
};

void produce(std::size_t threads, std::size_t per_thread, std::size_t queue,
             std::uint64_t& exported, processor_stats& stats) {
  testing::diagnostics_capture cap;  // keeps drop reports out of the test output
  auto n = std::make_shared<std::atomic<std::uint64_t>>(0);
  const batch_options o = queue_options(queue, queue < 128 ? queue : 128, 5ms);
  const test::batch_pipeline f(std::make_unique<counting_exporter>(n), o, "load");
  batch_span_processor* bp = f.processor;
  const trace::tracer& t = f.tracer;
  std::vector<std::thread> workers;
  for (std::size_t i = 0; i < threads; ++i) {
    workers.emplace_back([&] {
      for (std::size_t k = 0; k < per_thread; ++k) {
        auto parent = t.start_as_current_span("parent");
        t.start_span("child").end();
      }
    });
  }
  for (auto& w : workers) w.join();
  EXPECT_TRUE(bp->force_flush(30000ms));
  exported = n->load();
  stats = bp->stats();
}

// docs/design/sdk.md §3: two threads on one processor drop nothing below its capacity.
TEST(BatchConcurrency, TwoThreadsProducingFlatOutLoseNothingBelowCapacity) {
  std::uint64_t exported = 0;
  processor_stats st;
  const std::size_t per_thread = 5000;  // 2 threads x 5000 x 2 spans < capacity
  produce(2, per_thread, 1 << 15, exported, st);
  EXPECT_EQ(st.dropped_queue_full, 0u);
  EXPECT_EQ(exported, 2 * per_thread * 2);
  EXPECT_EQ(st.exported, exported);
}

TEST(BatchConcurrency, EverySpanIsEitherExportedOrCountedAsDropped) {  // R7.26
  std::uint64_t exported = 0;
  processor_stats st;
  const std::size_t per_thread = 20000;
  produce(4, per_thread, 64, exported, st);
  EXPECT_EQ(exported + st.dropped_queue_full, 4 * per_thread * 2);
  EXPECT_EQ(st.export_failed, 0u);
  EXPECT_EQ(st.accepted, exported);
}

// Checks every span while exporting: its name must match its attributes, so a span object reused
// for a new span before its export finished would show up as a mismatch.
class checking_exporter final : public span_exporter {
 public:
  struct result {
    std::mutex mu;
    std::map<std::pair<std::int64_t, std::int64_t>, int> seen;  // (thread, index) -> count
    std::uint64_t mismatched = 0;
  };
  explicit checking_exporter(std::shared_ptr<result> r) : r_(std::move(r)) {}
  export_result export_spans(std::span<const span_data* const> batch) noexcept override {
    std::lock_guard lock(r_->mu);
    for (const span_data* d : batch) {
      std::int64_t t = -1, k = -1;
      for (const attribute& a : d->attributes) {
        if (a.key == "thread") t = std::get<std::int64_t>(a.value);
        if (a.key == "index") k = std::get<std::int64_t>(a.value);
      }
      const std::string expected = "t" + std::to_string(t) + "-" + std::to_string(k);
      if (d->name != expected || d->attributes.size() != 2 || d->end_time_unix_nano == 0)
        ++r_->mismatched;
      ++r_->seen[{t, k}];
    }
    return export_result::success;
  }

 private:
  std::shared_ptr<result> r_;
};

// Two producer threads make `per_thread` spans each on one batch pipeline, `produce(tracer,
// i, k)` making span "t<i>-<k>" with the attributes thread = i and index = k; then every span
// must have been exported exactly once with its own data, and none dropped.
template <class Produce>
void expect_every_span_exported_once_intact(const char* pipeline, std::int64_t per_thread,
                                            Produce produce) {
  auto res = std::make_shared<checking_exporter::result>();
  // A queue larger than the total: nothing may be dropped.
  const batch_options o = queue_options(1 << 16, 64, 1ms);
  const test::batch_pipeline f(std::make_unique<checking_exporter>(res), o, pipeline);
  batch_span_processor* bp = f.processor;
  const trace::tracer& t = f.tracer;
  constexpr std::int64_t threads = 2;
  std::vector<std::thread> workers;
  for (std::int64_t i = 0; i < threads; ++i) {
    workers.emplace_back([&t, i, per_thread, produce] {
      for (std::int64_t k = 0; k < per_thread; ++k) produce(t, i, k);
    });
  }
  for (auto& w : workers) w.join();
  ASSERT_TRUE(bp->force_flush(30000ms));
  const processor_stats st = bp->stats();
  EXPECT_EQ(st.dropped_queue_full, 0u);
  EXPECT_EQ(st.exported, static_cast<std::uint64_t>(threads * per_thread));
  std::lock_guard lock(res->mu);
  EXPECT_EQ(res->mismatched, 0u);
  ASSERT_EQ(res->seen.size(), static_cast<std::size_t>(threads * per_thread));
  for (const auto& [key, n] : res->seen) EXPECT_EQ(n, 1) << key.first << "-" << key.second;
}

std::string span_name(std::int64_t i, std::int64_t k) {
  return "t" + std::to_string(i) + "-" + std::to_string(k);
}

// docs/design/sdk.md §2: span objects are recycled by the thread that started them.
TEST(BatchConcurrency, SpansRecycledAcrossThreadsKeepTheirDataUntilExported) {
  expect_every_span_exported_once_intact(
      "recycle", 20000, [](const trace::tracer& t, std::int64_t i, std::int64_t k) {
        trace::span s = t.start_span(span_name(i, k));
        s.set_attribute("thread", i);
        s.set_attribute("index", k);
        s.end();
      });
}

// The same with spans ended by guards, which hand their reference to the queue, and producers
// that pause now and then, so the export thread also releases spans for idle threads.
TEST(BatchConcurrency, GuardedSpansHandedToTheQueueKeepTheirDataUntilExported) {
  expect_every_span_exported_once_intact(
      "guarded", 10000, [](const trace::tracer& t, std::int64_t i, std::int64_t k) {
        if (k % 2 == 0) {
          trace::span_guard s{t.start_span(span_name(i, k))};
          s->set_attribute("thread", i);
          s->set_attribute("index", k);
        } else {
          auto s = t.start_as_current_span(span_name(i, k));
          s->set_attribute("thread", i);
          s->set_attribute("index", k);
        }
        if (k % 2000 == 1999) std::this_thread::sleep_for(5ms);
      });
}

// Blocks every export until opened.
class gated_exporter final : public span_exporter {
 public:
  struct gate {
    std::mutex mu;
    std::condition_variable cv;
    bool open = false;
    std::uint64_t spans = 0;
    int calls = 0;
  };
  explicit gated_exporter(std::shared_ptr<gate> g) : g_(std::move(g)) {}
  export_result export_spans(std::span<const span_data* const> batch) noexcept override {
    std::unique_lock lock(g_->mu);
    ++g_->calls;
    g_->cv.notify_all();
    g_->cv.wait(lock, [&] { return g_->open; });
    g_->spans += batch.size();
    return export_result::success;
  }

 private:
  std::shared_ptr<gate> g_;
};

TEST(BatchConcurrency, TwoProducersOnAFullQueueHaveEveryDropCountedExactly) {  // R7.26
  testing::diagnostics_capture cap;
  auto g = std::make_shared<gated_exporter::gate>();
  // The 64th span wakes the export thread; no timer export during the test.
  const batch_options o = queue_options(64, 64, 60000ms);
  const test::batch_pipeline f(std::make_unique<gated_exporter>(g), o, "full");
  batch_span_processor* bp = f.processor;
  const trace::tracer& t = f.tracer;

  // Fill the queue once so the export thread takes one batch and blocks in the exporter.
  for (int k = 0; k < 64; ++k) t.start_span("first").end();
  {
    std::unique_lock lock(g->mu);
    ASSERT_TRUE(g->cv.wait_for(lock, 30s, [&] { return g->calls == 1; }));
  }
  // Now 64 more fit; two producers race for them and for the drops. Each producer adds its
  // spans to the shared count in short runs (at most capacity / 32 = 2 here), so the queue may
  // end up holding one unfinished run per producer beyond its capacity, never less than it.
  constexpr std::uint64_t per_thread = 5000;
  std::vector<std::thread> workers;
  for (int i = 0; i < 2; ++i)
    workers.emplace_back([&t] {
      for (std::uint64_t k = 0; k < per_thread; ++k) t.start_span("racing").end();
    });
  for (auto& w : workers) w.join();
  const processor_stats before = bp->stats();
  EXPECT_GE(before.queue_size, 64u);
  EXPECT_LE(before.queue_size, 64u + 2 * (64 / 32 - 1));
  EXPECT_EQ(before.queue_size + before.dropped_queue_full, 2 * per_thread);
  {
    std::lock_guard lock(g->mu);
    g->open = true;
  }
  g->cv.notify_all();
  ASSERT_TRUE(bp->force_flush(30000ms));
  const processor_stats st = bp->stats();
  EXPECT_EQ(st.accepted, 64 + before.queue_size);
  EXPECT_EQ(st.exported, st.accepted);
  EXPECT_EQ(st.dropped_queue_full, before.dropped_queue_full);
  std::lock_guard lock(g->mu);
  EXPECT_EQ(g->spans, st.accepted);
  EXPECT_GE(cap.count("sdk.batch.dropped"), 1u);
}

// Every on_end reads the processor's stop flag; two producers ending spans while a shutdown sets
// it must each see it in time for every span: each span is queued, dropped as the queue was full,
// or dropped after the shutdown, exactly one of the three, and nothing queued is exported twice.
// A span queued after the shutdown's last release is released by its producer
// (docs/design/sdk.md §7), so nothing is left in a ring: under AddressSanitizer, LeakSanitizer
// checks that at exit (tests/sdk/shutdown_race_test.cpp forces that interleaving).
TEST(BatchConcurrency, TwoProducersRacingAShutdownHaveEverySpanCountedOnce) {  // R7.23, R7.26
  testing::diagnostics_capture cap;
  auto n = std::make_shared<std::atomic<std::uint64_t>>(0);
  const batch_options o = queue_options(1024, 128, 5ms);
  const test::batch_pipeline f(std::make_unique<counting_exporter>(n), o, "stopping");
  batch_span_processor* bp = f.processor;
  const trace::tracer& t = f.tracer;
  std::atomic<bool> shut{false};
  std::atomic<int> running{0};
  std::uint64_t made[2] = {0, 0};
  std::vector<std::thread> workers;
  for (int i = 0; i < 2; ++i)
    workers.emplace_back([&, i] {
      running.fetch_add(1);
      // Until the shutdown has returned, and as many spans again after it.
      std::uint64_t k = 0;
      while (!shut.load()) t.start_span("racing").end(), ++k;
      for (std::uint64_t j = 0; j < 1000; ++j) t.start_span("late").end(), ++k;
      made[i] = k;
    });
  while (running.load() < 2) std::this_thread::yield();
  while (n->load() < 2000) std::this_thread::yield();  // the export thread is busy
  EXPECT_TRUE(bp->shutdown(30000ms));
  shut.store(true);
  for (auto& w : workers) w.join();
  const processor_stats st = bp->stats();
  // Each span in exactly one of the three: a span that passed the stopping check as the
  // shutdown began and was queued after the last export is accepted and not delivered, never
  // also "ended after shutdown". Every accepted span was exported or counted as not delivered,
  // whether the last release or its own producer released it.
  EXPECT_EQ(st.accepted + st.dropped_queue_full + st.dropped_after_shutdown, made[0] + made[1]);
  EXPECT_EQ(st.exported + st.not_delivered_at_shutdown, st.accepted);
  EXPECT_GE(st.dropped_after_shutdown, 2000u);  // the spans ended after shutdown returned
  EXPECT_EQ(st.exported, n->load());
  EXPECT_LE(st.exported, st.accepted);
  EXPECT_EQ(st.export_failed, 0u);
  EXPECT_EQ(st.queue_size, 0u);  // nothing left behind, not even a span queued after the end
}

TEST(BatchConcurrency, SpansOutlivingTheThreadThatStartedThemAreExportedAndFreed) {
  auto g = std::make_shared<gated_exporter::gate>();
  const batch_options o = queue_options(4096, 16, 1ms);
  const test::batch_pipeline f(std::make_unique<gated_exporter>(g), o, "exit");
  batch_span_processor* bp = f.processor;
  const trace::tracer& t = f.tracer;
  trace::span kept;
  // The thread ends while its spans wait in the queue (the exporter is closed) and while the
  // test still holds one: both are released after the thread's span pool closed.
  std::thread([&] {
    for (int k = 0; k < 1000; ++k) t.start_span("queued").end();
    kept = t.start_span("kept");
  }).join();
  {
    std::lock_guard lock(g->mu);
    g->open = true;
  }
  g->cv.notify_all();
  EXPECT_TRUE(kept.is_recording());
  kept.set_attribute("after", true);
  kept.end();
  kept = trace::span();
  ASSERT_TRUE(bp->force_flush(30000ms));
  std::lock_guard lock(g->mu);
  EXPECT_EQ(g->spans, 1001u);
}

// Ends its span when the thread's thread-local objects are destroyed.
struct ends_at_thread_exit {
  trace::span span;
  ~ends_at_thread_exit() { span.end(); }
};
thread_local ends_at_thread_exit tls_ends_at_exit;

TEST(BatchConcurrency, ASpanEndedByAThreadExitHookAfterTheThreadLetGoOfItsQueueIsExported) {
  auto g = std::make_shared<gated_exporter::gate>();
  g->open = true;
  batch_options o;
  o.schedule_delay = 1ms;
  const test::batch_pipeline f(std::make_unique<gated_exporter>(g), o, "exit-hook");
  batch_span_processor* bp = f.processor;
  const trace::tracer& t = f.tracer;
  std::thread([&] {
    // The holder is constructed before the thread's first ended span sets up its queue, so it
    // is destroyed after that queue was handed back: its span takes the late path.
    tls_ends_at_exit.span = t.start_span("at-exit");
    t.start_span("before").end();
  }).join();
  ASSERT_TRUE(bp->force_flush(30000ms));
  const processor_stats st = bp->stats();
  EXPECT_EQ(st.accepted, 2u);
  EXPECT_EQ(st.exported, 2u);
  EXPECT_EQ(st.dropped_queue_full, 0u);
  std::lock_guard lock(g->mu);
  EXPECT_EQ(g->spans, 2u);
}

}  // namespace
}  // namespace ctxflow::sdk
