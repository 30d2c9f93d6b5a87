// SPDX-License-Identifier: Apache-2.0
// The SDK tracer provider: tracers per scope (R7.8b), shutdown/flush (R7.23), enabled (R7.25),
// recording vs sampled (R7.16), and the guards around samplers and processors (R1.12).
#include "ctxflow/sdk/tracer_provider.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "ctxflow/testing/diagnostics_capture.hpp"
#include "sdk/test_exporter.hpp"

namespace ctxflow::sdk {
namespace {

// Counts calls; optionally throws from on_end.
class counting_processor final : public span_processor {
 public:
  explicit counting_processor(bool throw_on_end = false) : throw_(throw_on_end) {}
  void on_start(recording_span& span, const trace::span_context&) override {
    ++started;
    span.set_attribute("seen.by.on_start", true);
  }
  void on_end(recording_span&) override {
    ++ended;
    if (throw_) throw std::runtime_error("processor bug");
  }
  bool force_flush(std::chrono::milliseconds) override {
    ++flushed;
    return true;
  }
  bool shutdown(std::chrono::milliseconds) override {
    ++shut;
    return true;
  }
  int started = 0, ended = 0, flushed = 0, shut = 0;

 private:
  bool throw_;
};

class throwing_sampler final : public sampler {
 public:
  sampling_result should_sample(const sampling_parameters&) override {
    ++calls;
    throw std::logic_error("sampler bug");
  }
  std::string description() const override { return "Throwing"; }
  int calls = 0;
};

// Records what it saw and samples only spans that carry attribute "keep".
class inspecting_sampler final : public sampler {
 public:
  sampling_result should_sample(const sampling_parameters& p) override {
    links_seen = p.links.size();
    for (const auto& a : p.attributes)
      if (a.key == "keep") return {sampling_decision::record_and_sample, {{"sampler.added", std::string("yes")}}, p.parent.state};
    return {sampling_decision::record_only, {}, p.parent.state};
  }
  std::string description() const override { return "Inspecting"; }
  std::size_t links_seen = 0;
};

TEST(TracerProvider, SameScopeGivesTheSameTracer) {  // R7.8b
  tracer_provider p;
  EXPECT_EQ(p.get_tracer("a", "1").object(), p.get_tracer("a", "1").object());
  EXPECT_NE(p.get_tracer("a", "1").object(), p.get_tracer("a", "2").object());
}

TEST(TracerProvider, AnEmptyNameStillWorksAndIsReported) {  // R7.8b
  testing::diagnostics_capture cap;
  test::simple_pipeline p;
  auto t = p.provider->get_tracer("");
  t.start_span("s").end();
  EXPECT_EQ(p.rec->size(), 1u);
  EXPECT_EQ(cap.count("sdk.tracer.empty_name"), 1u);
}

TEST(TracerProvider, WithoutProcessorsTracersAreNotEnabled) {  // R7.25
  tracer_provider p;
  EXPECT_FALSE(p.get_tracer("t").enabled());
  test::simple_pipeline q;
  EXPECT_TRUE(q.tracer.enabled());
}

TEST(TracerProvider, ShutdownOnceMakesTracersNoOp) {  // R7.23
  testing::diagnostics_capture cap;
  test::simple_pipeline p;
  EXPECT_TRUE(p.provider->shutdown());
  EXPECT_FALSE(p.provider->shutdown());
  EXPECT_FALSE(p.provider->get_tracer("late").start_span("x").is_recording());
  EXPECT_FALSE(p.tracer.start_span("x").is_recording());
  EXPECT_EQ(p.rec->shutdowns, 1);
}

TEST(TracerProvider, ForceFlushAndShutdownReachEveryProcessor) {  // R7.23
  auto a = std::make_unique<counting_processor>();
  auto b = std::make_unique<counting_processor>();
  counting_processor* pa = a.get();
  counting_processor* pb = b.get();
  tracer_provider_options o;
  o.processors.push_back(std::move(a));
  o.processors.push_back(std::move(b));
  tracer_provider p(std::move(o));
  EXPECT_TRUE(p.force_flush());
  EXPECT_EQ(pa->flushed, 1);
  EXPECT_EQ(pb->flushed, 1);
  EXPECT_TRUE(p.shutdown());
  EXPECT_EQ(pa->shut, 1);
  EXPECT_EQ(pb->shut, 1);
}

TEST(TracerProvider, ProcessorsSeeRecordOnlySpansButExportersDoNot) {  // R7.16, R7.10
  auto sampler_ptr = std::make_shared<inspecting_sampler>();
  auto counter = std::make_unique<counting_processor>();
  counting_processor* c = counter.get();
  tracer_provider_options o;
  o.sampler_ptr = sampler_ptr;
  o.processors.push_back(std::move(counter));
  test::simple_pipeline p(std::move(o));

  auto recorded_only = p.tracer.start_span("record-only");
  EXPECT_TRUE(recorded_only.is_recording());
  EXPECT_FALSE(recorded_only.context().sampled());
  recorded_only.end();

  const trace::attribute_kv keep[] = {{"keep", true}};
  const trace::link_view links[] = {{trace::span_context{}, keep}};
  trace::start_options so;
  so.attributes = keep;
  so.links = links;
  p.tracer.start_span("sampled", so).end();

  EXPECT_EQ(c->started, 2);
  EXPECT_EQ(c->ended, 2);
  EXPECT_EQ(sampler_ptr->links_seen, 1u);  // links given at start reach the sampler (R7.3)
  const auto spans = p.rec->snapshot();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].name, "sampled");
  EXPECT_NE(test::find_attr(spans[0].attributes, "sampler.added"), nullptr);
  EXPECT_NE(test::find_attr(spans[0].attributes, "seen.by.on_start"), nullptr);
}

// The provider takes the built-in samplers' decisions without calling them (sampler_kind.hpp):
// for a root and for each kind of parent, the span it starts is recorded, sampled and carries
// the trace state exactly as the sampler's own should_sample says, for the built-ins and for
// samplers it calls (parent_based with another root, traceidratio).
TEST(TracerProvider, BuiltInSamplersDecideAsTheirShouldSampleSays) {  // R7.10, R7.11
  trace::span_context base;
  base.trace = trace::trace_id::from_hex("4bf92f3577b34da6a3ce929d0e0e4736");
  base.span = trace::span_id::from_hex("00f067aa0ba902b7");
  base.state = trace::trace_state::parse("vendor=1,other=2");
  std::vector<std::optional<trace::span_context>> parents;
  parents.push_back(std::nullopt);  // root
  for (bool remote : {true, false}) {
    for (bool sampled : {true, false}) {
      trace::span_context sc = base;
      sc.remote = remote;
      sc.flags = sc.flags.with_sampled(sampled).with_random(true);
      parents.push_back(sc);
    }
  }
  const std::shared_ptr<sampler> samplers[] = {
      make_always_on_sampler(), make_always_off_sampler(),
      make_parent_based_sampler(make_always_on_sampler()),
      make_parent_based_sampler(make_always_off_sampler()),
      make_parent_based_sampler(make_trace_id_ratio_sampler(1.0)),
      make_trace_id_ratio_sampler(1.0)};
  for (const std::shared_ptr<sampler>& smp : samplers) {
    tracer_provider_options o;
    o.sampler_ptr = smp;
    test::simple_pipeline p(std::move(o));
    for (const std::optional<trace::span_context>& parent : parents) {
      SCOPED_TRACE(smp->description() + (parent ? (parent->remote ? " remote" : " local") +
                                                      std::string(parent->sampled() ? " sampled" : " unsampled")
                                                : std::string(" root")));
      trace::start_options so;
      if (parent) {
        // A local parent: a non-recording span object in the context (remote flag clear).
        so.parent = parent->remote
                        ? trace::context_with_remote_parent(ctxflow::context(), *parent)
                        : trace::context_with_span(ctxflow::context(),
                                                   trace::make_non_recording_span(*parent));
      } else {
        so.root = true;
      }
      trace::span s = p.tracer.start_span("s", so);
      const trace::span_context got = s.context();
      ASSERT_TRUE(got.valid());
      const trace::span_context none;
      const sampling_parameters params{parent ? *parent : none, got.trace, "s",
                                       trace::span_kind::internal, {}, {}};
      const sampling_result want = smp->should_sample(params);
      EXPECT_EQ(s.is_recording(), want.decision != sampling_decision::drop);
      EXPECT_EQ(got.sampled(), want.decision == sampling_decision::record_and_sample);
      EXPECT_EQ(got.state.header(), want.trace_state.header());
      if (parent) {
        EXPECT_EQ(got.trace, parent->trace);
      }
      s.end();
    }
  }
}

TEST(TracerProvider, AThrowingSamplerIsReportedAndReplacedByTheDefault) {  // R1.12
  testing::diagnostics_capture cap;
  auto bad = std::make_shared<throwing_sampler>();
  tracer_provider_options o;
  o.sampler_ptr = bad;
  test::simple_pipeline p(std::move(o));
  EXPECT_TRUE(p.tracer.start_span("a").is_recording());
  EXPECT_TRUE(p.tracer.start_span("b").is_recording());
  EXPECT_EQ(bad->calls, 1);  // switched off after the first failure
  EXPECT_EQ(cap.count("sdk.sampler.failed"), 1u);
}

// Options with one processor, which throws from on_end; `out` points to it.
tracer_provider_options one_throwing_processor(counting_processor*& out) {
  auto bad = std::make_unique<counting_processor>(true);
  out = bad.get();
  tracer_provider_options o;
  o.processors.push_back(std::move(bad));
  return o;
}

TEST(TracerProvider, AThrowingProcessorIsSwitchedOffAndTheOthersKeepGoing) {  // R1.12
  testing::diagnostics_capture cap;
  counting_processor* b = nullptr;
  test::simple_pipeline p(one_throwing_processor(b));  // the recording processor comes first
  p.tracer.start_span("a").end();
  p.tracer.start_span("b").end();
  EXPECT_EQ(b->ended, 1);
  EXPECT_EQ(p.rec->size(), 2u);
  EXPECT_EQ(cap.count("sdk.processor.failed"), 1u);
}

TEST(TracerProvider, AThrowingProcessorThatIsTheOnlyOneIsStillSwitchedOff) {  // R1.12
  // A sole built-in processor is called without the guard; a sole processor of the user's keeps
  // it, so its exception is caught here instead of ending the process.
  testing::diagnostics_capture cap;
  counting_processor* b = nullptr;
  auto provider = std::make_shared<tracer_provider>(one_throwing_processor(b));
  trace::tracer t = provider->get_tracer("only");
  t.start_span("a").end();
  t.start_span("b").end();
  EXPECT_EQ(b->ended, 1);
  EXPECT_EQ(b->started, 1);  // switched off for the second span altogether
  EXPECT_EQ(cap.count("sdk.processor.failed"), 1u);
}

TEST(TracerProvider, InstalledGloballyItRecordsSpansFromGetTracer) {
  test::simple_pipeline p;
  auto previous = trace::set_tracer_provider(p.provider);
  trace::get_tracer("global").start_span("g").end();
  trace::set_tracer_provider(previous);
  ASSERT_EQ(p.rec->size(), 1u);
  EXPECT_EQ(p.rec->snapshot()[0].scope_ptr->name, "global");
}

TEST(TracerProvider, ASpanObjectReusedForANewSpanKeepsNothingOfTheOldOne) {  // R7.3
  // A span released on its own thread is reused for that thread's next span.
  test::simple_pipeline p;
  {
    trace::span a = p.tracer.start_span("a-rather-long-name-that-needs-a-heap-buffer");
    const trace::attribute_kv ev[] = {{"e", 1}};
    a.set_attribute("k", "v");
    a.add_event("event", ev);
    a.add_link(trace::span_context{trace::trace_id::from_hex("0af7651916cd43dd8448eb211c80319c"),
                                   trace::span_id::from_hex("b7ad6b7169203331"), {}, false, {}});
    a.set_status(trace::status_code::error, "broken");
    a.end();
  }
  trace::span parent = p.tracer.start_span("parent");
  {
    trace::span b = p.tracer.start_span("b", trace::start_options{});
    b.end();
  }
  parent.end();
  // The same scope from a second tracer: the reused object switches its scope reference.
  {
    const trace::tracer other = p.provider->get_tracer("other");
    trace::span c = other.start_span("c");
    c.end();
  }
  const auto spans = p.rec->snapshot();
  ASSERT_EQ(spans.size(), 4u);
  const span_data& b = spans[1];
  EXPECT_EQ(b.name, "b");
  EXPECT_TRUE(b.attributes.empty());
  EXPECT_TRUE(b.events.empty());
  EXPECT_TRUE(b.links.empty());
  EXPECT_EQ(b.status.code, trace::status_code::unset);
  EXPECT_TRUE(b.status.message.empty());
  EXPECT_FALSE(b.parent_span_id.valid());
  EXPECT_NE(b.context.span, spans[0].context.span);
  EXPECT_GE(b.end_time_unix_nano, b.start_time_unix_nano);
  EXPECT_EQ(b.scope_ptr->name, "test");
  EXPECT_EQ(spans[3].name, "c");
  EXPECT_EQ(spans[3].scope_ptr->name, "other");
  EXPECT_EQ(spans[0].attributes.size(), 1u);  // the exported copy of the old span is intact
  EXPECT_EQ(spans[0].status.message, "broken");
}

}  // namespace
}  // namespace ctxflow::sdk
