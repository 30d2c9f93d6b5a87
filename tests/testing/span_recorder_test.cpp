// SPDX-License-Identifier: Apache-2.0
// span_recorder: records real SDK spans through the global provider for its lifetime and puts
// the previous provider back (docs/usage/testing.md; R7.19 simple processor, R1.8/R1.9 parents).
#include "ctxflow/testing/span_recorder.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <thread>

#include "ctxflow/exec/bind_context.hpp"
#include "ctxflow/propagation/b3.hpp"
#include "ctxflow/propagation/baggage.hpp"
#include "ctxflow/propagation/composite.hpp"
#include "ctxflow/propagation/global.hpp"
#include "ctxflow/testing/context_leak_checker.hpp"
#include "ctxflow/testing/diagnostics_capture.hpp"
#include "ctxflow/testing/gtest.hpp"
#include "ctxflow/trace/provider.hpp"

namespace ctxflow::testing {
namespace {

trace::start_options of_kind(trace::span_kind kind) {
  trace::start_options o;
  o.kind = kind;
  return o;
}

void handle_request() {
  const auto tracer = trace::get_tracer("orders");
  auto request = tracer.start_as_current_span("GET /orders", of_kind(trace::span_kind::server));
  request->set_attribute("http.route", "/orders");
  { auto query = tracer.start_as_current_span("SELECT orders", of_kind(trace::span_kind::client)); }
  auto render = tracer.start_as_current_span("render");
}

TEST(SpanRecorder, RecordsSpansFromTheGlobalTracerAsATree) {
  span_recorder recorder;
  context_leak_checker leaks;
  handle_request();
  ASSERT_EQ(recorder.size(), 3u);
  // Ended order: the children first.
  EXPECT_EQ(recorder.spans().front().name, "SELECT orders");
  const trace_tree tree = recorder.tree();
  EXPECT_TRACE(tree.all_in_one_trace());
  EXPECT_TRACE(tree.no_orphans());
  EXPECT_TRACE(tree.child_of("SELECT orders", "GET /orders"));
  EXPECT_TRACE(tree.child_of("render", "GET /orders"));
  EXPECT_TRACE(tree.count_is("render", 1));
  EXPECT_NE(tree.to_string().find("  GET /orders [server] "), std::string::npos)
      << tree.to_string();
  ASSERT_NO_CONTEXT_LEAK(leaks);
}

TEST(SpanRecorder, AFailedCheckOnRecordedSpansShowsTheTree) {
  span_recorder recorder;
  handle_request();
  const check_result r = recorder.tree().child_of("render", "SELECT orders");
  EXPECT_FALSE(r);
  EXPECT_NE(r.message.find("\"render\" #"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("has parent \"GET /orders\""), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("    SELECT orders [client] "), std::string::npos) << r.message;
}

TEST(SpanRecorder, PutsThePreviousGlobalProviderBack) {
  const auto before = trace::get_tracer_provider();
  {
    span_recorder outer;
    EXPECT_EQ(trace::get_tracer_provider(), outer.provider());
    {
      span_recorder inner;
      EXPECT_EQ(trace::get_tracer_provider(), inner.provider());
      auto s = trace::get_tracer("t").start_as_current_span("inner only");
    }
    EXPECT_EQ(trace::get_tracer_provider(), outer.provider());
    EXPECT_EQ(outer.size(), 0u);  // the inner recorder got that span
    auto s = trace::get_tracer("t").start_as_current_span("outer");
  }
  EXPECT_EQ(trace::get_tracer_provider(), before);
  EXPECT_FALSE(trace::get_tracer("t").start_span("after").is_recording());
}

TEST(SpanRecorder, ClearForgetsRecordedSpans) {
  span_recorder recorder;
  handle_request();
  recorder.clear();
  EXPECT_EQ(recorder.size(), 0u);
  EXPECT_TRUE(recorder.tree().empty());
  { auto s = recorder.tracer().start_as_current_span("again"); }
  EXPECT_TRACE(recorder.tree().has_span("again"));
}

TEST(SpanRecorder, CanRecordWithoutBecomingGlobal) {
  const auto before = trace::get_tracer_provider();
  span_recorder recorder({.install_global = false});
  EXPECT_EQ(trace::get_tracer_provider(), before);
  { auto s = recorder.tracer("local").start_as_current_span("local span"); }
  EXPECT_EQ(recorder.size(), 1u);
  EXPECT_EQ(recorder.spans()[0].scope_ptr->name, "local");
}

TEST(SpanRecorder, ACapacityKeepsOnlyTheNewestSpans) {
  diagnostics_capture diags;
  span_recorder recorder({.capacity = 2});
  for (const char* name : {"a", "b", "c"}) recorder.tracer().start_span(name).end();
  ASSERT_EQ(recorder.size(), 2u);
  EXPECT_EQ(recorder.spans()[0].name, "b");
  EXPECT_EQ(recorder.store()->dropped(), 1u);
  EXPECT_EQ(diags.count("exporters.memory.overflow"), 1u);
}

using headers = std::map<std::string, std::string>;

// A client span injects through the global propagator; the "server" extracts and starts its
// span under the extracted context, as an HTTP hop does.
void call_over_a_hop() {
  const auto tracer = trace::get_tracer("shop");
  headers wire;
  {
    auto client = tracer.start_as_current_span("POST /pay", of_kind(trace::span_kind::client));
    propagation::inject(wire);
  }
  const context remote = propagation::extract(wire, context());
  trace::start_options o = of_kind(trace::span_kind::server);
  o.parent = remote;
  tracer.start_span("handle /pay", o).end();
}

// Restores the global propagator after a test that replaces it.
struct propagator_guard {
  std::shared_ptr<const propagation::text_map_propagator> saved = propagation::global_propagator();
  ~propagator_guard() { propagation::set_global_propagator(saved); }
};

TEST(SpanRecorder, AnInjectExtractHopThroughTheGlobalPropagatorStaysInOneTrace) {
  propagator_guard guard;
  propagation::set_global_propagator(nullptr);  // as in a test program that never called init()
  span_recorder recorder;
  call_over_a_hop();
  ASSERT_EQ(recorder.size(), 2u);
  const trace_tree tree = recorder.tree();
  EXPECT_TRACE(tree.all_in_one_trace());
  EXPECT_TRACE(tree.child_of("handle /pay", "POST /pay"));
}

TEST(SpanRecorder, InstallsTraceContextThenBaggageAsTheGlobalPropagator) {
  span_recorder recorder;
  const auto p = propagation::global_propagator();
  const auto* c = dynamic_cast<const propagation::composite_propagator*>(p.get());
  ASSERT_NE(c, nullptr) << p->name();
  ASSERT_EQ(c->injectors().size(), 2u);
  EXPECT_EQ(c->injectors()[0]->name(), "tracecontext");
  EXPECT_EQ(c->injectors()[1]->name(), "baggage");
  // Baggage crosses the hop too.
  const context with_bag =
      propagation::with_baggage(context(), propagation::baggage().set("tenant", "acme"));
  headers wire;
  propagation::inject(wire, with_bag);
  const context out = propagation::extract(wire, context());
  EXPECT_EQ(propagation::baggage::from(out).get("tenant"), std::optional<std::string_view>("acme"));
}

TEST(SpanRecorder, PutsThePreviousGlobalPropagatorBack) {
  propagator_guard guard;
  const auto mine = std::make_shared<const propagation::b3_propagator>();
  propagation::set_global_propagator(mine);
  {
    span_recorder outer;
    EXPECT_NE(propagation::global_propagator(), mine);
    const auto outer_propagator = propagation::global_propagator();
    {
      span_recorder inner;
      EXPECT_NE(propagation::global_propagator(), outer_propagator);
    }
    EXPECT_EQ(propagation::global_propagator(), outer_propagator);
  }
  EXPECT_EQ(propagation::global_propagator(), mine);
}

TEST(SpanRecorder, CanKeepTheCurrentGlobalPropagator) {
  propagator_guard guard;
  propagation::set_global_propagator(nullptr);
  const auto before = propagation::global_propagator();
  {
    span_recorder recorder({.propagator = span_recorder_options::propagator_choice::keep});
    EXPECT_EQ(propagation::global_propagator(), before);
    call_over_a_hop();  // the no-op propagator carries nothing: two traces
    ASSERT_EQ(recorder.size(), 2u);
    EXPECT_FALSE(recorder.tree().all_in_one_trace());
  }
  EXPECT_EQ(propagation::global_propagator(), before);
}

TEST(SpanRecorder, CanInstallAGivenPropagator) {
  propagator_guard guard;
  const auto before = propagation::global_propagator();
  const auto b3 = std::make_shared<const propagation::b3_propagator>();
  {
    span_recorder recorder({.propagator = span_recorder_options::propagator_choice::given,
                            .propagator_ptr = b3});
    EXPECT_EQ(propagation::global_propagator(), b3);
    call_over_a_hop();
    EXPECT_TRACE(recorder.tree().all_in_one_trace());
  }
  EXPECT_EQ(propagation::global_propagator(), before);
}

TEST(SpanRecorder, WithoutBecomingGlobalLeavesThePropagatorAlone) {
  propagator_guard guard;
  propagation::set_global_propagator(nullptr);
  const auto before = propagation::global_propagator();
  span_recorder recorder({.install_global = false});
  EXPECT_EQ(propagation::global_propagator(), before);
}

// A span ended on another thread is recorded as the child of the span current at submission
// (C4 via bind_context); wait_for() covers the hand-over. Runs under TSan.
TEST(SpanRecorderConcurrency, RecordsChildrenEndedOnOtherThreads) {
  span_recorder recorder;
  {
    auto parent = recorder.tracer().start_as_current_span("parent");
    std::thread worker(bind_context(
        [&] { auto child = recorder.tracer().start_as_current_span("worker child"); }));
    worker.join();
  }
  ASSERT_TRUE(recorder.wait_for(2));
  const trace_tree tree = recorder.tree();
  EXPECT_TRACE(tree.child_of("worker child", "parent"));
  EXPECT_TRACE(tree.all_in_one_trace());
}

}  // namespace
}  // namespace ctxflow::testing
