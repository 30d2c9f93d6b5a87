// SPDX-License-Identifier: Apache-2.0
// Span cost: start+end with the simple and batch processors, attributes, active parent + child,
// nesting, two threads on one batch processor (throughput and drops), and the no-op API.
// Allocations on the calling thread are counted by alloc_counter.hpp (allocs/iter counter).
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <new>

#include "alloc_counter.hpp"
#include "ctxflow/sdk/batch_span_processor.hpp"
#include "ctxflow/sdk/span_processor.hpp"
#include "ctxflow/sdk/tracer_provider.hpp"
#include "ctxflow/trace/provider.hpp"
#include "ctxflow/trace/tracer.hpp"


namespace {

using namespace ctxflow;

// Accepts and discards every batch.
class null_exporter final : public sdk::span_exporter {
 public:
  sdk::export_result export_spans(std::span<const sdk::span_data* const> batch) noexcept override {
    benchmark::DoNotOptimize(batch.data());
    return sdk::export_result::success;
  }
};

// Reads what an encoder reads of every span (ids, name, times, attribute and event counts,
// status), so the spans' cache lines go to the export thread's core as with a real exporter.
class reading_exporter final : public sdk::span_exporter {
 public:
  sdk::export_result export_spans(std::span<const sdk::span_data* const> batch) noexcept override {
    std::uint64_t sum = 0;
    for (const sdk::span_data* d : batch) {
      sum += d->context.trace.bytes[0] + d->context.span.bytes[0] + d->parent_span_id.bytes[0];
      sum += d->name.size() + static_cast<unsigned char>(d->name.empty() ? 0 : d->name[0]);
      sum += d->start_time_unix_nano + d->end_time_unix_nano;
      sum += d->attributes.size() + d->events.size() + d->links.size();
      sum += static_cast<std::uint64_t>(d->status.code);
    }
    benchmark::DoNotOptimize(sum);
    return sdk::export_result::success;
  }
};

struct batch_setup {
  sdk::batch_span_processor* processor = nullptr;
  std::shared_ptr<sdk::tracer_provider> provider;
  trace::tracer tracer;

  explicit batch_setup(std::size_t queue = 2048, bool read = false) {
    sdk::batch_options o;
    o.max_queue_size = queue;
    std::unique_ptr<sdk::span_exporter> exporter;
    if (read) {
      exporter = std::make_unique<reading_exporter>();
    } else {
      exporter = std::make_unique<null_exporter>();
    }
    auto p = std::make_unique<sdk::batch_span_processor>(std::move(exporter), o);
    processor = p.get();
    sdk::tracer_provider_options opts;
    opts.processors.push_back(std::move(p));
    provider = std::make_shared<sdk::tracer_provider>(std::move(opts));
    tracer = provider->get_tracer("bench");
  }
};

struct simple_setup {
  std::shared_ptr<sdk::tracer_provider> provider;
  trace::tracer tracer;
  simple_setup() {
    sdk::tracer_provider_options opts;
    opts.processors.push_back(
        std::make_unique<sdk::simple_span_processor>(std::make_unique<null_exporter>()));
    provider = std::make_shared<sdk::tracer_provider>(std::move(opts));
    tracer = provider->get_tracer("bench");
  }
};

using bench::report_allocs;

void BM_span_start_end_simple(benchmark::State& state) {
  simple_setup s;
  const std::uint64_t before = bench::thread_allocations;
  for (auto _ : state) {
    trace::span sp = s.tracer.start_span("operation");
    sp.end();
  }
  report_allocs(state, before);
}
BENCHMARK(BM_span_start_end_simple);

// The budget is for spans the processor accepts. A dropped span (queue full because the export
// thread did not get a core in time) is cheaper, so `accepted` and `dropped` show which path
// the time describes; a run with many drops measured a starved export thread, not the SDK.
void start_end_batch(benchmark::State& state, bool exporter_reads) {
  batch_setup s(2048, exporter_reads);
  const sdk::processor_stats st0 = s.processor->stats();
  const std::uint64_t before = bench::thread_allocations;
  for (auto _ : state) {
    trace::span sp = s.tracer.start_span("operation");
    sp.end();
  }
  report_allocs(state, before);
  const sdk::processor_stats st = s.processor->stats();
  state.counters["accepted"] = static_cast<double>(st.accepted - st0.accepted);
  state.counters["dropped"] = static_cast<double>(st.dropped_queue_full - st0.dropped_queue_full);
}

void BM_span_start_end_batch(benchmark::State& state) { start_end_batch(state, false); }
BENCHMARK(BM_span_start_end_batch);

// The same with an exporter that reads every span: a span object comes back to the producer
// from a core that read it, as it does behind a real exporter.
void BM_span_start_end_batch_read_by_exporter(benchmark::State& state) {
  start_end_batch(state, true);
}
BENCHMARK(BM_span_start_end_batch_read_by_exporter);

void BM_span_with_4_attributes(benchmark::State& state) {
  batch_setup s;
  const std::uint64_t before = bench::thread_allocations;
  for (auto _ : state) {
    trace::span sp = s.tracer.start_span("operation");
    sp.set_attribute("http.method", "GET");
    sp.set_attribute("http.status", 200);
    sp.set_attribute("ratio", 0.5);
    sp.set_attribute("cached", true);
    sp.end();
  }
  report_allocs(state, before);
}
BENCHMARK(BM_span_with_4_attributes);

void BM_active_parent_child(benchmark::State& state) {
  batch_setup s;
  const std::uint64_t before = bench::thread_allocations;
  for (auto _ : state) {
    auto parent = s.tracer.start_as_current_span("parent");
    trace::span child = s.tracer.start_span("child");
    child.end();
  }
  report_allocs(state, before);
}
BENCHMARK(BM_active_parent_child);

void BM_nested_depth3(benchmark::State& state) {
  batch_setup s;
  const std::uint64_t before = bench::thread_allocations;
  for (auto _ : state) {
    auto a = s.tracer.start_as_current_span("a");
    auto b = s.tracer.start_as_current_span("b");
    auto c = s.tracer.start_as_current_span("c");
  }
  report_allocs(state, before);
}
BENCHMARK(BM_nested_depth3);

batch_setup* shared_batch = nullptr;

void BM_span_batch_2threads(benchmark::State& state) {
  if (state.thread_index() == 0) shared_batch = new batch_setup(1 << 16);
  // The loop start is a barrier for all threads: thread 0's setup is complete here.
  const std::uint64_t allocs_before = bench::thread_allocations;
  const trace::tracer tracer = [&] {
    for (auto _ : state) {
      trace::span sp = shared_batch->tracer.start_span("operation");
      sp.end();
    }
    return trace::tracer();
  }();
  (void)tracer;
  state.SetItemsProcessed(state.iterations());
  // Each thread's own allocations; the threads' counters are summed, then divided by all
  // iterations: allocations per span.
  state.counters["allocs/iter"] =
      benchmark::Counter(static_cast<double>(bench::thread_allocations - allocs_before),
                         benchmark::Counter::kAvgIterations);
  if (state.thread_index() == 0) {
    const sdk::processor_stats st = shared_batch->processor->stats();
    state.counters["dropped"] = static_cast<double>(st.dropped_queue_full);
    state.counters["accepted"] = static_cast<double>(st.accepted);
    delete shared_batch;
    shared_batch = nullptr;
  }
}
BENCHMARK(BM_span_batch_2threads)->Threads(1)->Threads(2)->UseRealTime();

// The same two threads with a processor that does nothing: how far span creation itself scales
// on this machine, the ceiling for BM_span_batch_2threads.
struct discard_processor final : sdk::span_processor {
  void on_end(sdk::recording_span&) noexcept override {}
  bool force_flush(std::chrono::milliseconds) noexcept override { return true; }
  bool shutdown(std::chrono::milliseconds) noexcept override { return true; }
};
struct discard_setup {
  std::shared_ptr<sdk::tracer_provider> provider;
  trace::tracer tracer;
  discard_setup() {
    sdk::tracer_provider_options opts;
    opts.processors.push_back(std::make_unique<discard_processor>());
    provider = std::make_shared<sdk::tracer_provider>(std::move(opts));
    tracer = provider->get_tracer("bench");
  }
};
discard_setup* shared_discard = nullptr;

void BM_span_2threads_no_processor(benchmark::State& state) {
  if (state.thread_index() == 0) shared_discard = new discard_setup();
  for (auto _ : state) {
    trace::span sp = shared_discard->tracer.start_span("operation");
    sp.end();
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    delete shared_discard;
    shared_discard = nullptr;
  }
}
BENCHMARK(BM_span_2threads_no_processor)->Threads(1)->Threads(2)->UseRealTime();

void BM_noop_span(benchmark::State& state) {
  const trace::tracer tracer;  // no SDK: the no-op tracer
  const std::uint64_t before = bench::thread_allocations;
  for (auto _ : state) {
    trace::span sp = tracer.start_span("operation");
    sp.end();
  }
  report_allocs(state, before);
}
BENCHMARK(BM_noop_span);

}  // namespace
