// SPDX-License-Identifier: Apache-2.0
// The simple processor (R7.19, R7.22) and the fan-out processor (R7.17).
#include "ctxflow/sdk/span_processor.hpp"

#include <gtest/gtest.h>

#include "ctxflow/testing/diagnostics_capture.hpp"
#include "sdk/test_exporter.hpp"

namespace ctxflow::sdk {
namespace {

struct simple_fixture {
  std::shared_ptr<test::recorded> rec = std::make_shared<test::recorded>();
  test::recording_exporter* exporter = nullptr;
  simple_span_processor* processor = nullptr;
  std::shared_ptr<tracer_provider> provider;
  trace::tracer tracer;
  simple_fixture() {
    auto e = std::make_unique<test::recording_exporter>(rec);
    exporter = e.get();
    auto p = std::make_unique<simple_span_processor>(std::move(e));
    processor = p.get();
    tracer_provider_options o;
    o.processors.push_back(std::move(p));
    provider = std::make_shared<tracer_provider>(std::move(o));
    tracer = provider->get_tracer("t");
  }
};

TEST(SimpleProcessor, ExportsEachSpanWhenItEndsInOrder) {  // R7.19
  simple_fixture f;
  f.tracer.start_span("one").end();
  EXPECT_EQ(f.rec->size(), 1u);
  f.tracer.start_span("two").end();
  const auto spans = f.rec->snapshot();
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0].name, "one");
  EXPECT_EQ(spans[1].name, "two");
  EXPECT_EQ(f.processor->stats().exported, 2u);
}

TEST(SimpleProcessor, CountsAndReportsFailedExports) {  // R7.24, R7.26
  testing::diagnostics_capture cap;
  simple_fixture f;
  f.exporter->fail = true;
  f.tracer.start_span("x").end();
  EXPECT_EQ(f.processor->stats().export_failed, 1u);
  EXPECT_EQ(cap.count("sdk.export.failed"), 1u);
}

TEST(SimpleProcessor, AfterShutdownSpansAreCountedAndNotExported) {  // R7.22, R7.26
  simple_fixture f;
  auto s = f.tracer.start_span("late");
  EXPECT_TRUE(f.processor->shutdown(std::chrono::milliseconds(100)));
  EXPECT_FALSE(f.processor->shutdown(std::chrono::milliseconds(100)));  // once only
  s.end();
  EXPECT_EQ(f.rec->size(), 0u);
  EXPECT_EQ(f.processor->stats().dropped_after_shutdown, 1u);
  EXPECT_EQ(f.rec->shutdowns, 1);
  EXPECT_FALSE(f.processor->force_flush(std::chrono::milliseconds(10)));
}

TEST(MultiProcessor, CallsChildrenInRegistrationOrder) {  // R7.17
  std::vector<int> order;
  class tagging final : public span_processor {
   public:
    tagging(std::vector<int>& o, int tag) : order_(o), tag_(tag) {}
    void on_end(recording_span&) override { order_.push_back(tag_); }

   private:
    std::vector<int>& order_;
    int tag_;
  };
  std::vector<std::unique_ptr<span_processor>> children;
  children.push_back(std::make_unique<tagging>(order, 1));
  children.push_back(std::make_unique<tagging>(order, 2));
  auto m = std::make_unique<multi_span_processor>(std::move(children));
  m->add(std::make_unique<tagging>(order, 3));
  EXPECT_EQ(m->size(), 3u);
  tracer_provider_options o;
  o.processors.push_back(std::move(m));
  tracer_provider p(std::move(o));
  p.get_tracer("t").start_span("s").end();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

}  // namespace
}  // namespace ctxflow::sdk
