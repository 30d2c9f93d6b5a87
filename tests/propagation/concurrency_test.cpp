// SPDX-License-Identifier: Apache-2.0
// Propagation under concurrency (run under ThreadSanitizer too): the global propagator is
// read and used by many threads while another replaces it (R5.6), and immutable trace_state
// and baggage objects are shared across threads (R3.7, R4.8).
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "ctxflow/propagation/baggage.hpp"
#include "ctxflow/propagation/global.hpp"
#include "ctxflow/propagation/w3c_trace_context.hpp"
#include "propagation/test_support.hpp"

namespace ctxflow::propagation {
namespace {

using testing::headers;

TEST(PropagationConcurrency, TheGlobalPropagatorCanBeReplacedWhileThreadsInjectAndExtract) {
  // R5.6: get/set from any thread; calls in flight keep the propagator they started with
  const auto saved = global_propagator();
  trace::span_context sc = testing::make_span_context();
  sc.state = trace::trace_state::parse("a=1,b=2");
  const context ctx = with_baggage(testing::context_with(sc), baggage().set("k", "v"));
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < 3; ++t) {
    workers.emplace_back([&] {
      while (!stop.load(std::memory_order_relaxed)) {
        headers h;
        inject(h, ctx);
        const context back = extract(h, context());
        const trace::span_context got = trace::span_context_from(back);
        // Either no propagator (nothing written) or one that round-trips the trace id.
        if (!h.empty() && got.valid() && got.trace != sc.trace) bad.fetch_add(1);
      }
    });
  }
  for (int i = 0; i < 2000; ++i) {
    set_global_propagator(i % 2 ? propagator_from_env_value("tracecontext,baggage")
                                : propagator_from_env_value("none"));
  }
  stop = true;
  for (auto& w : workers) w.join();
  set_global_propagator(saved);
  EXPECT_EQ(bad.load(), 0);
}

TEST(PropagationConcurrency, SharedTraceStateAndBaggageAreReadSafelyFromManyThreads) {
  // R3.7, R4.8: immutable values shared between threads
  const trace::trace_state ts = trace::trace_state::parse("a=1,b=2,c=3");
  const baggage b = baggage().set("x", "1").set("y", "2");
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        const trace::trace_state mine = ts.set("t" + std::to_string(t), std::to_string(i));
        if (mine.get("a").value_or("") != "1" || ts.size() != 3) bad.fetch_add(1);
        const baggage bb = b.set("t", std::to_string(i));
        if (bb.get("x").value_or("") != "1" || b.size() != 2) bad.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST(PropagationConcurrency, ExtractedContextsCanBeDroppedOnOtherThreadsWhileThoseExtract) {
  // A request's context is often extracted on one thread and released on another; the memory
  // of extracted contexts is recycled per thread, so it must travel safely between threads,
  // including to threads that outlive the one that made it.
  const w3c_trace_context_propagator prop;
  const headers h{{"traceparent", "00-" + std::string(testing::trace_hex) + "-" +
                                      std::string(testing::span_hex) + "-01"}};
  constexpr int rounds = 100;
  constexpr int per_round = 16;
  std::vector<context> in[2];
  std::vector<context> out[2];
  std::atomic<int> bad{0};
  for (int r = 0; r < rounds; ++r) {
    std::vector<std::thread> workers;
    for (int t = 0; t < 2; ++t) {
      workers.emplace_back([&, t] {
        in[t].clear();  // made by the other worker of the previous round
        for (int i = 0; i < per_round; ++i) {
          out[t].push_back(extract(prop, context(), h));
          if (trace::span_context_from(out[t].back()).trace != testing::make_span_context().trace)
            bad.fetch_add(1);
        }
      });
    }
    for (std::thread& w : workers) w.join();
    in[0] = std::move(out[1]);
    in[1] = std::move(out[0]);
    out[0].clear();
    out[1].clear();
  }
  for (const auto& list : in)
    for (const context& c : list) EXPECT_TRUE(trace::span_context_from(c).remote);
  EXPECT_EQ(bad.load(), 0);
  in[0].clear();  // the last ones are freed on this thread
  in[1].clear();
}

}  // namespace
}  // namespace ctxflow::propagation
