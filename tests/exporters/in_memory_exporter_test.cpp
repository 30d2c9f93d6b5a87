// SPDX-License-Identifier: Apache-2.0
// in_memory_exporter: stores copies, shares its store, bounded capacity, shutdown (R7.24), and
// concurrent export and reads.
#include "ctxflow/exporters/in_memory_exporter.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "ctxflow/sdk/batch_span_processor.hpp"
#include "ctxflow/sdk/tracer_provider.hpp"
#include "ctxflow/testing/diagnostics_capture.hpp"
#include "exporters/span_builder.hpp"

namespace ctxflow::exporters {
namespace {

using test::span_builder;

sdk::export_result export_one(sdk::span_exporter& e, const sdk::span_data& s) {
  const sdk::span_data* batch[] = {&s};
  return e.export_spans(batch);
}

std::vector<std::string> names(const std::vector<sdk::span_data>& spans) {
  std::vector<std::string> out;
  for (const auto& s : spans) out.push_back(s.name);
  return out;
}

TEST(InMemoryExporter, StoresCopiesThatOutliveTheExportedBatch) {
  in_memory_exporter exporter;
  {
    sdk::span_data s =
        span_builder("work", test::trace_a, "00f067aa0ba902b7").attr("n", std::int64_t{3});
    EXPECT_EQ(export_one(exporter, s), sdk::export_result::success);
    s.name = "changed";  // the span_data is only valid during export_spans
  }
  auto spans = exporter.spans();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].name, "work");
  EXPECT_EQ(spans[0].context.span, trace::span_id::from_hex("00f067aa0ba902b7"));
  ASSERT_EQ(spans[0].attributes.size(), 1u);
  EXPECT_EQ(spans[0].attributes[0].value, sdk::attribute_value(std::int64_t{3}));
}

TEST(InMemoryExporter, KeepsSpansInExportOrderAndSkipsNullEntries) {
  in_memory_exporter exporter;
  sdk::span_data a = span_builder("a", test::trace_a, "0000000000000001");
  sdk::span_data b = span_builder("b", test::trace_a, "0000000000000002");
  sdk::span_data c = span_builder("c", test::trace_a, "0000000000000003");
  const sdk::span_data* first[] = {&b, nullptr, &a};
  const sdk::span_data* second[] = {&c};
  EXPECT_EQ(exporter.export_spans(first), sdk::export_result::success);
  EXPECT_EQ(exporter.export_spans(second), sdk::export_result::success);
  EXPECT_EQ(names(exporter.spans()), (std::vector<std::string>{"b", "a", "c"}));
  EXPECT_EQ(exporter.store()->size(), 3u);
}

TEST(InMemoryExporter, ClearRemovesEverySpan) {
  in_memory_exporter exporter;
  sdk::span_data a = span_builder("a", test::trace_a, "0000000000000001");
  export_one(exporter, a);
  exporter.clear();
  EXPECT_TRUE(exporter.spans().empty());
  export_one(exporter, a);
  EXPECT_EQ(exporter.spans().size(), 1u);
}

TEST(InMemoryExporter, TheStoreStaysReadableAfterTheExporterIsGone) {
  std::shared_ptr<in_memory_store> store;
  {
    auto exporter = std::make_unique<in_memory_exporter>();
    store = exporter->store();
    sdk::span_data a = span_builder("a", test::trace_a, "0000000000000001");
    export_one(*exporter, a);
  }
  EXPECT_EQ(names(store->spans()), (std::vector<std::string>{"a"}));
}

TEST(InMemoryExporter, SeveralExportersCanShareOneStore) {
  auto store = std::make_shared<in_memory_store>();
  in_memory_exporter first(store);
  in_memory_exporter second(store);
  sdk::span_data a = span_builder("a", test::trace_a, "0000000000000001");
  sdk::span_data b = span_builder("b", test::trace_a, "0000000000000002");
  export_one(first, a);
  export_one(second, b);
  EXPECT_EQ(names(store->spans()), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(in_memory_exporter(nullptr).store()->size(), 0u);  // a null store gets replaced
}

TEST(InMemoryExporter, ABoundedStoreKeepsTheNewestSpansAndCountsEvictions) {
  testing::diagnostics_capture diags;
  in_memory_exporter exporter(2);
  EXPECT_EQ(exporter.store()->capacity(), 2u);
  for (const char* n : {"a", "b", "c", "d"}) {
    sdk::span_data s = span_builder(n, test::trace_a, "0000000000000001");
    EXPECT_EQ(export_one(exporter, s), sdk::export_result::success);
  }
  EXPECT_EQ(names(exporter.spans()), (std::vector<std::string>{"c", "d"}));
  EXPECT_EQ(exporter.store()->dropped(), 2u);
  EXPECT_EQ(diags.count("exporters.memory.overflow"), 1u);  // reported once, not per span
}

TEST(InMemoryExporter, ExportFailsAfterShutdown) {  // R7.24
  in_memory_exporter exporter;
  sdk::span_data a = span_builder("a", test::trace_a, "0000000000000001");
  EXPECT_TRUE(exporter.force_flush(std::chrono::milliseconds(10)));
  EXPECT_TRUE(exporter.shutdown(std::chrono::milliseconds(10)));
  EXPECT_EQ(export_one(exporter, a), sdk::export_result::failure);
  EXPECT_TRUE(exporter.spans().empty());
}

TEST(InMemoryExporter, WaitForReturnsOnceEnoughSpansArrive) {
  in_memory_exporter exporter;
  EXPECT_FALSE(exporter.store()->wait_for(1, std::chrono::milliseconds(1)));
  std::thread producer([&] {
    sdk::span_data a = span_builder("a", test::trace_a, "0000000000000001");
    export_one(exporter, a);
    export_one(exporter, a);
  });
  EXPECT_TRUE(exporter.store()->wait_for(2, std::chrono::seconds(10)));
  producer.join();
}

// Exports from several threads (several exporters on one store, as with several processors)
// while a reader copies the store: no span is lost or torn. Runs under TSan.
// A processor that only notes that it was destroyed (with the provider that owns it).
struct destruction_probe final : sdk::span_processor {
  explicit destruction_probe(std::atomic<bool>& gone) : gone_(gone) {}
  ~destruction_probe() override { gone_.store(true); }
  destruction_probe(const destruction_probe&) = delete;
  destruction_probe& operator=(const destruction_probe&) = delete;
  void on_end(sdk::recording_span&) noexcept override {}

 private:
  std::atomic<bool>& gone_;
};

// The stored copies own their scope and resource but not the provider, which owns the exporter
// that stored them: otherwise the provider, its processor, the exporter and the copies would
// keep each other alive for good. On a thread of its own, whose exit lets go of the thread's
// lease on the provider and of its retired span.
TEST(InMemoryExporter, TheStoredSpansDoNotKeepTheProviderThatMadeThemAlive) {
  auto store = std::make_shared<in_memory_store>();
  std::atomic<bool> provider_gone{false};
  std::thread([&] {
    sdk::tracer_provider_options o;
    o.processors.push_back(std::make_unique<sdk::batch_span_processor>(
        std::make_unique<in_memory_exporter>(store), sdk::batch_options{}));
    o.processors.push_back(std::make_unique<destruction_probe>(provider_gone));
    sdk::tracer_provider provider(std::move(o));
    provider.get_tracer("scope-a").start_span("kept").end();
    EXPECT_TRUE(provider.force_flush(std::chrono::seconds(5)));
  }).join();
  EXPECT_TRUE(provider_gone.load());
  const std::vector<sdk::span_data> spans = store->spans();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].name, "kept");
  ASSERT_NE(spans[0].scope_ptr, nullptr);
  EXPECT_EQ(spans[0].scope_ptr->name, "scope-a");
  EXPECT_NE(spans[0].resource_ptr, nullptr);
}

TEST(InMemoryExporterConcurrency, ConcurrentExportsAndReadsLoseNothing) {
  constexpr int threads = 4;
  constexpr int per_thread = 500;
  auto store = std::make_shared<in_memory_store>();
  std::atomic<bool> done{false};
  std::thread reader([&] {
    std::size_t last = 0;
    while (!done.load(std::memory_order_acquire)) {
      auto spans = store->spans();
      EXPECT_GE(spans.size(), last);  // never shrinks without clear()
      for (const auto& s : spans) EXPECT_EQ(s.name.size(), 6u);
      last = spans.size();
      (void)store->size();
    }
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < threads; ++t) {
    writers.emplace_back([&, t] {
      in_memory_exporter exporter(store);
      sdk::span_data s =
          span_builder("span-" + std::to_string(t), test::trace_a, "0000000000000001");
      for (int i = 0; i < per_thread; ++i) {
        const sdk::span_data* batch[] = {&s, &s};
        EXPECT_EQ(exporter.export_spans(batch), sdk::export_result::success);
      }
    });
  }
  for (auto& w : writers) w.join();
  done.store(true, std::memory_order_release);
  reader.join();
  auto spans = store->spans();
  ASSERT_EQ(spans.size(), std::size_t{threads * per_thread * 2});
  std::vector<int> per_name(threads, 0);
  for (const auto& s : spans) ++per_name[s.name.back() - '0'];
  for (int n : per_name) EXPECT_EQ(n, per_thread * 2);
}

TEST(InMemoryExporterConcurrency, ABoundedStoreStaysWithinCapacityUnderConcurrentExports) {
  testing::diagnostics_capture diags;
  constexpr std::size_t capacity = 64;
  auto store = std::make_shared<in_memory_store>(capacity);
  std::vector<std::thread> writers;
  for (int t = 0; t < 2; ++t) {
    writers.emplace_back([&] {
      in_memory_exporter exporter(store);
      sdk::span_data s = span_builder("x", test::trace_a, "0000000000000001");
      for (int i = 0; i < 1000; ++i) {
        EXPECT_LE(store->size(), capacity);
        const sdk::span_data* batch[] = {&s};
        exporter.export_spans(batch);
      }
    });
  }
  for (auto& w : writers) w.join();
  EXPECT_EQ(store->size(), capacity);
  EXPECT_EQ(store->dropped(), 2000u - capacity);
}

}  // namespace
}  // namespace ctxflow::exporters
