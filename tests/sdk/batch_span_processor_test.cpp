// SPDX-License-Identifier: Apache-2.0
// The batch processor (R7.20-R7.22, R7.26): order, triggers (size, delay, flush), shutdown,
// drops on a full queue, failures. OTEL_BSP_* parsing: batch_options_test.cpp.
#include "ctxflow/sdk/batch_span_processor.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "ctxflow/testing/diagnostics_capture.hpp"
#include "sdk/test_exporter.hpp"

namespace ctxflow::sdk {
namespace {

using namespace std::chrono_literals;

// An exporter whose exports wait until release() (to hold the export thread).
class gated_exporter final : public span_exporter {
 public:
  explicit gated_exporter(std::shared_ptr<test::recorded> r) : inner_(std::move(r)) {}
  export_result export_spans(std::span<const span_data* const> batch) noexcept override {
    {
      std::unique_lock lock(mu_);
      ++entered_;
      cv_.notify_all();
      cv_.wait(lock, [&] { return open_; });
    }
    return inner_.export_spans(batch);
  }
  void wait_entered(int n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return entered_ >= n; });
  }
  void release() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  test::recording_exporter inner_;
  std::mutex mu_;
  std::condition_variable cv_;
  int entered_ = 0;
  bool open_ = false;
};

// A batch pipeline recording into `rec` unless given another exporter.
struct batch_fixture : test::batch_pipeline {
  std::shared_ptr<test::recorded> rec;

  explicit batch_fixture(batch_options o, std::unique_ptr<span_exporter> e = nullptr)
      : batch_fixture(o, std::move(e), std::make_shared<test::recorded>()) {}

 private:
  batch_fixture(batch_options o, std::unique_ptr<span_exporter> e, std::shared_ptr<test::recorded> r)
      : batch_pipeline(e ? std::move(e) : std::make_unique<test::recording_exporter>(r), o, "t"),
        rec(std::move(r)) {}
};

batch_options slow_timer(std::size_t queue = 2048, std::size_t batch = 512) {
  batch_options o;
  o.schedule_delay = 1h;
  o.max_queue_size = queue;
  o.max_export_batch_size = batch;
  return o;
}

bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds limit = 5000ms) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(1ms);
  }
  return cond();
}

TEST(BatchProcessor, ForceFlushExportsEverythingQueuedInOrder) {  // R7.21
  batch_fixture f(slow_timer());
  for (int i = 0; i < 10; ++i) f.tracer.start_span("s" + std::to_string(i)).end();
  EXPECT_EQ(f.rec->size(), 0u);  // nothing before a trigger
  EXPECT_TRUE(f.processor->force_flush(5000ms));
  const auto spans = f.rec->snapshot();
  ASSERT_EQ(spans.size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(spans[static_cast<std::size_t>(i)].name, "s" + std::to_string(i));
  EXPECT_EQ(f.rec->flushes, 1);  // the exporter's flush follows (R7.21)
}

TEST(BatchProcessor, AFullBatchIsExportedWithoutWaitingForTheTimer) {  // R7.20
  batch_fixture f(slow_timer(64, 4));
  for (int i = 0; i < 8; ++i) f.tracer.start_span("s").end();
  EXPECT_TRUE(eventually([&] { return f.rec->size() == 8; }));
  std::lock_guard lock(f.rec->mu);
  for (std::size_t n : f.rec->batch_sizes) EXPECT_LE(n, 4u);
}

TEST(BatchProcessor, TheScheduleDelayExportsAPartialBatch) {  // R7.20
  batch_options o;
  o.schedule_delay = 20ms;
  batch_fixture f(o);
  f.tracer.start_span("lonely").end();
  EXPECT_TRUE(eventually([&] { return f.rec->size() == 1; }));
}

TEST(BatchProcessor, OnlySampledSpansAreQueued) {  // R7.16
  tracer_provider_options po;
  auto rec = std::make_shared<test::recorded>();
  auto p = std::make_unique<batch_span_processor>(std::make_unique<test::recording_exporter>(rec),
                                                  slow_timer());
  batch_span_processor* bp = p.get();
  po.processors.push_back(std::move(p));
  po.sampler_ptr = make_always_record_sampler(make_always_off_sampler());
  tracer_provider provider(std::move(po));
  provider.get_tracer("t").start_span("recorded-only").end();
  EXPECT_TRUE(bp->force_flush(5000ms));
  EXPECT_EQ(rec->size(), 0u);
  EXPECT_EQ(bp->stats().accepted, 0u);
}

TEST(BatchProcessor, ShutdownExportsWhatIsLeftAndLaterSpansAreCounted) {  // R7.22, R7.26
  batch_fixture f(slow_timer());
  f.tracer.start_span("queued").end();
  auto late = f.tracer.start_span("late");
  EXPECT_TRUE(f.processor->shutdown(5000ms));
  EXPECT_EQ(f.rec->size(), 1u);
  EXPECT_EQ(f.rec->shutdowns, 1);
  late.end();
  EXPECT_EQ(f.processor->stats().dropped_after_shutdown, 1u);
  EXPECT_FALSE(f.processor->force_flush(100ms));
  EXPECT_FALSE(f.processor->shutdown(100ms));
}

// One full batch is held in a blocked export; then `extra` more spans end on this thread: the
// first `queue` of them fill the queue to its capacity and every later one is dropped, counted
// and reported. After the release, both batches' spans are exported.
void fill_the_queue_behind_a_held_batch(std::size_t queue, std::size_t extra) {
  SCOPED_TRACE("queue " + std::to_string(queue) + ", " + std::to_string(extra) + " more spans");
  testing::diagnostics_capture cap;
  auto rec = std::make_shared<test::recorded>();
  auto gate = std::make_unique<gated_exporter>(rec);
  gated_exporter* g = gate.get();
  batch_fixture f(slow_timer(queue, queue), std::move(gate));
  for (std::size_t i = 0; i < queue; ++i) f.tracer.start_span("first").end();
  g->wait_entered(1);  // the export thread holds the first batch; the queue is empty
  for (std::size_t i = 0; i < extra; ++i) f.tracer.start_span("second").end();
  processor_stats st = f.processor->stats();
  EXPECT_EQ(st.dropped_queue_full, extra - queue);
  EXPECT_EQ(st.queue_size, queue);
  EXPECT_EQ(st.queue_capacity, queue);
  g->release();
  EXPECT_TRUE(f.processor->force_flush(5000ms));
  st = f.processor->stats();
  EXPECT_EQ(st.exported, 2 * queue);
  EXPECT_EQ(st.accepted, 2 * queue);
  EXPECT_EQ(rec->size(), 2 * queue);
  EXPECT_GE(cap.count("sdk.batch.dropped"), 1u);
}

TEST(BatchProcessor, AFullQueueDropsCountsAndReportsEverySpan) {  // R7.20, R7.26
  fill_the_queue_behind_a_held_batch(4, 7);
}

// With one producer, adding to the shared count in runs still stops at exactly the capacity.
TEST(BatchProcessor, OneProducerFillsTheQueueToExactlyItsCapacity) {  // R7.20, R7.26
  fill_the_queue_behind_a_held_batch(1024, 1500);
}

// Records where each exported span's data lives (and the span name), nothing else.
class address_exporter final : public span_exporter {
 public:
  struct seen {
    std::mutex mu;
    std::vector<std::pair<std::string, const span_data*>> spans;
  };
  explicit address_exporter(std::shared_ptr<seen> s) : s_(std::move(s)) {}
  export_result export_spans(std::span<const span_data* const> batch) noexcept override {
    std::lock_guard lock(s_->mu);
    for (const span_data* d : batch) s_->spans.emplace_back(d->name, d);
    return export_result::success;
  }

 private:
  std::shared_ptr<seen> s_;
};

TEST(BatchProcessor, AnExportedSpanIsReusedByTheThreadThatEndedIt) {  // docs/design/sdk.md §2
  auto seen = std::make_shared<address_exporter::seen>();
  batch_fixture f(slow_timer(), std::make_unique<address_exporter>(seen));
  f.tracer.start_span("a").end();
  ASSERT_TRUE(f.processor->force_flush(5000ms));
  // Ending the next span hands "a" back to this thread (its export has returned) ...
  f.tracer.start_span("b").end();
  // ... so the span after that is built in the same memory.
  f.tracer.start_span("c").end();
  ASSERT_TRUE(f.processor->force_flush(5000ms));
  std::lock_guard lock(seen->mu);
  ASSERT_EQ(seen->spans.size(), 3u);
  EXPECT_EQ(seen->spans[0].first, "a");
  EXPECT_EQ(seen->spans[2].first, "c");
  EXPECT_EQ(seen->spans[2].second, seen->spans[0].second);
  EXPECT_NE(seen->spans[1].second, seen->spans[0].second);
}

TEST(BatchProcessor, FailedExportsAreCountedAndReported) {  // R7.24, R7.26
  testing::diagnostics_capture cap;
  auto rec = std::make_shared<test::recorded>();
  auto e = std::make_unique<test::recording_exporter>(rec);
  e->fail = true;
  batch_fixture f(slow_timer(), std::move(e));
  f.tracer.start_span("a").end();
  f.tracer.start_span("b").end();
  EXPECT_FALSE(f.processor->force_flush(5000ms));
  EXPECT_EQ(f.processor->stats().export_failed, 2u);
  // A flush with a timeout reports its failed spans once, not per batch.
  EXPECT_EQ(cap.count("sdk.flush.undelivered"), 1u);
  EXPECT_EQ(cap.count("sdk.export.failed"), 0u);
}

TEST(BatchProcessor, ABatchLargerThanTheQueueIsClampedWithAWarning) {  // R7.20 [D]
  testing::diagnostics_capture cap;
  batch_span_processor p(std::make_unique<test::recording_exporter>(std::make_shared<test::recorded>()),
                         slow_timer(8, 100));
  EXPECT_EQ(p.options().max_export_batch_size, 8u);
  EXPECT_EQ(cap.count("sdk.batch.invalid"), 1u);
}

TEST(BatchProcessor, ForceFlushTimesOutWhenTheExporterHangs) {  // R7.21
  testing::diagnostics_capture cap;
  auto rec = std::make_shared<test::recorded>();
  auto gate = std::make_unique<gated_exporter>(rec);
  gated_exporter* g = gate.get();
  batch_fixture f(slow_timer(), std::move(gate));
  f.tracer.start_span("stuck").end();
  EXPECT_FALSE(f.processor->force_flush(50ms));
  EXPECT_EQ(cap.count("sdk.flush.timeout"), 1u);
  g->release();
}

// Keeps a copy of every span it exports, as an in-memory exporter does, and counts the
// instances alive in `live`.
class keeping_exporter final : public span_exporter {
 public:
  explicit keeping_exporter(std::shared_ptr<std::atomic<int>> live) : live_(std::move(live)) {
    live_->fetch_add(1);
  }
  ~keeping_exporter() override { live_->fetch_sub(1); }
  keeping_exporter(const keeping_exporter&) = delete;
  keeping_exporter& operator=(const keeping_exporter&) = delete;
  export_result export_spans(std::span<const span_data* const> batch) noexcept override {
    std::lock_guard lock(mu_);
    for (const span_data* d : batch) kept_.push_back(*d);
    return export_result::success;
  }

 private:
  std::shared_ptr<std::atomic<int>> live_;
  std::mutex mu_;
  std::vector<span_data> kept_;
};

// Makes a provider with a batch processor around a keeping_exporter, exports a few spans through
// it, and destroys the provider.
void make_use_and_drop_a_provider(const std::shared_ptr<std::atomic<int>>& live) {
  batch_fixture f(slow_timer(), std::make_unique<keeping_exporter>(live));
  for (int i = 0; i < 8; ++i) f.tracer.start_span("kept").end();
  ASSERT_TRUE(f.processor->force_flush(5000ms));
}

// The exported copies hold the span's scope and resource, not its provider: the provider (which
// owns the exporter that holds the copies) is freed once nothing else uses it. A thread keeps a
// provider alive through its lease and through its retired spans until they are reused, so a
// thread (a fresh one: its span pool holds nothing older) that makes providers one after another,
// each ending as many spans as the one before, keeps only the last one alive, however many it made.
TEST(BatchProcessor, AThreadThatMakesProvidersOneAfterAnotherKeepsOnlyTheLastOneAlive) {
  auto live = std::make_shared<std::atomic<int>>(0);
  constexpr int providers = 20;
  int alive_before_exit = -1;
  std::thread([&] {
    for (int i = 0; i < providers; ++i) make_use_and_drop_a_provider(live);
    alive_before_exit = live->load();
  }).join();
  EXPECT_EQ(alive_before_exit, 1);
  EXPECT_EQ(live->load(), 0);  // the thread's exit let go of the last one
}

// The same from several threads, each making providers one after another and exiting: once
// they are joined, every provider they made (and its exporter) has been freed.
TEST(BatchProcessor, ProvidersMadeAndDroppedOnThreadsThatExitedAreAllFreed) {
  auto live = std::make_shared<std::atomic<int>>(0);
  constexpr int threads = 4;
  constexpr int providers_per_thread = 5;
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([live] {
      for (int i = 0; i < providers_per_thread; ++i) make_use_and_drop_a_provider(live);
    });
  for (std::thread& t : ts) t.join();
  EXPECT_EQ(live->load(), 0);
}

}  // namespace
}  // namespace ctxflow::sdk
