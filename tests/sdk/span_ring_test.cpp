// SPDX-License-Identifier: Apache-2.0
// The batch processor's per-thread ring (src/sdk/span_ring.hpp): capacity, order, wrap-around
// and reclaim. The ring never dereferences what it holds, so these tests queue addresses of
// plain bytes standing in for spans.
#include "sdk/span_ring.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace ctxflow::sdk::detail {
namespace {

// Stand-ins for spans: distinct addresses, never read through the ring.
struct fake_spans {
  alignas(8) unsigned char bytes[4096];
  recording_span* at(std::uint64_t i) { return reinterpret_cast<recording_span*>(&bytes[i % 4096]); }
  std::uint64_t index(const recording_span* s) const {
    return static_cast<std::uint64_t>(reinterpret_cast<const unsigned char*>(s) - bytes);
  }
};

// Pushes `n` spans (numbered from `first`); false at the first one without room.
bool push_n(span_ring& r, fake_spans& f, std::uint64_t first, std::uint64_t n) {
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::uint64_t t = r.tail_for_producer();
    if (!r.has_room(t)) return false;
    r.push(t, f.at(first + i));
  }
  return true;
}

std::vector<std::uint64_t> take_all(span_ring& r, fake_spans& f, std::uint64_t max = 1u << 20) {
  std::vector<std::uint64_t> out;
  r.take(max, [&](const recording_span* s) { out.push_back(f.index(s)); });
  return out;
}

std::vector<std::uint64_t> reclaim_upto(span_ring& r, fake_spans& f, std::uint64_t upto) {
  std::vector<std::uint64_t> out;
  r.reclaim(upto, [&](recording_span* const* s, std::uint64_t n) {
    for (std::uint64_t i = 0; i < n; ++i) out.push_back(f.index(s[i]));
  });
  return out;
}

TEST(SpanRing, TheSizeIsTheRequestRoundedUpToAPowerOfTwo) {
  EXPECT_EQ(span_ring(1).size(), 1u);
  EXPECT_EQ(span_ring(5).size(), 8u);
  EXPECT_EQ(span_ring(64).size(), 64u);
  EXPECT_EQ(span_ring(2048 + 512 + 64).size(), 4096u);
  EXPECT_TRUE(span_ring(8).valid());
}

TEST(SpanRing, HoldsAtMostItsSizeUntilSpansAreReclaimed) {
  fake_spans f;
  span_ring r(8);
  EXPECT_TRUE(push_n(r, f, 0, 8));
  EXPECT_FALSE(r.has_room(r.tail_for_producer()));
  // Taken and exported is not enough: the slots are free only once reclaimed.
  EXPECT_EQ(take_all(r, f).size(), 8u);
  EXPECT_EQ(r.finish_taken(), 8u);
  EXPECT_FALSE(r.has_room(r.tail_for_producer()));
  EXPECT_EQ(reclaim_upto(r, f, 3).size(), 3u);
  EXPECT_TRUE(push_n(r, f, 8, 3));
  EXPECT_FALSE(r.has_room(r.tail_for_producer()));
}

TEST(SpanRing, TakesSpansInTheOrderTheyWerePushedAndAtMostTheLimit) {
  fake_spans f;
  span_ring r(16);
  ASSERT_TRUE(push_n(r, f, 100, 10));
  EXPECT_EQ(r.queued(), 10u);
  EXPECT_EQ(take_all(r, f, 4), (std::vector<std::uint64_t>{100, 101, 102, 103}));
  EXPECT_EQ(r.queued(), 6u);
  EXPECT_EQ(take_all(r, f), (std::vector<std::uint64_t>{104, 105, 106, 107, 108, 109}));
  EXPECT_EQ(r.queued(), 0u);
  EXPECT_TRUE(take_all(r, f).empty());
}

TEST(SpanRing, KeepsOrderAcrossManyWrapArounds) {
  fake_spans f;
  span_ring r(8);
  std::uint64_t next_push = 0;
  std::uint64_t next_expected = 0;
  for (int round = 0; round < 100; ++round) {
    const std::uint64_t n = 1 + static_cast<std::uint64_t>(round % 8);
    ASSERT_TRUE(push_n(r, f, next_push, n)) << "round " << round;
    next_push += n;
    for (std::uint64_t i : take_all(r, f)) EXPECT_EQ(i, next_expected++);
    const std::uint64_t done = r.finish_taken();
    EXPECT_EQ(reclaim_upto(r, f, done).size(), n);  // every exported span, once
    EXPECT_EQ(r.reclaimed(), done);
  }
  EXPECT_EQ(next_expected, next_push);
  EXPECT_GT(r.tail(), 8u * 40);
}

TEST(SpanRing, ReclaimHandsOutEachExportedSpanOnceAndStopsAtTheMark) {
  fake_spans f;
  span_ring r(256);
  ASSERT_TRUE(push_n(r, f, 0, 200));
  (void)take_all(r, f, 150);
  EXPECT_EQ(r.finish_taken(), 150u);
  std::vector<std::uint64_t> got = reclaim_upto(r, f, 100);
  ASSERT_EQ(got.size(), 100u);  // two rounds of at most 64
  for (std::uint64_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], i);
  EXPECT_TRUE(reclaim_upto(r, f, 100).empty());  // nothing twice
  got = reclaim_upto(r, f, r.done());
  ASSERT_EQ(got.size(), 50u);
  EXPECT_EQ(got.front(), 100u);
  EXPECT_EQ(r.reclaimed(), 150u);
}

TEST(SpanRing, SkippingQueuedSpansMarksThemExportedForReclaim) {
  fake_spans f;
  span_ring r(16);
  ASSERT_TRUE(push_n(r, f, 0, 5));
  EXPECT_EQ(r.skip_queued(), 5u);
  EXPECT_EQ(r.skip_queued(), 0u);
  EXPECT_EQ(r.queued(), 0u);
  EXPECT_EQ(r.done(), 5u);
  EXPECT_EQ(reclaim_upto(r, f, r.done()).size(), 5u);
}

TEST(SpanRing, ConcurrentReclaimersReleaseEverySpanExactlyOnce) {
  static fake_spans f;
  span_ring r(4096);
  constexpr std::uint64_t total = 4000;
  ASSERT_TRUE(push_n(r, f, 0, total));
  (void)take_all(r, f);
  (void)r.finish_taken();
  std::vector<std::atomic<int>> seen(4096);
  auto reclaimer = [&] {
    for (std::uint64_t upto = 0; upto <= total; upto += 7) {
      r.reclaim(upto, [&](recording_span* const* s, std::uint64_t n) {
        for (std::uint64_t i = 0; i < n; ++i) seen[f.index(s[i])].fetch_add(1);
      });
    }
    r.reclaim(total, [&](recording_span* const* s, std::uint64_t n) {
      for (std::uint64_t i = 0; i < n; ++i) seen[f.index(s[i])].fetch_add(1);
    });
  };
  std::thread a(reclaimer), b(reclaimer);
  a.join();
  b.join();
  for (std::uint64_t i = 0; i < total; ++i) ASSERT_EQ(seen[i].load(), 1) << "span " << i;
  EXPECT_EQ(r.reclaimed(), total);
}

}  // namespace
}  // namespace ctxflow::sdk::detail
