// SPDX-License-Identifier: Apache-2.0
// The simple processor from several threads at once: export calls never overlap (R7.19), every
// sampled span is exported exactly once, and its counters add up (R7.26). Its lock and the
// counters it bumps under that lock are checked here under ThreadSanitizer (label concurrency).
#include "ctxflow/sdk/span_processor.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "ctxflow/sdk/tracer_provider.hpp"

namespace ctxflow::sdk {
namespace {

// Fails the test if two export calls overlap; counts the spans it was given.
class overlap_checking_exporter final : public span_exporter {
 public:
  struct shared {
    std::atomic<bool> inside{false};
    std::atomic<std::uint64_t> overlaps{0};
    std::uint64_t spans = 0;  // written only inside export calls, which must not overlap
  };
  explicit overlap_checking_exporter(std::shared_ptr<shared> s) : s_(std::move(s)) {}
  export_result export_spans(std::span<const span_data* const> batch) noexcept override {
    if (s_->inside.exchange(true)) s_->overlaps.fetch_add(1);
    s_->spans += batch.size();
    // Stay inside a little from time to time, so that the other threads find the lock held
    // and wait for it.
    if (s_->spans % 64 == 0) std::this_thread::sleep_for(std::chrono::microseconds(50));
    s_->inside.store(false);
    return export_result::success;
  }

 private:
  std::shared_ptr<shared> s_;
};

TEST(SimpleProcessorConcurrency, ExportsFromSeveralThreadsNeverOverlapAndLoseNothing) {  // R7.19
  auto s = std::make_shared<overlap_checking_exporter::shared>();
  auto p = std::make_unique<simple_span_processor>(std::make_unique<overlap_checking_exporter>(s));
  simple_span_processor* sp = p.get();
  tracer_provider_options o;
  o.processors.push_back(std::move(p));
  const auto provider = std::make_shared<tracer_provider>(std::move(o));
  const trace::tracer t = provider->get_tracer("load");
  constexpr std::size_t threads = 4;
  constexpr std::size_t per_thread = 5000;
  std::vector<std::thread> workers;
  for (std::size_t i = 0; i < threads; ++i)
    workers.emplace_back([&] {
      for (std::size_t k = 0; k < per_thread; ++k) t.start_span("s").end();
    });
  for (auto& w : workers) w.join();
  EXPECT_EQ(s->overlaps.load(), 0u);
  const processor_stats st = sp->stats();
  EXPECT_EQ(st.accepted, threads * per_thread);
  EXPECT_EQ(st.exported, threads * per_thread);
  EXPECT_EQ(st.export_failed, 0u);
  ASSERT_TRUE(provider->shutdown());
  EXPECT_EQ(s->spans, threads * per_thread);  // read after the exporter was shut down
}

}  // namespace
}  // namespace ctxflow::sdk
