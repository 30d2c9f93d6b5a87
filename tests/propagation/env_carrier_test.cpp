// SPDX-License-Identifier: Apache-2.0
// Environment carriers: key normalisation (R6.2), exact normalised lookups (R6.3),
// opaque values (R6.1), and injection that replaces inherited trace variables (C10, R6.4).
#include "ctxflow/propagation/env_carrier.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "ctxflow/propagation/b3.hpp"
#include "ctxflow/propagation/composite.hpp"
#include "ctxflow/propagation/w3c_baggage.hpp"
#include "ctxflow/propagation/w3c_trace_context.hpp"
#include "propagation/test_support.hpp"

namespace ctxflow::propagation {
namespace {

std::shared_ptr<const text_map_propagator> w3c() {
  return std::make_shared<composite_propagator>(std::vector<composite_propagator::pointer>{
      std::make_shared<w3c_trace_context_propagator>(), std::make_shared<w3c_baggage_propagator>()});
}

TEST(EnvCarrier, KeysAreNormalised) {
  // R6.2
  EXPECT_EQ(normalize_env_key("traceparent"), "TRACEPARENT");
  EXPECT_EQ(normalize_env_key("tracestate"), "TRACESTATE");
  EXPECT_EQ(normalize_env_key("baggage"), "BAGGAGE");
  EXPECT_EQ(normalize_env_key("x-b3-traceid"), "X_B3_TRACEID");
  EXPECT_EQ(normalize_env_key(""), "_");
  EXPECT_EQ(normalize_env_key("1abc"), "_1ABC");
  EXPECT_EQ(normalize_env_key("a.b c\xC3\xA9"), "A_B_C__");
  EXPECT_TRUE(is_normalized_env_key(normalize_env_key("9-x.y")));
  EXPECT_FALSE(is_normalized_env_key("lower"));
  EXPECT_FALSE(is_normalized_env_key("1X"));
}

TEST(EnvCarrier, GetNormalisesTheKeyAndReadsOnlyThatName) {
  // R6.3: a raw name like x-b3-traceid is never matched
  const char* envp[] = {"x-b3-traceid=raw", "X_B3_TRACEID=normal", "PATH=/bin", nullptr};
  const env_map env = env_map::from_envp(envp);
  EXPECT_EQ(env.get("x-b3-traceid").value(), "normal");
  EXPECT_EQ(env.get("path").value(), "/bin");
  EXPECT_FALSE(env.get("missing").has_value());
}

TEST(EnvCarrier, KeysListsOnlyNormalisedNames) {
  // R6.3
  const char* envp[] = {"x-b3-traceid=raw", "TRACEPARENT=v", "lower=x", "_OK1=y", nullptr};
  const env_map env = env_map::from_envp(envp);
  std::vector<std::string> keys;
  auto collect = [&](std::string_view k) { keys.emplace_back(k); };
  env.keys(collect);
  EXPECT_EQ(keys, (std::vector<std::string>{"TRACEPARENT", "_OK1"}));
}

TEST(EnvCarrier, SetWritesTheNormalisedNameAndReplaces) {
  // R6.3
  env_map env;
  env.set("traceparent", "a");
  env.set("TraceParent", "b");
  ASSERT_EQ(env.size(), 1u);
  EXPECT_EQ(env.entries()[0], "TRACEPARENT=b");
}

TEST(EnvCarrier, ValuesAreOpaque) {
  // R6.1: never validated or parsed
  env_map env;
  env.set("baggage", "not=valid;;,,=baggage \t");
  EXPECT_EQ(env.get("BAGGAGE").value(), "not=valid;;,,=baggage \t");
}

TEST(EnvCarrier, EnvpIsANullTerminatedBlock) {
  env_map env;
  env.set("A", "1");
  env.set("B", "2");
  char* const* p = env.envp();
  ASSERT_NE(p, nullptr);
  EXPECT_STREQ(p[0], "A=1");
  EXPECT_STREQ(p[1], "B=2");
  EXPECT_EQ(p[2], nullptr);
}

TEST(EnvCarrier, TheW3cPropagatorsWriteTraceparentTracestateAndBaggage) {
  // R6.2: TRACEPARENT, TRACESTATE, BAGGAGE
  trace::span_context sc = testing::make_span_context();
  sc.state = trace::trace_state::parse("v=1");
  const context ctx = with_baggage(testing::context_with(sc), baggage().set("k", "v w"));
  env_map env;
  inject_environment(env, ctx, *w3c());
  EXPECT_EQ(env.get("TRACEPARENT").value(),
            "00-" + std::string(testing::trace_hex) + "-" + std::string(testing::span_hex) + "-01");
  EXPECT_EQ(env.get("TRACESTATE").value(), "v=1");
  EXPECT_EQ(env.get("BAGGAGE").value(), "k=v%20w");
}

TEST(EnvCarrier, InjectionReplacesInheritedTraceVariables) {
  // C10, R5.4: values inherited from our own parent never reach the child
  const char* envp[] = {"TRACEPARENT=00-ffffffffffffffffffffffffffffffff-ffffffffffffffff-01",
                        "TRACESTATE=old=1", "BAGGAGE=old=1", "HOME=/root", nullptr};
  env_map env = env_map::from_envp(envp);
  inject_environment(env, testing::context_with(testing::make_span_context()), *w3c());
  EXPECT_EQ(env.get("TRACEPARENT").value().substr(3, 32), testing::trace_hex);
  EXPECT_FALSE(env.get("TRACESTATE").has_value());  // our context has no tracestate
  EXPECT_FALSE(env.get("BAGGAGE").has_value());     // nor baggage
  EXPECT_EQ(env.get("HOME").value(), "/root");

  env_map empty_ctx = env_map::from_envp(envp);
  inject_environment(empty_ctx, context(), *w3c());
  EXPECT_FALSE(empty_ctx.get("TRACEPARENT").has_value());
}

TEST(EnvCarrier, ExtractFromAnEnvironmentGivesARemoteParentAndBaggage) {
  // R6.4: extraction at process start into the root context
  const std::string tp = "00-" + std::string(testing::trace_hex) + "-" + std::string(testing::span_hex) + "-01";
  const std::string tp_entry = "TRACEPARENT=" + tp;
  const char* envp[] = {tp_entry.c_str(), "BAGGAGE=user=alice", nullptr};
  const context ctx = extract_from_environment(env_map::from_envp(envp), *w3c());
  const trace::span_context sc = trace::span_context_from(ctx);
  ASSERT_TRUE(sc.valid());
  EXPECT_TRUE(sc.remote);
  EXPECT_EQ(testing::hex(sc.span), testing::span_hex);
  EXPECT_EQ(baggage::from(ctx).get("user").value(), "alice");
}

TEST(EnvCarrier, B3MultiUsesNormalisedNames) {
  // R6.2: x-b3-traceid maps to X_B3_TRACEID
  const b3_propagator prop{b3_encoding::multi_header};
  env_map env;
  inject_environment(env, testing::context_with(testing::make_span_context()), prop);
  EXPECT_EQ(env.get("X_B3_TRACEID").value(), testing::trace_hex);
  EXPECT_EQ(env.get("X_B3_SPANID").value(), testing::span_hex);
  EXPECT_EQ(env.get("X_B3_SAMPLED").value(), "1");
  EXPECT_TRUE(trace::span_context_from(extract_from_environment(env, prop)).valid());
}

TEST(EnvCarrier, FromProcessSnapshotsTheEnvironment) {
  // R6.4: a copy; changing it never touches our own environment
  env_map env = env_map::from_process();
  ASSERT_GT(env.size(), 0u);
  env.set("CTXFLOW_TEST_ONLY_IN_COPY", "1");
  EXPECT_EQ(std::getenv("CTXFLOW_TEST_ONLY_IN_COPY"), nullptr);
}

}  // namespace
}  // namespace ctxflow::propagation
