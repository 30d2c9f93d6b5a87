// SPDX-License-Identifier: Apache-2.0
// The B3 propagator (R5.8): single and multi formats, sampling states, debug, 64-bit trace
// ids (R2.17), extract order, inject formats and fields (R5.4).
#include "ctxflow/propagation/b3.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "ctxflow/testing/diagnostics_capture.hpp"
#include "propagation/test_support.hpp"

namespace ctxflow::propagation {
namespace {

using testing::headers;

const std::string T = "80f198ee56343ba864fe8b2a57d3eff7";
const std::string S = "e457b5a2e4d86bd1";
const std::string PARENT = "05e3ac9a4f6e3b90";

trace::span_context extract_sc(const headers& h, const context& base = context()) {
  const b3_propagator prop;
  return trace::span_context_from(extract(prop, base, h));
}

TEST(B3, SingleHeaderWithAllFieldsIsExtracted) {
  // R5.8
  const trace::span_context sc = extract_sc({{"b3", T + "-" + S + "-1-" + PARENT}});
  ASSERT_TRUE(sc.valid());
  EXPECT_EQ(testing::hex(sc.trace), T);
  EXPECT_EQ(testing::hex(sc.span), S);
  EXPECT_TRUE(sc.sampled());
  EXPECT_TRUE(sc.remote);
}

TEST(B3, SingleHeaderSamplingStates) {
  // R5.8: 1 accept, 0 deny, d debug (implies sampled), absent defers
  EXPECT_TRUE(extract_sc({{"b3", T + "-" + S + "-1"}}).sampled());
  EXPECT_FALSE(extract_sc({{"b3", T + "-" + S + "-0"}}).sampled());
  EXPECT_TRUE(extract_sc({{"b3", T + "-" + S + "-d"}}).sampled());
  const trace::span_context deferred = extract_sc({{"b3", T + "-" + S}});
  EXPECT_TRUE(deferred.valid());
  EXPECT_FALSE(deferred.sampled());
}

TEST(B3, A64BitTraceIdIsLeftPadded) {
  // R5.8, R2.17
  const trace::span_context sc = extract_sc({{"b3", "64fe8b2a57d3eff7-" + S + "-1"}});
  ASSERT_TRUE(sc.valid());
  EXPECT_EQ(testing::hex(sc.trace), "000000000000000064fe8b2a57d3eff7");
  EXPECT_FALSE(sc.flags.random());
}

TEST(B3, InvalidSingleHeadersAreIgnored) {
  // R5.8: lowercase hex, exact lengths, known sampling states
  ctxflow::testing::diagnostics_capture capture;
  for (const std::string& v :
       {T.substr(1) + "-" + S, T + "-" + S.substr(1), T + "-" + S + "-x", T + "-" + S + "-1-bad",
        std::string("80F198EE56343BA864FE8B2A57D3EFF7-") + S, std::string(32, '0') + "-" + S,
        T + "-" + std::string(16, '0'), std::string("garbage")}) {
    EXPECT_FALSE(extract_sc({{"b3", v}}).valid()) << v;
  }
  EXPECT_GE(capture.count("propagation.b3.invalid"), 8u);
}

TEST(B3, ASamplingOnlyHeaderIsValidButCarriesNoParent) {
  // R5.8: `b3: 0` on its own is valid (deny only)
  ctxflow::testing::diagnostics_capture capture;
  const b3_propagator prop;
  for (const char* v : {"0", "1", "d"}) {
    const headers h{{"b3", v}};
    EXPECT_TRUE(extract(prop, context(), h).empty()) << v;
  }
  EXPECT_EQ(capture.count("propagation.b3.invalid"), 0u);
}

TEST(B3, MultiHeadersAreExtracted) {
  // R5.8
  const trace::span_context sc = extract_sc({{"X-B3-TraceId", T},
                                             {"X-B3-SpanId", S},
                                             {"X-B3-ParentSpanId", PARENT},
                                             {"X-B3-Sampled", "1"}});
  ASSERT_TRUE(sc.valid());
  EXPECT_EQ(testing::hex(sc.trace), T);
  EXPECT_EQ(testing::hex(sc.span), S);
  EXPECT_TRUE(sc.sampled());
}

TEST(B3, MultiHeaderSampledAcceptsTrueAndFalse) {
  // R5.8: lenient reader
  EXPECT_TRUE(extract_sc({{"x-b3-traceid", T}, {"x-b3-spanid", S}, {"x-b3-sampled", "true"}}).sampled());
  const auto no = extract_sc({{"x-b3-traceid", T}, {"x-b3-spanid", S}, {"x-b3-sampled", "false"}});
  EXPECT_TRUE(no.valid());
  EXPECT_FALSE(no.sampled());
  EXPECT_FALSE(extract_sc({{"x-b3-traceid", T}, {"x-b3-spanid", S}, {"x-b3-sampled", "yes"}}).valid());
}

TEST(B3, MultiHeaderFlagsOneMeansDebugAndSampled) {
  // R5.8: debug implies sampled
  const b3_propagator prop;
  const headers h{{"X-B3-TraceId", T}, {"X-B3-SpanId", S}, {"X-B3-Flags", "1"}};
  const context ctx = extract(prop, context(), h);
  EXPECT_TRUE(trace::span_context_from(ctx).sampled());
  EXPECT_TRUE(b3_debug(ctx));
}

TEST(B3, TheFirstOfRepeatedMultiHeadersWins) {
  // R5.8
  const std::string other = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  const auto sc = extract_sc({{"X-B3-TraceId", T}, {"X-B3-TraceId", other}, {"X-B3-SpanId", S}});
  EXPECT_EQ(testing::hex(sc.trace), T);
}

TEST(B3, MultiHeadersWorkWithLowercaseExactMaps) {
  // R5.8 with an HTTP/2-style lowercase std::map carrier
  const b3_propagator prop;
  const std::map<std::string, std::string> m{{"x-b3-traceid", T}, {"x-b3-spanid", S}};
  EXPECT_TRUE(trace::span_context_from(extract(prop, context(), m)).valid());
}

TEST(B3, SingleIsTriedBeforeMulti) {
  // R5.8 MUST: single first
  const std::string other = "11111111111111111111111111111111";
  const auto sc = extract_sc({{"X-B3-TraceId", other}, {"X-B3-SpanId", S}, {"b3", T + "-" + S + "-1"}});
  EXPECT_EQ(testing::hex(sc.trace), T);
  const auto fallback = extract_sc({{"X-B3-TraceId", other}, {"X-B3-SpanId", S}, {"b3", "bad"}});
  EXPECT_EQ(testing::hex(fallback.trace), other);
}

TEST(B3, InjectWritesTheSingleHeaderByDefault) {
  // R5.8: inject defaults to single
  const b3_propagator prop;
  headers h;
  inject(prop, testing::context_with(testing::make_span_context(T, S, 0x01)), h);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].first, "b3");
  EXPECT_EQ(h[0].second, T + "-" + S + "-1");
  headers unsampled;
  inject(prop, testing::context_with(testing::make_span_context(T, S, 0x00)), unsampled);
  EXPECT_EQ(testing::header(unsampled, "b3"), T + "-" + S + "-0");
}

TEST(B3, InjectWritesMultiHeadersWithoutParentSpanId) {
  // R5.8: option for multi; X-B3-ParentSpanId MUST NOT be injected
  const b3_propagator prop{b3_encoding::multi_header};
  headers h;
  inject(prop, testing::context_with(testing::make_span_context(T, S, 0x01)), h);
  EXPECT_EQ(testing::header(h, "X-B3-TraceId"), T);
  EXPECT_EQ(testing::header(h, "X-B3-SpanId"), S);
  EXPECT_EQ(testing::header(h, "X-B3-Sampled"), "1");
  EXPECT_EQ(testing::header(h, "X-B3-ParentSpanId"), "<absent>");
  EXPECT_EQ(testing::header(h, "X-B3-Flags"), "<absent>");
}

TEST(B3, DebugIsKeptAndSentOnWithTheLocalSpan) {
  // R5.8: debug MUST be kept and sent on; the extracted span id is not reused
  const b3_propagator single;
  const b3_propagator multi{b3_encoding::multi_header};
  const headers in{{"b3", T + "-" + S + "-d"}};
  const context extracted = extract(single, context(), in);
  ASSERT_TRUE(b3_debug(extracted));
  // A local child span under the extracted parent (same trace, new span id).
  const std::string child = "1111222233334444";
  const context local = trace::context_with_remote_parent(extracted, testing::make_span_context(T, child, 0x01));
  headers out;
  inject(single, local, out);
  EXPECT_EQ(testing::header(out, "b3"), T + "-" + child + "-d");
  headers out_multi;
  inject(multi, local, out_multi);
  EXPECT_EQ(testing::header(out_multi, "X-B3-Flags"), "1");
  EXPECT_EQ(testing::header(out_multi, "X-B3-Sampled"), "<absent>");
}

TEST(B3, ANonDebugParentClearsAnEarlierDebugFlag) {
  const b3_propagator prop;
  const context debug_ctx = extract(prop, context(), headers{{"b3", T + "-" + S + "-d"}});
  const context plain = extract(prop, debug_ctx, headers{{"b3", T + "-" + S + "-1"}});
  EXPECT_FALSE(b3_debug(plain));
}

TEST(B3, FieldsFollowTheInjectFormat) {
  // R5.4
  const b3_propagator single;
  ASSERT_EQ(single.fields().size(), 1u);
  EXPECT_EQ(single.fields()[0], "b3");
  const b3_propagator multi{b3_encoding::multi_header};
  ASSERT_EQ(multi.fields().size(), 4u);
  EXPECT_EQ(multi.fields()[0], "X-B3-TraceId");
  EXPECT_EQ(multi.fields()[1], "X-B3-SpanId");
  EXPECT_EQ(multi.fields()[2], "X-B3-Sampled");
  EXPECT_EQ(multi.fields()[3], "X-B3-Flags");
}

}  // namespace
}  // namespace ctxflow::propagation
