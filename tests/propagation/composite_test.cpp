// SPDX-License-Identifier: Apache-2.0
// The composite propagator (R5.5): list order for inject and extract, output chaining so the
// last successful extractor wins, separate injector/extractor lists, and the fields union.
#include "ctxflow/propagation/composite.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "ctxflow/propagation/b3.hpp"
#include "ctxflow/propagation/w3c_baggage.hpp"
#include "ctxflow/propagation/w3c_trace_context.hpp"
#include "propagation/test_support.hpp"

namespace ctxflow::propagation {
namespace {

using testing::headers;

// Records the order in which it is called.
class recording_propagator final : public text_map_propagator {
 public:
  recording_propagator(std::string id, std::vector<std::string>& log) : id_(std::move(id)), log_(log) {}
  void inject(const context&, carrier_setter& s) const noexcept override {
    log_.push_back("inject:" + id_);
    s.set("x-" + id_, id_);
  }
  context extract(const context& ctx, const carrier_getter&) const noexcept override {
    log_.push_back("extract:" + id_);
    return ctx;
  }
  std::span<const std::string_view> fields() const noexcept override { return {}; }
  std::string_view name() const noexcept override { return id_; }

 private:
  std::string id_;
  std::vector<std::string>& log_;
};

TEST(Composite, InjectAndExtractRunInListOrder) {
  // R5.5
  std::vector<std::string> log;
  const composite_propagator c({std::make_shared<recording_propagator>("a", log),
                                std::make_shared<recording_propagator>("b", log)});
  headers h;
  inject(c, context(), h);
  (void)extract(c, context(), h);
  EXPECT_EQ(log, (std::vector<std::string>{"inject:a", "inject:b", "extract:a", "extract:b"}));
  EXPECT_EQ(h.size(), 2u);
}

TEST(Composite, TheLastSuccessfulExtractorWins) {
  // R5.5 [D]: each extractor receives the previous output
  const std::string w3c_trace = "11111111111111111111111111111111";
  const std::string b3_trace = "22222222222222222222222222222222";
  const headers h{{"traceparent", "00-" + w3c_trace + "-1111111111111111-01"},
                  {"b3", b3_trace + "-2222222222222222-1"}};
  const composite_propagator w3c_then_b3({std::make_shared<w3c_trace_context_propagator>(),
                                          std::make_shared<b3_propagator>()});
  EXPECT_EQ(testing::hex(trace::span_context_from(extract(w3c_then_b3, context(), h)).trace), b3_trace);
  const composite_propagator b3_then_w3c({std::make_shared<b3_propagator>(),
                                          std::make_shared<w3c_trace_context_propagator>()});
  EXPECT_EQ(testing::hex(trace::span_context_from(extract(b3_then_w3c, context(), h)).trace), w3c_trace);
  // A failing later extractor keeps the earlier result (R5.2).
  const headers bad_b3{{"traceparent", "00-" + w3c_trace + "-1111111111111111-01"}, {"b3", "bad"}};
  EXPECT_EQ(testing::hex(trace::span_context_from(extract(w3c_then_b3, context(), bad_b3)).trace),
            w3c_trace);
}

TEST(Composite, TraceContextAndBaggageTogether) {
  // R5.5, R5.6 default pair
  const composite_propagator c({std::make_shared<w3c_trace_context_propagator>(),
                                std::make_shared<w3c_baggage_propagator>()});
  const context ctx = with_baggage(testing::context_with(testing::make_span_context()),
                                   baggage().set("k", "v"));
  headers h;
  inject(c, ctx, h);
  EXPECT_EQ(h.size(), 2u);
  const context back = extract(c, context(), h);
  EXPECT_EQ(trace::span_context_from(back).trace, testing::make_span_context().trace);
  EXPECT_EQ(baggage::from(back).get("k").value(), "v");
}

TEST(Composite, SeparateInjectorAndExtractorLists) {
  // R5.5: built from injectors and extractors
  std::vector<std::string> log;
  const composite_propagator c({std::make_shared<recording_propagator>("inj", log)},
                               {std::make_shared<recording_propagator>("ext", log), nullptr});
  headers h;
  inject(c, context(), h);
  (void)extract(c, context(), h);
  EXPECT_EQ(log, (std::vector<std::string>{"inject:inj", "extract:ext"}));
}

TEST(Composite, FieldsAreTheUnionInOrderWithoutDuplicates) {
  // R5.4
  const composite_propagator c({std::make_shared<w3c_trace_context_propagator>(),
                                std::make_shared<w3c_baggage_propagator>(),
                                std::make_shared<w3c_trace_context_propagator>()});
  ASSERT_EQ(c.fields().size(), 3u);
  EXPECT_EQ(c.fields()[0], "traceparent");
  EXPECT_EQ(c.fields()[1], "tracestate");
  EXPECT_EQ(c.fields()[2], "baggage");
}

}  // namespace
}  // namespace ctxflow::propagation
