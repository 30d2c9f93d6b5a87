// SPDX-License-Identifier: Apache-2.0
// Built-in samplers (R7.10, R7.11) and OTEL_TRACES_SAMPLER parsing (R10).
#include "ctxflow/sdk/sampler.hpp"

#include <gtest/gtest.h>

#include <cstdio>

#include "ctxflow/testing/diagnostics_capture.hpp"

namespace ctxflow::sdk {
namespace {

trace::trace_id tid(std::string_view hex) { return trace::trace_id::from_hex(hex); }

sampling_result run(sampler& s, const trace::span_context& parent, trace::trace_id id) {
  return s.should_sample({parent, id, "op", trace::span_kind::internal, {}, {}});
}

trace::span_context parent(bool remote, bool sampled) {
  trace::span_context sc;
  sc.trace = tid("0af7651916cd43dd8448eb211c80319c");
  sc.span = trace::span_id::from_hex("b7ad6b7169203331");
  sc.flags = sc.flags.with_sampled(sampled);
  sc.remote = remote;
  return sc;
}

const trace::span_context no_parent{};

TEST(Sampler, AlwaysOnSamplesEverythingAndDescribesItself) {  // R7.11
  auto s = make_always_on_sampler();
  EXPECT_EQ(s->description(), "AlwaysOnSampler");
  EXPECT_EQ(run(*s, no_parent, tid("0af7651916cd43dd8448eb211c80319c")).decision,
            sampling_decision::record_and_sample);
}

TEST(Sampler, AlwaysOffDropsEverythingAndDescribesItself) {  // R7.11
  auto s = make_always_off_sampler();
  EXPECT_EQ(s->description(), "AlwaysOffSampler");
  EXPECT_EQ(run(*s, parent(false, true), parent(false, true).trace).decision,
            sampling_decision::drop);
}

TEST(Sampler, SamplersKeepTheParentsTraceState) {  // R7.10
  trace::span_context p = parent(true, true);
  p.state = trace::trace_state::parse("vendor=value");
  ASSERT_FALSE(p.state.empty());
  auto s = make_always_on_sampler();
  EXPECT_EQ(run(*s, p, p.trace).trace_state, p.state);
}

TEST(TraceIdRatio, DescriptionHasSixDecimals) {  // R7.11
  EXPECT_EQ(make_trace_id_ratio_sampler(0.0001)->description(), "TraceIdRatioBased{0.000100}");
  EXPECT_EQ(make_trace_id_ratio_sampler(0.5)->description(), "TraceIdRatioBased{0.500000}");
}

TEST(TraceIdRatio, ComparesTheLowest56BitsWithTheThreshold) {  // R7.11 [D] 56-bit form
  auto half = make_trace_id_ratio_sampler(0.5);
  // Bytes 9..15 = 0x7fffffffffffff: just below 2^55 = 0.5 * 2^56.
  EXPECT_EQ(run(*half, no_parent, tid("ffffffffffffffffff7fffffffffffff")).decision,
            sampling_decision::record_and_sample);
  // Bytes 9..15 = 0x80000000000000: exactly the threshold, not below it.
  EXPECT_EQ(run(*half, no_parent, tid("00000000000000000080000000000000")).decision,
            sampling_decision::drop);
  // Byte 8 is not part of the randomness.
  EXPECT_EQ(run(*half, no_parent, tid("0000000000000000ff00000000000001")).decision,
            sampling_decision::record_and_sample);
}

TEST(TraceIdRatio, ZeroDropsAllAndOneSamplesAll) {  // R7.11
  auto zero = make_trace_id_ratio_sampler(0.0);
  auto one = make_trace_id_ratio_sampler(1.0);
  const auto low = tid("00000000000000000000000000000001");
  const auto high = tid("ffffffffffffffffffffffffffffffff");
  EXPECT_EQ(run(*zero, no_parent, low).decision, sampling_decision::drop);
  EXPECT_EQ(run(*one, no_parent, high).decision, sampling_decision::record_and_sample);
}

TEST(TraceIdRatio, AHigherRatioSamplesASupersetOfALowerOne) {  // R7.11
  auto low = make_trace_id_ratio_sampler(0.25);
  auto high = make_trace_id_ratio_sampler(0.75);
  for (int i = 0; i < 256; ++i) {
    char hex[33];
    std::snprintf(hex, sizeof hex, "0123456789abcdef01%02x%012x", i, i * 7919);
    const auto id = tid(hex);
    if (run(*low, no_parent, id).decision == sampling_decision::record_and_sample) {
      EXPECT_EQ(run(*high, no_parent, id).decision, sampling_decision::record_and_sample) << hex;
    }
  }
}

TEST(TraceIdRatio, IgnoresTheParentsSampledFlagAndWarnsOnce) {  // R7.11
  testing::diagnostics_capture cap;
  auto zero = make_trace_id_ratio_sampler(0.0);
  EXPECT_EQ(run(*zero, parent(true, true), parent(true, true).trace).decision,
            sampling_decision::drop);
  (void)run(*zero, parent(true, true), parent(true, true).trace);
  EXPECT_EQ(cap.count("sdk.sampler.ratio_with_parent"), 1u);
}

TEST(ParentBased, UsesRootWithoutAParent) {  // R7.11
  auto s = make_parent_based_sampler(make_always_off_sampler());
  EXPECT_EQ(run(*s, no_parent, tid("0af7651916cd43dd8448eb211c80319c")).decision,
            sampling_decision::drop);
}

TEST(ParentBased, DefaultDelegatesFollowTheParentsSampledFlag) {  // R7.11
  auto s = make_parent_based_sampler(make_always_off_sampler());
  EXPECT_EQ(run(*s, parent(true, true), parent(true, true).trace).decision,
            sampling_decision::record_and_sample);
  EXPECT_EQ(run(*s, parent(true, false), parent(true, false).trace).decision,
            sampling_decision::drop);
  EXPECT_EQ(run(*s, parent(false, true), parent(false, true).trace).decision,
            sampling_decision::record_and_sample);
  EXPECT_EQ(run(*s, parent(false, false), parent(false, false).trace).decision,
            sampling_decision::drop);
}

TEST(ParentBased, EachOfTheFourDelegatesIsChosenByRemoteAndSampled) {  // R7.11
  parent_based_options o;
  o.remote_parent_sampled = make_always_off_sampler();
  o.remote_parent_not_sampled = make_always_on_sampler();
  o.local_parent_sampled = make_always_off_sampler();
  o.local_parent_not_sampled = make_always_on_sampler();
  auto s = make_parent_based_sampler(make_always_on_sampler(), o);
  EXPECT_EQ(run(*s, parent(true, true), parent(true, true).trace).decision, sampling_decision::drop);
  EXPECT_EQ(run(*s, parent(true, false), parent(true, false).trace).decision,
            sampling_decision::record_and_sample);
  EXPECT_EQ(run(*s, parent(false, true), parent(false, true).trace).decision,
            sampling_decision::drop);
  EXPECT_EQ(run(*s, parent(false, false), parent(false, false).trace).decision,
            sampling_decision::record_and_sample);
}

TEST(ParentBased, DescriptionListsEveryDelegate) {  // R7.11 [D]
  auto s = make_parent_based_sampler(make_trace_id_ratio_sampler(0.5));
  EXPECT_EQ(s->description(),
            "ParentBased{root=TraceIdRatioBased{0.500000},remoteParentSampled=AlwaysOnSampler,"
            "remoteParentNotSampled=AlwaysOffSampler,localParentSampled=AlwaysOnSampler,"
            "localParentNotSampled=AlwaysOffSampler}");
}

TEST(AlwaysRecord, TurnsDropIntoRecordOnly) {  // R7.11
  auto s = make_always_record_sampler(make_always_off_sampler());
  EXPECT_EQ(run(*s, no_parent, tid("0af7651916cd43dd8448eb211c80319c")).decision,
            sampling_decision::record_only);
  EXPECT_EQ(s->description(), "AlwaysRecord{AlwaysOffSampler}");
}

TEST(SamplerFromEnv, NamesAreCaseInsensitive) {  // R10 enums
  EXPECT_EQ(sampler_from_values("ALWAYS_OFF", "")->description(), "AlwaysOffSampler");
  EXPECT_EQ(sampler_from_values("TraceIdRatio", "0.25")->description(),
            "TraceIdRatioBased{0.250000}");
  EXPECT_EQ(sampler_from_values("parentbased_traceidratio", "0.5")->description(),
            make_parent_based_sampler(make_trace_id_ratio_sampler(0.5))->description());
}

TEST(SamplerFromEnv, UnsetMeansParentBasedAlwaysOn) {  // R10 default
  EXPECT_EQ(sampler_from_values("", "")->description(),
            make_parent_based_sampler(make_always_on_sampler())->description());
}

TEST(SamplerFromEnv, UnknownNameIsReportedByVariableAndFallsBackToTheDefault) {  // R10
  testing::diagnostics_capture cap;
  auto s = sampler_from_values("jaeger_remote", "");
  EXPECT_EQ(s->description(), make_parent_based_sampler(make_always_on_sampler())->description());
  ASSERT_EQ(cap.count("sdk.env.invalid"), 1u);
  EXPECT_NE(cap.records()[0].message.find("OTEL_TRACES_SAMPLER"), std::string::npos);
}

TEST(SamplerFromEnv, BadRatioIsReportedByVariableAndTreatedAsOne) {  // R10 SAMPLER_ARG
  testing::diagnostics_capture cap;
  EXPECT_EQ(sampler_from_values("traceidratio", "1.5")->description(), "TraceIdRatioBased{1.000000}");
  EXPECT_EQ(sampler_from_values("traceidratio", "abc")->description(), "TraceIdRatioBased{1.000000}");
  ASSERT_EQ(cap.count("sdk.env.invalid"), 2u);
  EXPECT_NE(cap.records()[0].message.find("OTEL_TRACES_SAMPLER_ARG"), std::string::npos);
}

}  // namespace
}  // namespace ctxflow::sdk
