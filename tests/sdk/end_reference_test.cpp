// SPDX-License-Identifier: Apache-2.0
// A span ended by span_guard or scoped_span hands the guard's reference to the processors
// (recording_span::end_and_release, take_end_reference): the batch queue keeps it instead of
// taking a reference of its own, a processor that does not take it sees the span released
// after on_end, and with several processors only the last one is offered it.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "ctxflow/config.hpp"
#include "ctxflow/context/ref_counted.hpp"
#include "ctxflow/sdk/batch_span_processor.hpp"
#include "ctxflow/sdk/span_processor.hpp"
#include "ctxflow/sdk/tracer_provider.hpp"
#include "ctxflow/trace/span.hpp"
#include "ctxflow/trace/tracer.hpp"
#include "sdk/test_exporter.hpp"

namespace ctxflow::sdk {
namespace {

// Keeps every span it sees until it is shut down, by the handed reference when it gets one. (A
// kept span keeps its provider alive, and the provider owns this processor: spans kept past
// shutdown would keep each other alive for good.)
struct keeping_processor final : span_processor {
  struct kept {
    recording_span* span;
    bool handed;
  };
  std::vector<kept> spans;
  std::vector<std::uint32_t> counts_seen;  // the span's count in on_end, before keeping it
  void on_end(recording_span& span) noexcept override {
    counts_seen.push_back(span.use_count());
    const bool handed = span.take_end_reference();
    if (!handed) span.add_ref();
    spans.push_back({&span, handed});
  }
  bool shutdown(std::chrono::milliseconds) noexcept override {
    for (const kept& k : spans) k.span->release();
    spans.clear();
    return true;
  }
};

#if CTXFLOW_COUNT_REFCOUNT_OPS
std::uint64_t span_rmws() {
  const ctxflow::detail::refcount_rmw_counts c = ctxflow::detail::refcount_rmws();
  return c.all - c.context_nodes;
}
#define CTXFLOW_REQUIRE_COUNTING_BUILD() (void)0
#else
std::uint64_t span_rmws() { return 0; }
#define CTXFLOW_REQUIRE_COUNTING_BUILD() \
  GTEST_SKIP() << "needs a build with -DCTXFLOW_COUNT_REFCOUNT_OPS=ON (the asan preset)"
#endif

struct keeping_pipeline {
  std::vector<keeping_processor*> keepers;
  std::shared_ptr<tracer_provider> provider;
  trace::tracer tracer;
  explicit keeping_pipeline(int n) {
    tracer_provider_options o;
    for (int i = 0; i < n; ++i) {
      auto p = std::make_unique<keeping_processor>();
      keepers.push_back(p.get());
      o.processors.push_back(std::move(p));
    }
    provider = std::make_shared<tracer_provider>(std::move(o));
    tracer = provider->get_tracer("t");
  }
};

TEST(EndReference, AGuardOrAScopeHandsItsReferenceToTheProcessorThatKeepsTheSpan) {
  keeping_pipeline f(1);
  { trace::span_guard g{f.tracer.start_span("guarded")}; }
  { auto s = f.tracer.start_as_current_span("scoped"); }
  f.tracer.start_span("plain").end();
  const keeping_processor& k = *f.keepers[0];
  ASSERT_EQ(k.spans.size(), 3u);
  EXPECT_TRUE(k.spans[0].handed);
  EXPECT_TRUE(k.spans[1].handed);
  EXPECT_FALSE(k.spans[2].handed);  // a plain end(): the handle keeps its own reference
  // The guard's only reference; the scope's and its context's; the plain handle's.
  EXPECT_EQ(k.counts_seen, (std::vector<std::uint32_t>{1, 2, 1}));
  for (const auto& kept : k.spans) {
    EXPECT_EQ(kept.span->use_count(), 1u);  // the processor's alone, and the span is intact
    EXPECT_TRUE(kept.span->ended());
  }
  EXPECT_EQ(k.spans[0].span->data().name, "guarded");
  EXPECT_EQ(k.spans[1].span->data().name, "scoped");
}

TEST(EndReference, WithSeveralProcessorsOnlyTheLastIsOfferedTheReference) {
  keeping_pipeline f(3);
  { trace::span_guard g{f.tracer.start_span("guarded")}; }
  ASSERT_EQ(f.keepers[2]->spans.size(), 1u);
  EXPECT_FALSE(f.keepers[0]->spans.at(0).handed);
  EXPECT_FALSE(f.keepers[1]->spans.at(0).handed);
  EXPECT_TRUE(f.keepers[2]->spans.at(0).handed);
  EXPECT_EQ(f.keepers[2]->spans[0].span->use_count(), 3u);  // one per processor
}

TEST(EndReference, AReferenceNoProcessorTakesIsReleasedAfterOnEnd) {
  test::simple_pipeline p;
  trace::span keep = p.tracer.start_span("guarded");
  { trace::span_guard g{keep}; }
  EXPECT_EQ(keep.get()->use_count(), 1u);
  EXPECT_FALSE(keep.is_recording());
  ASSERT_EQ(p.rec->size(), 1u);
  EXPECT_EQ(p.rec->snapshot()[0].name, "guarded");
  { trace::span_guard g{keep}; }  // a second end records nothing and still releases
  EXPECT_EQ(keep.get()->use_count(), 1u);
  EXPECT_EQ(p.rec->size(), 1u);
}

TEST(EndReference, TheBatchQueueKeepsTheHandedReferenceAndExportsTheSpan) {
  auto rec = std::make_shared<test::recorded>();
  batch_options o;
  o.schedule_delay = std::chrono::milliseconds(60000);
  test::batch_pipeline p(std::make_unique<test::recording_exporter>(rec), o);
  trace::span keep = p.tracer.start_span("guarded");
  { trace::span_guard g{keep}; }
  EXPECT_EQ(keep.get()->use_count(), 2u);  // ours and the queue's, which was the guard's
  { auto s = p.tracer.start_as_current_span("scoped"); }
  ASSERT_TRUE(p.processor->force_flush(std::chrono::milliseconds(5000)));
  const auto spans = rec->snapshot();
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0].name, "guarded");
  EXPECT_EQ(spans[1].name, "scoped");
  EXPECT_EQ(p.processor->stats().accepted, 2u);
}

TEST(EndReference, AGuardedSpanReachesTheBatchQueueWithoutAReadModifyWriteOnItsCount) {
  CTXFLOW_REQUIRE_COUNTING_BUILD();
  test::batch_pipeline p(std::make_unique<test::recording_exporter>(std::make_shared<test::recorded>()),
                         batch_options{});
  { trace::span_guard g{p.tracer.start_span("warm-up")}; }  // makes the thread's shard
  const std::uint64_t before = span_rmws();
  for (int i = 0; i < 10; ++i) {
    trace::span_guard g{p.tracer.start_span("guarded")};
  }
  EXPECT_EQ(span_rmws() - before, 0u);
  // A scoped span: its context's reference is taken and given back (2); the scope's own goes
  // to the queue.
  const std::uint64_t scoped_before = span_rmws();
  { auto s = p.tracer.start_as_current_span("scoped"); }
  EXPECT_EQ(span_rmws() - scoped_before, 2u);
}

}  // namespace
}  // namespace ctxflow::sdk
