// SPDX-License-Identifier: Apache-2.0
// The per-thread span pool's free-list bound (src/sdk/span_pool.hpp): a thread keeps the blocks
// of spans it recently had out at once, so a repeated deep burst reuses them, and gives back
// the ones a whole trim period did not need.
#include "sdk/span_pool.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <vector>

#include "ctxflow/sdk/span_processor.hpp"
#include "ctxflow/sdk/tracer_provider.hpp"

namespace ctxflow::sdk {
namespace {

using detail::span_pool;

// Keeps nothing: a span goes back to its thread's pool when its last handle goes.
struct keep_nothing final : span_processor {
  void on_end(recording_span&) noexcept override {}
  bool force_flush(std::chrono::milliseconds) noexcept override { return true; }
  bool shutdown(std::chrono::milliseconds) noexcept override { return true; }
};

struct pool_fixture {
  std::shared_ptr<tracer_provider> provider;
  trace::tracer tracer;
  pool_fixture() {
    tracer_provider_options o;
    o.processors.push_back(std::make_unique<keep_nothing>());
    provider = std::make_shared<tracer_provider>(std::move(o));
    tracer = provider->get_tracer("pool");
  }
  // Starts and ends `n` spans that all stay out until the last has ended, then lets them go.
  void burst(std::size_t n) {
    std::vector<trace::span> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      out.push_back(tracer.start_span("burst"));
      out.back().end();
    }
  }
  // Starts and ends `n` spans one after the other.
  void one_at_a_time(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) tracer.start_span("single").end();
  }
};

TEST(SpanPool, ARepeatedBurstDeeperThanTheFloorIsServedFromTheFreeListAfterTheFirst) {
  pool_fixture f;
  const std::size_t deep = span_pool::min_kept_blocks + 6000;
  f.burst(deep);
  // Every block came back and was kept (with a fixed bound of min_kept_blocks, 6000 were freed
  // and the next burst allocated them again).
  EXPECT_GE(span_pool::free_blocks(), deep);
  const std::size_t kept = span_pool::free_blocks();
  f.burst(deep);
  f.burst(deep);
  EXPECT_EQ(span_pool::free_blocks(), kept);  // and so after every later burst
}

TEST(SpanPool, BlocksATrimPeriodDidNotNeedGoBackToTheAllocator) {
  pool_fixture f;
  f.burst(span_pool::min_kept_blocks + 6000);
  ASSERT_GT(span_pool::free_blocks(), span_pool::min_kept_blocks);
  // Two whole periods with one span out at a time (the bound follows the larger need of the
  // last two periods; the first period may still hold the end of the burst).
  f.one_at_a_time(3 * static_cast<std::size_t>(span_pool::trim_period));
  EXPECT_LE(span_pool::free_blocks(), span_pool::min_kept_blocks);
  EXPECT_GT(span_pool::free_blocks(), 0u);  // the floor stays for the next burst
}

TEST(SpanPool, AThreadKeepsNoMoreThanTheCeilingHoweverDeepItsBurst) {
  pool_fixture f;
  f.burst(span_pool::max_kept_blocks + 1000);
  EXPECT_EQ(span_pool::free_blocks(), span_pool::max_kept_blocks);
}

}  // namespace
}  // namespace ctxflow::sdk
