// SPDX-License-Identifier: Apache-2.0
// The batch processor under concurrent producers (R7.20, R7.26, design §5): nothing is dropped
// while the queue has room, and every drop is counted when it has not.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "ctxflow/sdk/batch_span_processor.hpp"
#include "ctxflow/testing/diagnostics_capture.hpp"
#include "sdk/test_exporter.hpp"

namespace ctxflow::sdk {
namespace {

using namespace std::chrono_literals;

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
  batch_options o;
  o.max_queue_size = queue;
  o.max_export_batch_size = queue < 128 ? queue : 128;
  o.schedule_delay = 5ms;
  auto p = std::make_unique<batch_span_processor>(std::make_unique<counting_exporter>(n), o);
  batch_span_processor* bp = p.get();
  tracer_provider_options po;
  po.processors.push_back(std::move(p));
  tracer_provider provider(std::move(po));
  const trace::tracer t = provider.get_tracer("load");
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

TEST(BatchConcurrency, TwoThreadsProducingFlatOutLoseNothingBelowCapacity) {  // design §5
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

}  // namespace
}  // namespace ctxflow::sdk
