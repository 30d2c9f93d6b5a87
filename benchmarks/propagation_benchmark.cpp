// SPDX-License-Identifier: Apache-2.0
// Propagator costs against their budgets (benchmarks/README.md): traceparent extract
// (<= 40 ns) and inject (<= 30 ns), extract with a 2-entry tracestate (<= 150 ns), baggage
// extract with 10 entries (<= 500 ns), and the invalid-input path. The carrier is a realistic
// small header list.
#include <benchmark/benchmark.h>

#include <string>
#include <utility>
#include <vector>

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/propagation/w3c_baggage.hpp"
#include "ctxflow/propagation/w3c_trace_context.hpp"
#include "ctxflow/trace/span.hpp"
#include "alloc_counter.hpp"

namespace {

using headers = std::vector<std::pair<std::string, std::string>>;
using namespace ctxflow;

const std::string traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

headers request_headers() {
  return {{"host", "api.example.com"},
          {"user-agent", "ctxflow-bench/1.0"},
          {"accept", "application/json"},
          {"content-type", "application/json"},
          {"traceparent", traceparent}};
}

// The timed loop of the extract benchmarks: extracts `h` into an empty context once per
// iteration.
template <class Propagator>
void extract_every_iteration(benchmark::State& state, const Propagator& prop, const headers& h) {
  const context base;
  for (auto _ : state) {
    context ctx = propagation::extract(prop, base, h);
    benchmark::DoNotOptimize(ctx);
  }
}

void BM_traceparent_extract(benchmark::State& state) {
  bench::alloc_scope allocs(state);
  const propagation::w3c_trace_context_propagator prop;
  const headers h = request_headers();
  extract_every_iteration(state, prop, h);
}
BENCHMARK(BM_traceparent_extract);

void BM_traceparent_inject(benchmark::State& state) {
  bench::alloc_scope allocs(state);
  const propagation::w3c_trace_context_propagator prop;
  trace::span_context sc;
  sc.trace = trace::trace_id::from_hex("0af7651916cd43dd8448eb211c80319c");
  sc.span = trace::span_id::from_hex("b7ad6b7169203331");
  sc.flags.value = 1;
  const context ctx = trace::context_with_remote_parent(context(), sc);
  headers h = request_headers();  // re-injecting replaces the existing field in place
  for (auto _ : state) {
    propagation::inject(prop, ctx, h);
    benchmark::DoNotOptimize(h.data());
  }
}
BENCHMARK(BM_traceparent_inject);

void BM_extract_with_tracestate(benchmark::State& state) {
  bench::alloc_scope allocs(state);
  const propagation::w3c_trace_context_propagator prop;
  headers h = request_headers();
  h.emplace_back("tracestate", "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
  extract_every_iteration(state, prop, h);
}
BENCHMARK(BM_extract_with_tracestate);

void BM_baggage_extract_10(benchmark::State& state) {
  bench::alloc_scope allocs(state);
  const propagation::w3c_baggage_propagator prop;
  headers h = request_headers();
  h.emplace_back("baggage",
                 "userId=alice,serverNode=DF%2028,isProduction=false,tenant=acme,region=eu-west-1,"
                 "plan=gold,session=6f1c2a9e,feature=new-checkout,requestClass=interactive,"
                 "origin=web;ttl=30");
  extract_every_iteration(state, prop, h);
}
BENCHMARK(BM_baggage_extract_10);

// The kinds of malformed traceparent a peer sends (goal: each rejected faster than a valid one is
// accepted, BM_traceparent_extract). Each has the size of a valid value but the first.
const std::string invalid_traceparents[] = {
    "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",       // wrong shape (no flags)
    "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",    // bad hex (uppercase)
    "00-00000000000000000000000000000000-b7ad6b7169203331-01",    // all-zero trace id
    "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",    // version ff
};

// Malformed input takes the reporting path; a no-op handler keeps stderr quiet. Past the first
// 100 reports of each second the rate limit counts them without formatting.
class quiet_diagnostics {
 public:
  quiet_diagnostics() : previous_(set_diagnostics_handler([](const diagnostic&) {})) {}
  ~quiet_diagnostics() { set_diagnostics_handler(std::move(previous_)); }

 private:
  diagnostics_handler previous_;
};

// Rotates through the four kinds.
void BM_extract_invalid(benchmark::State& state) {
  bench::alloc_scope allocs(state);
  quiet_diagnostics quiet;
  const propagation::w3c_trace_context_propagator prop;
  headers carriers[4];
  for (int i = 0; i < 4; ++i) {
    carriers[i] = request_headers();
    carriers[i].back().second = invalid_traceparents[i];
  }
  const context base;
  unsigned i = 0;
  for (auto _ : state) {
    context ctx = propagation::extract(prop, base, carriers[i++ & 3]);
    benchmark::DoNotOptimize(ctx);
  }
}
BENCHMARK(BM_extract_invalid);

// One kind each: 0 wrong shape, 1 bad hex, 2 zero trace id, 3 version ff.
void BM_extract_invalid_kind(benchmark::State& state) {
  bench::alloc_scope allocs(state);
  quiet_diagnostics quiet;
  const propagation::w3c_trace_context_propagator prop;
  headers h = request_headers();
  h.back().second = invalid_traceparents[state.range(0)];
  extract_every_iteration(state, prop, h);
}
BENCHMARK(BM_extract_invalid_kind)->DenseRange(0, 3);

// A valid traceparent with a tracestate as long as BM_extract_with_tracestate's whose first key
// is not lowercase: the tracestate is dropped (and reported), the traceparent kept.
void BM_extract_invalid_tracestate(benchmark::State& state) {
  bench::alloc_scope allocs(state);
  quiet_diagnostics quiet;
  const propagation::w3c_trace_context_propagator prop;
  headers h = request_headers();
  h.emplace_back("tracestate", "Rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
  extract_every_iteration(state, prop, h);
}
BENCHMARK(BM_extract_invalid_tracestate);

// BM_baggage_extract_10's header with ':' for '=': ten invalid members of the same size, all
// dropped (and reported); the context stays as it was.
void BM_baggage_extract_invalid_10(benchmark::State& state) {
  bench::alloc_scope allocs(state);
  quiet_diagnostics quiet;
  const propagation::w3c_baggage_propagator prop;
  headers h = request_headers();
  h.emplace_back("baggage",
                 "userId:alice,serverNode:DF%2028,isProduction:false,tenant:acme,region:eu-west-1,"
                 "plan:gold,session:6f1c2a9e,feature:new-checkout,requestClass:interactive,"
                 "origin:web;ttl=30");
  extract_every_iteration(state, prop, h);
}
BENCHMARK(BM_baggage_extract_invalid_10);

// What a report costs while the rate limit suppresses reports (a flood of bad input): the check
// callers make before formatting anything.
void BM_report_suppressed(benchmark::State& state) {
  quiet_diagnostics quiet;
  for (int i = 0; i < 1000; ++i) report(severity::debug, "bench.flood", "fill the window");
  for (auto _ : state) {
    reportf(severity::debug, "bench.flood", "value %d", 1);
  }
}
BENCHMARK(BM_report_suppressed);

// Breakdown of extract: the parser alone, the carrier lookup alone, and storing the remote
// parent in a context alone. Their sum is roughly BM_traceparent_extract.
void BM_parse_traceparent(benchmark::State& state) {
  for (auto _ : state) {
    auto sc = propagation::parse_traceparent(traceparent);
    benchmark::DoNotOptimize(sc);
  }
}
BENCHMARK(BM_parse_traceparent);

void BM_carrier_lookup(benchmark::State& state) {
  const headers h = request_headers();
  const propagation::getter_ref<headers> g(h);
  const propagation::carrier_getter& getter = g;
  for (auto _ : state) {
    std::string_view found;
    auto take = [&](std::string_view v) noexcept {
      found = v;
      return true;
    };
    getter.get_all(propagation::w3c_trace_context_propagator::traceparent_header, take);
    getter.get_all(propagation::w3c_trace_context_propagator::tracestate_header, take);
    benchmark::DoNotOptimize(found);
  }
}
BENCHMARK(BM_carrier_lookup);

void BM_context_with_remote_parent(benchmark::State& state) {
  bench::alloc_scope allocs(state);
  const trace::span_context sc = *propagation::parse_traceparent(traceparent);
  const context base;
  for (auto _ : state) {
    context ctx = trace::context_with_remote_parent(base, sc);
    benchmark::DoNotOptimize(ctx);
  }
}
BENCHMARK(BM_context_with_remote_parent);

}  // namespace
