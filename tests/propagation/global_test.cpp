// SPDX-License-Identifier: Apache-2.0
// The global propagator (R5.6) and OTEL_PROPAGATORS parsing (R5.7).
#include "ctxflow/propagation/global.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "ctxflow/context/scope.hpp"
#include "ctxflow/propagation/composite.hpp"
#include "ctxflow/propagation/w3c_trace_context.hpp"
#include "ctxflow/testing/diagnostics_capture.hpp"
#include "propagation/test_support.hpp"

namespace ctxflow::propagation {
namespace {

using testing::headers;

std::vector<std::string> names(const std::shared_ptr<const text_map_propagator>& p) {
  std::vector<std::string> out;
  if (auto* c = dynamic_cast<const composite_propagator*>(p.get())) {
    for (const auto& m : c->injectors()) out.emplace_back(m->name());
  } else {
    out.emplace_back(p->name());
  }
  return out;
}

// Restores the global propagator after a test.
struct global_guard {
  std::shared_ptr<const text_map_propagator> saved = global_propagator();
  ~global_guard() { set_global_propagator(saved); }
};

TEST(GlobalPropagator, IsANoopUntilSet) {
  // R5.6
  global_guard g;
  set_global_propagator(nullptr);
  ASSERT_NE(global_propagator(), nullptr);
  EXPECT_EQ(global_propagator()->name(), "none");
  headers h;
  inject(h, testing::context_with(testing::make_span_context()));
  EXPECT_TRUE(h.empty());
}

TEST(GlobalPropagator, SetAndGetAndTheShortcutsUseIt) {
  // R5.6
  global_guard g;
  set_global_propagator(std::make_shared<w3c_trace_context_propagator>());
  EXPECT_EQ(global_propagator()->name(), "tracecontext");
  headers h;
  {
    scope s{testing::context_with(testing::make_span_context())};
    inject(h);  // the current context
  }
  ASSERT_EQ(h.size(), 1u);
  const context ctx = extract(h, context());
  EXPECT_EQ(trace::span_context_from(ctx).trace, testing::make_span_context().trace);
}

TEST(OtelPropagators, TheDefaultIsTraceContextThenBaggage) {
  // R5.7: empty counts as unset
  EXPECT_EQ(names(propagator_from_env_value("")), (std::vector<std::string>{"tracecontext", "baggage"}));
  EXPECT_EQ(names(propagator_from_env_value(" , ")), (std::vector<std::string>{"tracecontext", "baggage"}));
}

TEST(OtelPropagators, ValuesAreCaseInsensitiveTrimmedAndKeptInOrder) {
  // R5.7
  EXPECT_EQ(names(propagator_from_env_value(" B3Multi , TraceContext ")),
            (std::vector<std::string>{"b3multi", "tracecontext"}));
  EXPECT_EQ(names(propagator_from_env_value("b3")), (std::vector<std::string>{"b3"}));
  EXPECT_EQ(names(propagator_from_env_value("baggage,b3,b3multi")),
            (std::vector<std::string>{"baggage", "b3", "b3multi"}));
}

TEST(OtelPropagators, DuplicatesAreRegisteredOnce) {
  // R5.7 MUST de-duplicate
  EXPECT_EQ(names(propagator_from_env_value("tracecontext,baggage,TRACECONTEXT,baggage")),
            (std::vector<std::string>{"tracecontext", "baggage"}));
}

TEST(OtelPropagators, UnknownEntriesAreWarnedAndOnlyThoseIgnored) {
  // R5.7 MUST warn; [D] only the entry is ignored
  ctxflow::testing::diagnostics_capture capture;
  EXPECT_EQ(names(propagator_from_env_value("tracecontext,foo,baggage")),
            (std::vector<std::string>{"tracecontext", "baggage"}));
  EXPECT_EQ(capture.count("propagation.env.unknown"), 1u);
  EXPECT_EQ(names(propagator_from_env_value("jaeger,xray,ottrace,b3")), (std::vector<std::string>{"b3"}));
  EXPECT_EQ(capture.count("propagation.env.unsupported"), 3u);
}

TEST(OtelPropagators, AnEmptyValueGivesTheDefaultWithoutAReport) {
  ctxflow::testing::diagnostics_capture capture;
  EXPECT_EQ(names(propagator_from_env_value("")), (std::vector<std::string>{"tracecontext", "baggage"}));
  EXPECT_EQ(capture.size(), 0u);
}

TEST(OtelPropagators, AnUnsupportedEntryAloneIsReportedAndGivesTheDefault) {
  ctxflow::testing::diagnostics_capture capture;
  EXPECT_EQ(names(propagator_from_env_value("xray")), (std::vector<std::string>{"tracecontext", "baggage"}));
  const auto records = capture.records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].code, "propagation.env.unsupported");
  EXPECT_NE(records[0].message.find("'xray'"), std::string::npos) << records[0].message;
  EXPECT_NE(records[0].message.find("tracecontext,baggage"), std::string::npos) << records[0].message;
}

TEST(OtelPropagators, OnlyUnknownEntriesAreReportedEachAndGiveTheDefault) {
  ctxflow::testing::diagnostics_capture capture;
  EXPECT_EQ(names(propagator_from_env_value("foo, bar")), (std::vector<std::string>{"tracecontext", "baggage"}));
  EXPECT_EQ(capture.count("propagation.env.unknown"), 2u);
  EXPECT_EQ(capture.size(), 2u);
}

TEST(OtelPropagators, AnUnsupportedEntryNextToAKnownOneIsSkippedWithOneReport) {
  ctxflow::testing::diagnostics_capture capture;
  EXPECT_EQ(names(propagator_from_env_value("b3,xray")), (std::vector<std::string>{"b3"}));
  const auto records = capture.records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].code, "propagation.env.unsupported");
  EXPECT_NE(records[0].message.find("'xray'"), std::string::npos) << records[0].message;
  EXPECT_NE(records[0].message.find("skipped"), std::string::npos) << records[0].message;
}

TEST(OtelPropagators, NoneAloneMeansNoPropagationWithoutAReport) {
  ctxflow::testing::diagnostics_capture capture;
  const auto p = propagator_from_env_value("none");
  EXPECT_EQ(names(p), (std::vector<std::string>{"none"}));
  headers h;
  inject(*p, testing::context_with(testing::make_span_context()), h);
  EXPECT_TRUE(h.empty());
  EXPECT_EQ(capture.size(), 0u);
}

TEST(OtelPropagators, NoneWithOnlyUnknownEntriesStillMeansNone) {
  ctxflow::testing::diagnostics_capture capture;
  EXPECT_EQ(names(propagator_from_env_value("none,xray")), (std::vector<std::string>{"none"}));
  EXPECT_EQ(capture.count("propagation.env.unsupported"), 1u);
}

TEST(OtelPropagators, NoneMeansNoPropagatorEvenWithOthers) {
  // R5.7 [D]
  ctxflow::testing::diagnostics_capture capture;
  EXPECT_EQ(names(propagator_from_env_value("none")), (std::vector<std::string>{"none"}));
  EXPECT_EQ(capture.count("propagation.env.none_with_others"), 0u);
  EXPECT_EQ(names(propagator_from_env_value("tracecontext,none")), (std::vector<std::string>{"none"}));
  EXPECT_EQ(capture.count("propagation.env.none_with_others"), 1u);
}

TEST(OtelPropagators, TheEnvironmentVariableIsReadAndSdkDisabledDoesNotMatter) {
  // R5.7: OTEL_SDK_DISABLED does not switch propagators off
  const char* old = std::getenv("OTEL_PROPAGATORS");
  const std::string saved = old ? old : "";
  ::setenv("OTEL_PROPAGATORS", "b3multi", 1);
  ::setenv("OTEL_SDK_DISABLED", "true", 1);
  EXPECT_EQ(names(propagator_from_environment()), (std::vector<std::string>{"b3multi"}));
  ::unsetenv("OTEL_PROPAGATORS");
  ::unsetenv("OTEL_SDK_DISABLED");
  EXPECT_EQ(names(propagator_from_environment()), (std::vector<std::string>{"tracecontext", "baggage"}));
  if (old) ::setenv("OTEL_PROPAGATORS", saved.c_str(), 1);
}

}  // namespace
}  // namespace ctxflow::propagation
