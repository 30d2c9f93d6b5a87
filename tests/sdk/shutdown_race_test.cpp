// SPDX-License-Identifier: Apache-2.0
// A producer held up inside on_end, between its stopping check and its push, across a whole
// shutdown (docs/design/sdk.md, "A span queued after the last release"). The hold-up is
// forced, not hoped for: a thread's first span on a processor makes the thread's ring, with an
// over-aligned nothrow operator new between the check and the push, and this program's
// replacement of it (this program only) parks the thread there when asked to. The span then
// reaches the ring after the shutdown's last release, and its producer must release it itself.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <new>
#include <stop_token>
#include <thread>
#include <utility>

#include "ctxflow/macros.hpp"
#include "ctxflow/sdk/batch_span_processor.hpp"
#include "ctxflow/sdk/tracer_provider.hpp"
#include "sdk/test_exporter.hpp"

namespace {

// Where a thread waits until the test lets it go on.
struct pause_point {
  std::mutex mu;
  std::condition_variable cv;
  bool reached = false;
  bool resumed = false;

  void hit() {
    std::unique_lock lock(mu);
    reached = true;
    cv.notify_all();
    cv.wait(lock, [&] { return resumed; });
  }
  void wait_reached() {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return reached; });
  }
  void resume() {
    {
      std::lock_guard lock(mu);
      resumed = true;
    }
    cv.notify_all();
  }
};

// Set by a thread for its next nothrow over-aligned allocation.
thread_local constinit pause_point* pause_at_next_nothrow_new = nullptr;

}  // namespace

// The ring's shard is over-aligned (its parts have cache lines of their own), so it is this
// overload. Forwards to the ordinary aligned operator new (every allocation stays a new/delete
// pair for the sanitizers), after parking the calling thread if it asked for it.
void* operator new(std::size_t n, std::align_val_t al, const std::nothrow_t&) noexcept {
  if (pause_point* p = std::exchange(pause_at_next_nothrow_new, nullptr)) p->hit();
  void* block = nullptr;
  CTXFLOW_TRY {
    block = ::operator new(n, al);
  } CTXFLOW_CATCH_ALL {
    block = nullptr;
  }
  return block;
}

namespace ctxflow::sdk {
namespace {

using namespace std::chrono_literals;

// Accepts every batch; notes its own destruction, which is the destruction of the processor
// that owns it, and so of the provider that owns the processor.
class watched_exporter final : public span_exporter {
 public:
  explicit watched_exporter(std::shared_ptr<std::atomic<bool>> gone) : gone_(std::move(gone)) {}
  ~watched_exporter() override { gone_->store(true); }
  watched_exporter(const watched_exporter&) = delete;
  watched_exporter& operator=(const watched_exporter&) = delete;
  export_result export_spans(std::span<const span_data* const> batch) noexcept override {
    (void)batch;
    return export_result::success;
  }

 private:
  std::shared_ptr<std::atomic<bool>> gone_;
};

// The options of both tests: a small queue and a short schedule.
batch_options race_options() {
  batch_options o;
  o.max_queue_size = 64;
  o.max_export_batch_size = 8;
  o.schedule_delay = 5ms;
  return o;
}

// A fresh thread (its first span on the processor makes its ring inside on_end) that starts a
// span with `tracer`, ends it and parks at `in_on_end` between on_end's stopping check and its
// push; once resumed and out of on_end it drops its span and parks at `stats_read`, so the test
// reads the counts while the thread still keeps the provider. `tracer` is borrowed: the thread
// holds no reference of its own.
std::thread late_producer(trace::tracer& tracer, pause_point& in_on_end, pause_point& stats_read) {
  return std::thread([&tracer, &in_on_end, &stats_read] {
    trace::span s = tracer.start_span("late");
    pause_at_next_nothrow_new = &in_on_end;
    s.end();
    pause_at_next_nothrow_new = nullptr;
    s = trace::span();
    stats_read.hit();
  });
}

// The producer passes on_end's stopping check, the whole shutdown runs (drain, last release,
// join), and only then does the producer queue its span. Nothing else will ever look at that
// ring, so the producer releases the span itself: it is counted once (accepted, and not
// delivered at shutdown), and once the test and the producer thread let go of the provider,
// nothing keeps the provider alive: its processor and exporter are destroyed.
TEST(BatchShutdownRace, ASpanQueuedAfterTheShutdownsLastReleaseIsReleasedByItsProducer) {
  auto gone = std::make_shared<std::atomic<bool>>(false);
  const batch_options o = race_options();
  auto pipeline =
      std::make_unique<test::batch_pipeline>(std::make_unique<watched_exporter>(gone), o);
  batch_span_processor* bp = pipeline->processor;
  trace::tracer tracer = pipeline->tracer;

  pause_point in_on_end;
  pause_point stats_read;
  std::thread producer = late_producer(tracer, in_on_end, stats_read);
  in_on_end.wait_reached();
  EXPECT_TRUE(bp->shutdown(5000ms));
  // The test's provider and tracer; the producer's span and its thread's lease keep it alive.
  pipeline.reset();
  tracer = trace::tracer();
  in_on_end.resume();

  stats_read.wait_reached();
  const processor_stats st = bp->stats();
  EXPECT_EQ(st.accepted, 1u);
  EXPECT_EQ(st.not_delivered_at_shutdown, 1u);
  EXPECT_EQ(st.dropped_after_shutdown, 0u);
  EXPECT_EQ(st.dropped_queue_full, 0u);
  EXPECT_EQ(st.exported, 0u);
  EXPECT_EQ(st.queue_size, 0u);
  EXPECT_FALSE(gone->load());
  stats_read.resume();
  producer.join();
  // The thread's exit freed its span blocks and its lease: the last references to the provider.
  EXPECT_TRUE(gone->load());
}

// Holds its first export until the test opens it, and lets the test see when a shutdown has
// begun (it interrupts the running export after setting the processor's stopping flag).
class held_exporter final : public span_exporter {
 public:
  struct shared {
    std::mutex mu;
    std::condition_variable cv;
    bool open = false;
    bool holding = false;
    std::stop_token interrupt;  // of the held export
    std::uint64_t spans = 0;
    std::atomic<bool> gone{false};
  };
  explicit held_exporter(std::shared_ptr<shared> s) : s_(std::move(s)) {}
  ~held_exporter() override { s_->gone.store(true); }
  held_exporter(const held_exporter&) = delete;
  held_exporter& operator=(const held_exporter&) = delete;
  export_result export_spans(std::span<const span_data* const> batch) noexcept override {
    return export_spans_within(batch, export_limits{});
  }
  export_result export_spans_within(std::span<const span_data* const> batch,
                                    const export_limits& limits) noexcept override {
    std::unique_lock lock(s_->mu);
    s_->interrupt = limits.interrupt;
    s_->holding = true;
    s_->cv.notify_all();
    s_->cv.wait(lock, [&] { return s_->open; });
    s_->holding = false;
    s_->spans += batch.size();
    return export_result::success;
  }

 private:
  std::shared_ptr<shared> s_;
};

// The other order: the producer is held up across the start of the shutdown only, and queues
// its span while the drain is still running. Its second look sees the flag, but the shards are
// not closed yet, so it leaves the span to the drain (and the last release after it), which
// exports it. Counted once, as accepted and exported, and nothing keeps the provider alive.
TEST(BatchShutdownRace, ASpanQueuedWhileTheShutdownStillDrainsIsLeftToTheDrain) {
  auto held = std::make_shared<held_exporter::shared>();
  const batch_options o = race_options();
  auto pipeline =
      std::make_unique<test::batch_pipeline>(std::make_unique<held_exporter>(held), o);
  batch_span_processor* bp = pipeline->processor;
  trace::tracer tracer = pipeline->tracer;

  // A first span, from a thread of its own (a span or a lease on this thread would keep the
  // provider alive): its export, on the schedule, is held.
  std::thread([&] { tracer.start_span("first").end(); }).join();
  {
    std::unique_lock lock(held->mu);
    held->cv.wait(lock, [&] { return held->holding; });
  }
  pause_point in_on_end;
  pause_point stats_read;
  std::thread producer = late_producer(tracer, in_on_end, stats_read);
  in_on_end.wait_reached();
  bool shut_down = false;
  std::thread stopper([&] { shut_down = bp->shutdown(5000ms); });
  // The shutdown sets the stopping flag, then interrupts the held export.
  for (;;) {
    {
      std::lock_guard lock(held->mu);
      if (held->interrupt.stop_requested()) break;
    }
    std::this_thread::sleep_for(1ms);
  }
  pipeline.reset();
  tracer = trace::tracer();
  in_on_end.resume();
  stats_read.wait_reached();  // on_end has returned; the span is queued and left to the drain
  {
    std::lock_guard lock(held->mu);
    held->open = true;
  }
  held->cv.notify_all();
  stopper.join();
  EXPECT_TRUE(shut_down);
  const processor_stats st = bp->stats();
  EXPECT_EQ(st.accepted, 2u);
  EXPECT_EQ(st.exported, 2u);
  EXPECT_EQ(st.not_delivered_at_shutdown, 0u);
  EXPECT_EQ(st.dropped_after_shutdown, 0u);
  EXPECT_EQ(st.queue_size, 0u);
  {
    std::lock_guard lock(held->mu);
    EXPECT_EQ(held->spans, 2u);
  }
  stats_read.resume();
  producer.join();
  EXPECT_TRUE(held->gone.load());
}

}  // namespace
}  // namespace ctxflow::sdk
