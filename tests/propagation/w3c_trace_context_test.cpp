// SPDX-License-Identifier: Apache-2.0
// The tracecontext propagator: the traceparent vectors of docs/requirements.md §2 (R2.1-R2.13)
// and the tracestate rules that depend on traceparent (R3.1, R3.2, R3.5, R3.9).
#include "ctxflow/propagation/w3c_trace_context.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/testing/diagnostics_capture.hpp"
#include "ctxflow/trace/span.hpp"
#include "propagation/test_support.hpp"

namespace ctxflow::propagation {
namespace {

using testing::headers;
using testing::span_hex;
using testing::trace_hex;

const std::string T(trace_hex);
const std::string P(span_hex);

std::optional<trace::span_context> extract_one(const std::string& traceparent) {
  const w3c_trace_context_propagator prop;
  const headers h{{"traceparent", traceparent}};
  const context ctx = extract(prop, context(), h);
  const trace::span_context sc = trace::span_context_from(ctx);
  if (!sc.valid()) return std::nullopt;
  return sc;
}

bool valid(const std::string& traceparent) { return extract_one(traceparent).has_value(); }

TEST(TraceParent, ValidVersion00ValuesAreExtracted) {
  // R2.2, R2.6 vectors: sampled / unsampled / random
  for (const char* flags : {"01", "00", "02"}) {
    auto sc = extract_one("00-" + T + "-" + P + "-" + flags);
    ASSERT_TRUE(sc) << flags;
    EXPECT_EQ(testing::hex(sc->trace), T);
    EXPECT_EQ(testing::hex(sc->span), P);
  }
  EXPECT_TRUE(extract_one("00-" + T + "-" + P + "-01")->sampled());
  EXPECT_FALSE(extract_one("00-" + T + "-" + P + "-00")->sampled());
  EXPECT_TRUE(extract_one("00-" + T + "-" + P + "-02")->flags.random());
  EXPECT_FALSE(extract_one("00-" + T + "-" + P + "-02")->sampled());
}

TEST(TraceParent, FlagBitsAreTestedWithMasks) {
  // R2.6: 0x03 is sampled and random; 0xff keeps sampled set although the byte is not 0x01
  auto sc = extract_one("00-" + T + "-" + P + "-ff");
  ASSERT_TRUE(sc);
  EXPECT_TRUE(sc->sampled());
  EXPECT_TRUE(sc->flags.random());
  EXPECT_EQ(sc->flags.value, 0xFF);  // R2.13: kept as received
}

TEST(TraceParent, ExtractedContextIsRemote) {
  // R2.12
  auto sc = extract_one("00-" + T + "-" + P + "-01");
  ASSERT_TRUE(sc);
  EXPECT_TRUE(sc->remote);
}

TEST(TraceParent, FutureVersionsAreAcceptedAndTheirExtraDataIgnored) {
  // R2.8
  EXPECT_TRUE(valid("cc-" + T + "-" + P + "-01"));
  EXPECT_TRUE(valid("cc-" + T + "-" + P + "-01-what-the-future-will-be-like"));
  EXPECT_FALSE(valid("cc-" + T + "-" + P + "-01.what-the-future-will-be-like"));
  EXPECT_FALSE(valid("cc-" + T + "-" + P));  // shorter than 55
}

TEST(TraceParent, FutureVersionFlagsKeepOnlyTheDefinedBits) {
  // R2.8
  auto sc = extract_one("cc-" + T + "-" + P + "-ff");
  ASSERT_TRUE(sc);
  EXPECT_EQ(sc->flags.value, 0x03);
}

TEST(TraceParent, FutureVersionsStillNeedLowercaseNonZeroIds) {
  // R2.8 [D]
  const std::string upper_hex = "abcdef0123456789abcdef0123456789";
  std::string upper_trace = upper_hex;
  for (auto& c : upper_trace) c = static_cast<char>(std::toupper(c));
  EXPECT_FALSE(valid("cc-" + upper_trace + "-" + P + "-01"));
  EXPECT_FALSE(valid("cc-" + std::string(32, '0') + "-" + P + "-01"));
  EXPECT_FALSE(valid("cc-" + T + "-" + std::string(16, '0') + "-01"));
}

TEST(TraceParent, TrailingDataOnVersion00MakesItInvalid) {
  // R2.7
  EXPECT_FALSE(valid("00-" + T + "-" + P + "-01."));
  EXPECT_FALSE(valid("00-" + T + "-" + P + "-01-what-the-future-will-be-like"));
}

TEST(TraceParent, InvalidVersionsAreIgnored) {
  // R2.3
  EXPECT_FALSE(valid("ff-" + T + "-" + P + "-01"));
  EXPECT_FALSE(valid("0-" + T + "-" + P + "-01"));
  EXPECT_FALSE(valid("000-" + T + "-" + P + "-01"));
  EXPECT_FALSE(valid(".0-" + T + "-" + P + "-01"));
  EXPECT_FALSE(valid("0g-" + T + "-" + P + "-01"));
  EXPECT_FALSE(valid("0A-" + T + "-" + P + "-01"));
}

TEST(TraceParent, AllZeroIdsAreInvalid) {
  // R2.4, R2.5
  EXPECT_FALSE(valid("00-" + std::string(32, '0') + "-" + P + "-01"));
  EXPECT_FALSE(valid("00-" + T + "-" + std::string(16, '0') + "-01"));
}

TEST(TraceParent, WrongFieldLengthsAreInvalid) {
  // R2.4, R2.5, R2.6: trace id 31/33, parent id 15/17, flags 1/3
  EXPECT_FALSE(valid("00-" + T.substr(1) + "-" + P + "-01"));
  EXPECT_FALSE(valid("00-" + T + "1-" + P + "-01"));
  EXPECT_FALSE(valid("00-" + T + "-" + P.substr(1) + "-01"));
  EXPECT_FALSE(valid("00-" + T + "-" + P + "1-01"));
  EXPECT_FALSE(valid("00-" + T + "-" + P + "-1"));
  EXPECT_FALSE(valid("00-" + T + "-" + P + "-011"));
}

TEST(TraceParent, AnIllegalCharacterInAnyFieldMakesItInvalid) {
  // R2.2
  for (std::size_t pos : {3u, 20u, 34u, 36u, 45u, 51u, 53u, 54u}) {
    std::string v = "00-" + T + "-" + P + "-01";
    v[pos] = '.';
    EXPECT_FALSE(valid(v)) << v;
  }
  std::string bad_dash = "00-" + T + "-" + P + "-01";
  bad_dash[35] = '_';
  EXPECT_FALSE(valid(bad_dash));
}

TEST(TraceParent, UppercaseHexMakesTheHeaderInvalid) {
  // R2.2 (HEXDIGLC)
  EXPECT_FALSE(valid("00-ABCDEF78901234567890123456789012-" + P + "-01"));
  EXPECT_FALSE(valid("00-" + T + "-ABCDEF7890123456-01"));
  EXPECT_FALSE(valid("00-" + T + "-" + P + "-0A"));
  EXPECT_TRUE(valid("00-abcdef78901234567890123456789012-" + P + "-01"));
}

TEST(TraceParent, SurroundingSpacesAndTabsAreTrimmed) {
  // R2.9
  EXPECT_TRUE(valid(" \t00-" + T + "-" + P + "-01\t "));
  EXPECT_FALSE(valid("00 -" + T + "-" + P + "-01"));
}

TEST(TraceParent, TheHeaderNameIsMatchedCaseInsensitivelyByHttpCarriers) {
  // R2.1
  const w3c_trace_context_propagator prop;
  for (const char* name : {"traceparent", "TraceParent", "TRACEPARENT"}) {
    const headers h{{name, "00-" + T + "-" + P + "-01"}};
    EXPECT_TRUE(trace::span_context_from(extract(prop, context(), h)).valid()) << name;
  }
  for (const char* name : {"trace-parent", "trace.parent", "trace_parent"}) {
    const headers h{{name, "00-" + T + "-" + P + "-01"}};
    EXPECT_FALSE(trace::span_context_from(extract(prop, context(), h)).valid()) << name;
  }
}

TEST(TraceParent, TwoTraceparentFieldsStartANewTrace) {
  // R2.10
  ctxflow::testing::diagnostics_capture capture;
  const w3c_trace_context_propagator prop;
  const headers h{{"traceparent", "00-" + T + "-" + P + "-01"},
                  {"traceparent", "00-" + T + "-" + P + "-01"}};
  const context ctx = extract(prop, context(), h);
  EXPECT_TRUE(ctx.empty());
  EXPECT_EQ(capture.count("propagation.traceparent.duplicate"), 1u);
}

TEST(TraceParent, InvalidInputReturnsTheInputContextUnchangedAndReports) {
  // R2.11, R5.2: a valid parent already in the context stays
  ctxflow::testing::diagnostics_capture capture;
  const w3c_trace_context_propagator prop;
  const context base = testing::context_with(
      testing::make_span_context("abcdefabcdefabcdefabcdefabcdefab", "abcdefabcdefabcd"));
  const headers h{{"traceparent", "00-" + T + "-" + P + "-0x"}, {"tracestate", "a=1"}};
  const context out = extract(prop, base, h);
  EXPECT_TRUE(out == base);
  EXPECT_EQ(capture.count("propagation.traceparent.invalid"), 1u);
}

TEST(TraceParent, EveryNonHexByteAtEveryIdPositionIsRejected) {
  // R2.2: the ids are decoded in blocks; each position and each kind of byte must still count
  const std::string good = "00-" + T + "-" + P + "-01";
  const std::string bad_bytes = std::string("/:@`gAFG .") + '\x80' + '\xB0' + '\xE1' + '\xFF';
  for (std::size_t pos = 3; pos < 53; ++pos) {
    if (pos == 35 || pos == 52) continue;
    for (char c : bad_bytes) {
      std::string v = good;
      v[pos] = c;
      ASSERT_FALSE(parse_traceparent(v).has_value()) << "pos=" << pos << " byte=" << int(c);
    }
  }
}

TEST(TraceParent, EveryHexDigitAtEveryIdPositionDecodesToItsValue) {
  // R2.2-R2.3: lowercase hex, high nibble first
  const std::string digits = "0123456789abcdef";
  for (std::size_t pos = 3; pos < 53; ++pos) {
    if (pos == 35 || pos == 52) continue;
    for (std::size_t d = 0; d < digits.size(); ++d) {
      std::string v = "00-" + std::string(32, '1') + "-" + std::string(16, '1') + "-01";
      v[pos] = digits[d];
      const auto sc = parse_traceparent(v);
      ASSERT_TRUE(sc.has_value()) << v;
      const bool in_trace = pos < 35;
      const std::size_t nibble = in_trace ? pos - 3 : pos - 36;
      const std::uint8_t byte = in_trace ? sc->trace.bytes[nibble / 2] : sc->span.bytes[nibble / 2];
      const auto expected = static_cast<std::uint8_t>(nibble % 2 == 0 ? d << 4 | 1 : 0x10 | d);
      ASSERT_EQ(byte, expected) << v;
      char back[traceparent_size];
      format_traceparent(*sc, back);
      ASSERT_EQ(std::string_view(back, traceparent_size), v);
    }
  }
}

TEST(TraceParent, AFloodOfInvalidHeadersIsCountedButOnlyTheRateLimitIsDelivered) {
  // docs/requirements.md §11: bad headers from a peer cannot flood the host; each is counted
  int delivered = 0;
  auto previous = set_diagnostics_handler([&](const diagnostic& d) {
    if (d.code == "propagation.traceparent.invalid") ++delivered;
  });
  set_diagnostics_rate_limit(3);
  const w3c_trace_context_propagator prop;
  const headers h{{"traceparent", "00-" + T + "-" + P + "-0X"}};
  const auto before = diagnostics_stats();
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(extract(prop, context(), h).empty());
  const auto after = diagnostics_stats();
  set_diagnostics_rate_limit(100);
  set_diagnostics_handler(std::move(previous));
  EXPECT_GE(delivered, 1);
  EXPECT_LE(delivered, 3 * 2);  // at most two windows if the second changed during the loop
  EXPECT_EQ((after.reported - before.reported) + (after.suppressed - before.suppressed), 1000u);
}

TEST(TraceParent, AReplacedHandlerReceivesReportsAgainAfterAFlood) {
  // The handler swap ends the suppression of the old window.
  auto previous = set_diagnostics_handler([](const diagnostic&) {});
  set_diagnostics_rate_limit(1);
  const w3c_trace_context_propagator prop;
  const headers h{{"traceparent", "00-" + T + "-" + P + "-0X"}};
  for (int i = 0; i < 100; ++i) (void)extract(prop, context(), h);
  set_diagnostics_rate_limit(100);
  set_diagnostics_handler(std::move(previous));
  ctxflow::testing::diagnostics_capture capture;
  (void)extract(prop, context(), h);
  EXPECT_EQ(capture.count("propagation.traceparent.invalid"), 1u);
}

TEST(TraceParent, AMissingHeaderIsNotReported) {
  ctxflow::testing::diagnostics_capture capture;
  const w3c_trace_context_propagator prop;
  const headers h{{"content-type", "text/plain"}};
  EXPECT_TRUE(extract(prop, context(), h).empty());
  EXPECT_EQ(capture.size(), 0u);
}

TEST(TraceParent, InjectWritesVersion00LowercaseWithFlagsMaskedToDefinedBits) {
  // R2.13
  const w3c_trace_context_propagator prop;
  headers h;
  inject(prop, testing::context_with(testing::make_span_context(
                   "abcdef78901234567890123456789012", "abcdef7890123456", 0xFF)),
         h);
  EXPECT_EQ(testing::header(h, "traceparent"), "00-abcdef78901234567890123456789012-abcdef7890123456-03");
  EXPECT_EQ(testing::header(h, "tracestate"), "<absent>");
}

TEST(TraceParent, InjectKeepsAnUnsetSampledFlagAndTheRandomFlag) {
  // R2.14, R2.16: unsampled spans still send a traceparent, flags as they are
  const w3c_trace_context_propagator prop;
  headers h;
  inject(prop, testing::context_with(testing::make_span_context(trace_hex, span_hex, 0x02)), h);
  EXPECT_EQ(testing::header(h, "traceparent"), "00-" + T + "-" + P + "-02");
}

TEST(TraceParent, InjectWritesNothingForAnInvalidSpanContext) {
  // R2.13
  const w3c_trace_context_propagator prop;
  headers h;
  inject(prop, context(), h);
  EXPECT_TRUE(h.empty());
}

TEST(TraceParent, InjectReplacesAFieldAlreadyInTheCarrier) {
  // R5.3 set replaces; R5.4 reuse of a carrier
  const w3c_trace_context_propagator prop;
  headers h{{"TraceParent", "00-" + std::string(32, 'f') + "-" + std::string(16, 'f') + "-01"}};
  inject(prop, testing::context_with(testing::make_span_context()), h);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].first, "TraceParent");  // the existing spelling is kept
  EXPECT_EQ(h[0].second, "00-" + T + "-" + P + "-01");
}

TEST(TraceParent, FormatAndParseRoundTrip) {
  const trace::span_context sc = testing::make_span_context(trace_hex, span_hex, 0x01);
  char buf[traceparent_size];
  format_traceparent(sc, buf);
  auto back = parse_traceparent(std::string_view(buf, traceparent_size));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->trace, sc.trace);
  EXPECT_EQ(back->span, sc.span);
  EXPECT_EQ(back->flags, sc.flags);
}

TEST(TraceState, IsExtractedWithAValidTraceparent) {
  // R3.1, R3.10
  const w3c_trace_context_propagator prop;
  const headers h{{"traceparent", "00-" + T + "-" + P + "-01"}, {"TraceState", "foo=1, bar=2"}};
  const trace::span_context sc = trace::span_context_from(extract(prop, context(), h));
  ASSERT_TRUE(sc.valid());
  EXPECT_EQ(sc.state.header(), "foo=1,bar=2");
}

TEST(TraceState, WithoutAValidTraceparentItIsDiscarded) {
  // R3.1
  const w3c_trace_context_propagator prop;
  const headers h{{"traceparent", "00-" + T + "-" + P + "-0x"}, {"tracestate", "foo=1"}};
  EXPECT_TRUE(extract(prop, context(), h).empty());
  const headers only_state{{"tracestate", "foo=1"}};
  EXPECT_TRUE(extract(prop, context(), only_state).empty());
}

TEST(TraceState, ABrokenTracestateNeverInvalidatesTraceparent) {
  // R3.1, R3.5
  ctxflow::testing::diagnostics_capture capture;
  const w3c_trace_context_propagator prop;
  const headers h{{"traceparent", "00-" + T + "-" + P + "-01"}, {"tracestate", "foo=1,Bad=2"}};
  const trace::span_context sc = trace::span_context_from(extract(prop, context(), h));
  EXPECT_TRUE(sc.valid());
  EXPECT_TRUE(sc.state.empty());
  EXPECT_EQ(capture.count("propagation.tracestate.invalid"), 1u);
}

TEST(TraceState, SeveralFieldsAreJoinedInOrder) {
  // R3.2
  const w3c_trace_context_propagator prop;
  const headers h{{"tracestate", "a=1"},
                  {"traceparent", "00-" + T + "-" + P + "-01"},
                  {"tracestate", "b=2,c=3"}};
  const trace::span_context sc = trace::span_context_from(extract(prop, context(), h));
  EXPECT_EQ(sc.state.header(), "a=1,b=2,c=3");
}

TEST(TraceState, IsInjectedOnlyWhenNonEmptyAndTruncatedTo512) {
  // R2.13, R3.9
  const w3c_trace_context_propagator prop;
  trace::span_context sc = testing::make_span_context();
  sc.state = trace::trace_state::parse("a=1,b=2");
  headers h;
  inject(prop, testing::context_with(sc), h);
  EXPECT_EQ(testing::header(h, "tracestate"), "a=1,b=2");

  std::string big;
  for (int i = 0; i < 10; ++i) big += (i ? "," : "") + std::string("k") + std::to_string(i) + "=" + std::string(100, 'v');
  sc.state = trace::trace_state::parse(big);
  ASSERT_EQ(sc.state.size(), 10u);
  headers h2;
  inject(prop, testing::context_with(sc), h2);
  const std::string out = testing::header(h2, "tracestate");
  EXPECT_LE(out.size(), 512u);
  EXPECT_EQ(out.substr(0, 4), "k0=v");
  EXPECT_EQ(out.find("k9="), std::string::npos);  // removed from the right
}

TEST(TraceState, PassThroughLeavesItUnchangedIncludingTheOtEntry) {
  // R3.8, R3.11: values we do not set are preserved byte for byte
  const w3c_trace_context_propagator prop;
  const std::string state = "ot=th:8;rv:0123456789abcd,vendor=x y";
  const headers in{{"traceparent", "00-" + T + "-" + P + "-01"}, {"tracestate", state}};
  headers out;
  inject(prop, extract(prop, context(), in), out);
  EXPECT_EQ(testing::header(out, "tracestate"), state);
  EXPECT_EQ(testing::header(out, "traceparent"), "00-" + T + "-" + P + "-01");
}

TEST(TraceContext, FieldsAreTraceparentAndTracestate) {
  // R5.4
  const w3c_trace_context_propagator prop;
  ASSERT_EQ(prop.fields().size(), 2u);
  EXPECT_EQ(prop.fields()[0], "traceparent");
  EXPECT_EQ(prop.fields()[1], "tracestate");
}

TEST(TraceContext, WorksWithExactMatchMaps) {
  // R5.3 adapters: std::map with lowercase names
  const w3c_trace_context_propagator prop;
  std::map<std::string, std::string> carrier;
  inject(prop, testing::context_with(testing::make_span_context()), carrier);
  EXPECT_EQ(carrier.at("traceparent"), "00-" + T + "-" + P + "-01");
  const trace::span_context sc = trace::span_context_from(extract(prop, context(), carrier));
  EXPECT_EQ(testing::hex(sc.trace), T);
}

}  // namespace
}  // namespace ctxflow::propagation
