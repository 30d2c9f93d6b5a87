// SPDX-License-Identifier: Apache-2.0
// The export thread's pacing policy (src/sdk/batch_pacer.hpp): when it naps instead of being
// woken, for how long, and when it stops.
#include "sdk/batch_pacer.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace ctxflow::sdk::detail {
namespace {

using namespace std::chrono_literals;
using clock_type = batch_pacer::clock;

// The defaults: a queue of 2048, batches of 512, a 5 s schedule delay.
batch_pacer default_pacer() { return batch_pacer(2048, 512, 5000ms); }

TEST(BatchPacer, ANapLetsAQuarterOfTheHeadroomArriveAtMostFourBatches) {
  EXPECT_EQ(default_pacer().nap_spans(), (2048u - 512u) / 4);
  EXPECT_EQ(batch_pacer(100000, 512, 5000ms).nap_spans(), 4u * 512);
  EXPECT_EQ(default_pacer().longest(), std::chrono::duration_cast<clock_type::duration>(20ms));
  EXPECT_EQ(batch_pacer(2048, 512, 5ms).longest(), std::chrono::duration_cast<clock_type::duration>(5ms));
}

TEST(BatchPacer, TheFirstWakeUpNeverStartsPacing) {
  batch_pacer p = default_pacer();
  const auto t0 = clock_type::time_point{} + 1h;  // long after the last (never) wake-up
  EXPECT_FALSE(p.next(t0, true, 512));
  EXPECT_FALSE(p.active());
}

TEST(BatchPacer, FullBatchesWokenInQuickSuccessionStartANapSizedFromTheirRate) {
  batch_pacer p = default_pacer();
  const auto t0 = clock_type::time_point{} + 1h;
  ASSERT_FALSE(p.next(t0, true, 512));
  // 512 spans in 1 ms: 1953 ns a span; a nap for 384 spans lasts 750 µs.
  ASSERT_TRUE(p.next(t0 + 1ms, true, 512));
  EXPECT_TRUE(p.active());
  const auto nap = p.until() - (t0 + 1ms);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::microseconds>(nap).count(), 749);
}

TEST(BatchPacer, NapsAreClampedBetween20MicrosecondsAndTheLongest) {
  batch_pacer fast = default_pacer();
  const auto t0 = clock_type::time_point{} + 1h;
  ASSERT_FALSE(fast.next(t0, true, 512));
  ASSERT_TRUE(fast.next(t0 + 1us, true, 512));
  EXPECT_EQ(fast.until() - (t0 + 1us), std::chrono::duration_cast<clock_type::duration>(20us));

  batch_pacer slow(100000, 512, 5000ms);  // 2048 spans a nap
  ASSERT_FALSE(slow.next(t0, true, 512));
  ASSERT_TRUE(slow.next(t0 + 19ms, true, 512));
  EXPECT_EQ(slow.until() - (t0 + 19ms), slow.longest());
}

TEST(BatchPacer, DoesNotPaceWhenWakeUpsAreFarApartOrBatchesArePartial) {
  batch_pacer p = default_pacer();
  const auto t0 = clock_type::time_point{} + 1h;
  ASSERT_FALSE(p.next(t0, true, 512));
  EXPECT_FALSE(p.next(t0 + 25ms, true, 512));     // slower than the longest nap
  EXPECT_FALSE(p.next(t0 + 25ms + 1ms, true, 100));  // not a full batch
  EXPECT_FALSE(p.next(t0 + 25ms + 2ms, false, 512));  // the timer, not a producer
  EXPECT_FALSE(p.active());
}

TEST(BatchPacer, KeepsNappingWhileNapsBringHalfABatchAndStopsBelowThat) {
  batch_pacer p = default_pacer();
  const auto t0 = clock_type::time_point{} + 1h;
  ASSERT_FALSE(p.next(t0, true, 512));
  ASSERT_TRUE(p.next(t0 + 1ms, true, 512));
  // A nap of 1 ms brought 300 spans (at least half a batch): nap again, sized from that rate.
  ASSERT_TRUE(p.next(t0 + 2ms, false, 300));
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::microseconds>(p.until() - (t0 + 2ms)).count(), 1279);
  // The next nap brought 255 spans: back to being woken.
  EXPECT_FALSE(p.next(t0 + 3ms, false, 255));
  EXPECT_FALSE(p.active());
}

TEST(BatchPacer, NeverPacesWhenAQuarterOfTheHeadroomIsUnderHalfABatch) {
  batch_pacer p(600, 512, 5000ms);  // (600 - 512) / 4 = 22 spans a nap
  const auto t0 = clock_type::time_point{} + 1h;
  ASSERT_FALSE(p.next(t0, true, 512));
  EXPECT_FALSE(p.next(t0 + 1ms, true, 512));
  EXPECT_FALSE(p.active());
}

}  // namespace
}  // namespace ctxflow::sdk::detail
