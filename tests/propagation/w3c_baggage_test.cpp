// SPDX-License-Identifier: Apache-2.0
// The baggage propagator and header codec: grammar (R4.2), percent-encoding (R4.3), limits
// (R4.4), invalid members (R4.5), duplicates (R4.6), metadata (R4.7), the R4.9 vectors, and
// the header name (R4.1).
#include "ctxflow/propagation/w3c_baggage.hpp"

#include <gtest/gtest.h>

#include <string>

#include "ctxflow/testing/diagnostics_capture.hpp"
#include "propagation/test_support.hpp"

namespace ctxflow::propagation {
namespace {

using testing::headers;

baggage parse1(std::string_view h, baggage_limits limits = {}) {
  const std::string_view f[] = {h};
  return parse_baggage(f, limits);
}

TEST(W3cBaggage, ParsesTheSpecExampleWithPercentDecoding) {
  // R4.9
  const baggage b = parse1("userId=alice,serverNode=DF%2028,isProduction=false");
  EXPECT_EQ(b.size(), 3u);
  EXPECT_EQ(b.get("userId").value(), "alice");
  EXPECT_EQ(b.get("serverNode").value(), "DF 28");
  EXPECT_EQ(b.get("isProduction").value(), "false");
}

TEST(W3cBaggage, DecodesUtf8Values) {
  // R4.9
  EXPECT_EQ(parse1("userId=Am%C3%A9lie").get("userId").value(), "Am\xC3\xA9lie");
}

TEST(W3cBaggage, OwsAroundKeysValuesAndPropertiesIsNotPartOfThem) {
  // R4.9, R4.2, R4.7
  const baggage b = parse1("SomeKey \t = \t SomeValue \t ; \t SomeProp");
  ASSERT_EQ(b.size(), 1u);
  const auto* e = b.find("SomeKey");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->value, "SomeValue");
  EXPECT_EQ(e->metadata, "SomeProp");
}

TEST(W3cBaggage, EncodesOnlyWhatMustBeEncoded) {
  // R4.9 [D]: minimal encoding, space as %20, % itself encoded
  const baggage b = baggage().set("k", "\t \"';=asdf!@#$%^&*()");
  EXPECT_EQ(serialize_baggage(b), "k=%09%20%22'%3B=asdf!@#$%25^&*()");
}

TEST(W3cBaggage, TheReferenceEncodingDecodesToTheSameValue) {
  // R4.9
  const baggage b = parse1("k=%09%20%22%27%3B%3Dasdf%21%40%23%24%25%5E%26%2A%28%29");
  EXPECT_EQ(b.get("k").value(), "\t \"';=asdf!@#$%^&*()");
  const baggage minimal = parse1("k=%09%20%22'%3B=asdf!@#$%25^&*()");
  EXPECT_EQ(minimal.get("k").value(), b.get("k").value());
}

TEST(W3cBaggage, NonAsciiBytesAndBackslashAreEncodedOnOutput) {
  // R4.3
  const baggage b = baggage().set("k", "\xC3\xA9\\,\x7F");
  EXPECT_EQ(serialize_baggage(b), "k=%C3%A9%5C%2C%7F");
}

TEST(W3cBaggage, ValuesMayContainEqualsSigns) {
  // R4.2: split on the first '='
  EXPECT_EQ(parse1("k=a=b").get("k").value(), "a=b");
}

TEST(W3cBaggage, EmptyValuesAreAllowed) {
  // R4.2: value = *baggage-octet
  const baggage b = parse1("k=,j=1");
  EXPECT_EQ(b.get("k").value(), "");
  EXPECT_EQ(b.get("j").value(), "1");
}

TEST(W3cBaggage, KeysAreCaseSensitiveAndNeverDecoded) {
  // R4.2, R4.3
  const baggage b = parse1("Key=1,key=2,k%41=3");
  EXPECT_EQ(b.get("Key").value(), "1");
  EXPECT_EQ(b.get("key").value(), "2");
  EXPECT_EQ(b.get("k%41").value(), "3");
  EXPECT_FALSE(b.get("kA").has_value());
}

TEST(W3cBaggage, InvalidUtf8BecomesReplacementCharacters) {
  // R4.3
  EXPECT_EQ(parse1("k=%FF").get("k").value(), "\xEF\xBF\xBD");
  EXPECT_EQ(parse1("k=a%C3").get("k").value(), "a\xEF\xBF\xBD");
  EXPECT_EQ(parse1("k=%E2%82A").get("k").value(), "\xEF\xBF\xBD" "A");  // one maximal subpart
  EXPECT_EQ(parse1("k=%ED%A0%80").get("k").value(),  // a surrogate: three bad bytes
            "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(parse1("k=%F0%9F%98%80").get("k").value(), "\xF0\x9F\x98\x80");
}

TEST(W3cBaggage, MalformedPercentSequencesAreKeptLiterally) {
  // R4.3 [D]
  EXPECT_EQ(parse1("k=%zz,j=50%,i=%4").get("k").value(), "%zz");
  EXPECT_EQ(parse1("k=%zz,j=50%,i=%4").get("j").value(), "50%");
  EXPECT_EQ(parse1("k=%zz,j=50%,i=%4").get("i").value(), "%4");
}

// baggage-octet (R4.2), byte by byte: what the value scan, 16 bytes at a time, must agree with.
bool reference_octet(unsigned char c) {
  return c == 0x21 || (c >= 0x23 && c <= 0x2B) || (c >= 0x2D && c <= 0x3A) ||
         (c >= 0x3C && c <= 0x5B) || (c >= 0x5D && c <= 0x7E);
}

TEST(W3cBaggage, EveryByteAtEveryPositionOfALongValueIsAcceptedExactlyWhenItIsABaggageOctet) {
  for (unsigned b = 0; b < 256; ++b) {
    const char c = static_cast<char>(b);
    if (c == ',' || c == ';') continue;  // they end the value (tested below)
    for (std::size_t pos = 1; pos < 39; ++pos) {
      std::string value(40, 'v');
      value[pos] = c;
      const baggage got = parse1("k=" + value);
      if (reference_octet(static_cast<unsigned char>(b))) {
        ASSERT_EQ(got.size(), 1u) << "byte " << b << " at " << pos;
        ASSERT_EQ(got.get("k").value(), value) << "byte " << b << " at " << pos;
      } else {
        ASSERT_TRUE(got.empty()) << "byte " << b << " at " << pos;
      }
    }
  }
  for (std::size_t pos = 1; pos < 39; ++pos) {
    std::string value(40, 'v');
    value[pos] = ',';
    EXPECT_EQ(parse1("k=" + value).get("k").value(), value.substr(0, pos));
    value[pos] = ';';
    const baggage with_metadata = parse1("k=" + value);
    EXPECT_EQ(with_metadata.get("k").value(), value.substr(0, pos));
    EXPECT_EQ(with_metadata.get_all()[0].metadata, value.substr(pos + 1));
  }
}

TEST(W3cBaggage, AnEscapeAnywhereInALongValueIsDecoded) {
  for (std::size_t pos = 0; pos + 3 <= 40; ++pos) {
    std::string value(40, 'v');
    value.replace(pos, 3, "%41");
    std::string decoded = value;
    decoded.replace(pos, 3, "A");
    EXPECT_EQ(parse1("k=" + value).get("k").value(), decoded) << "escape at " << pos;
  }
}

TEST(W3cBaggage, InvalidMembersAreDroppedAndValidOnesKept) {
  // R4.5 [D]
  const baggage b = parse1("good=1,no_equals,bad key=2,bad=sp ace,\"q\"=3,ok2=x");
  EXPECT_EQ(b.size(), 2u);
  EXPECT_EQ(b.get("good").value(), "1");
  EXPECT_EQ(b.get("ok2").value(), "x");
}

TEST(W3cBaggage, ARepeatedNameKeepsTheLastValue) {
  // R4.6 [D]
  const baggage b = parse1("k=1,j=2,k=3");
  EXPECT_EQ(b.size(), 2u);
  EXPECT_EQ(b.get("k").value(), "3");
}

TEST(W3cBaggage, MembersBeyondTheMemberLimitAreNotAccepted) {
  // R4.4: default 180 members
  std::string h;
  for (int i = 0; i < 200; ++i) h += (i ? "," : "") + std::string("k") + std::to_string(i) + "=v";
  const baggage b = parse1(h);
  EXPECT_EQ(b.size(), 180u);
  EXPECT_TRUE(b.get("k179").has_value());
  EXPECT_FALSE(b.get("k180").has_value());
  EXPECT_EQ(parse1(h, baggage_limits{3, 8192}).size(), 3u);
}

TEST(W3cBaggage, MembersBeyondTheByteLimitAreNotAcceptedAndNeverSplit) {
  // R4.4: 8192 bytes; no partial member
  const std::string v(4000, 'x');
  const baggage b = parse1("a=" + v + ",b=" + v + ",c=" + v);
  EXPECT_EQ(b.size(), 2u);
  EXPECT_EQ(b.get("b").value(), v);
  EXPECT_FALSE(b.get("c").has_value());
}

TEST(W3cBaggage, SixtyFourMembersOf8192BytesArePropagatedWhole) {
  // R4.4 MUST: at most 64 members and 8192 bytes are all kept
  std::string h;
  for (int i = 0; i < 64; ++i) {
    std::string m = "k" + std::to_string(i) + "=";
    m += std::string(127 - m.size() - (i ? 1 : 0), 'v');
    h += (i ? "," : "") + m;
  }
  ASSERT_LE(h.size(), 8192u);
  const baggage b = parse1(h);
  EXPECT_EQ(b.size(), 64u);
  EXPECT_EQ(serialize_baggage(b), h);
}

TEST(W3cBaggage, InjectSkipsMembersThatWouldExceedALimit) {
  // R4.4
  const std::string v(5000, 'x');
  const baggage b = baggage().set("a", v).set("b", v).set("c", "small");
  EXPECT_EQ(serialize_baggage(b), "a=" + v + ",c=small");
  EXPECT_EQ(serialize_baggage(baggage().set("a", "1").set("b", "2"), baggage_limits{1, 8192}), "a=1");
}

TEST(W3cBaggage, InjectSkipsNamesThatAreNotTokensAndReportsThem) {
  // R4.8 [D]
  ctxflow::testing::diagnostics_capture capture;
  const baggage b = baggage().set("bad name", "1").set("good", "2");
  EXPECT_EQ(serialize_baggage(b), "good=2");
  EXPECT_EQ(capture.count("propagation.baggage.invalid_name"), 1u);
}

TEST(W3cBaggage, InjectAppendsMetadata) {
  // R4.7
  EXPECT_EQ(serialize_baggage(baggage().set("k", "v", "p1;p2=x")), "k=v;p1;p2=x");
}

TEST(W3cBaggage, ThePropagatorRoundTripsThroughHeaders) {
  // R4.1: header `baggage`, lowercase
  const w3c_baggage_propagator prop;
  const baggage b = baggage().set("user", "alice smith").set("n", "1", "ttl=3");
  headers h;
  inject(prop, with_baggage(context(), b), h);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].first, "baggage");
  EXPECT_EQ(h[0].second, "user=alice%20smith,n=1;ttl=3");
  const baggage back = baggage::from(extract(prop, context(), h));
  EXPECT_EQ(back, b);
}

TEST(W3cBaggage, SeveralHeaderFieldsAreCombinedAndShareTheLimits) {
  // R4.1
  const w3c_baggage_propagator prop{baggage_limits{2, 8192}};
  const headers h{{"baggage", "a=1"}, {"Baggage", "b=2"}, {"BAGGAGE", "c=3"}};
  const baggage b = baggage::from(extract(prop, context(), h));
  EXPECT_EQ(b.size(), 2u);
  EXPECT_EQ(b.get("a").value(), "1");
  EXPECT_EQ(b.get("b").value(), "2");
}

TEST(W3cBaggage, NothingValidLeavesTheContextUnchanged) {
  // R4.5, R5.2
  const w3c_baggage_propagator prop;
  const context base = with_baggage(context(), baggage().set("keep", "me"));
  const headers h{{"baggage", "no_equals, =novalue"}};
  const context out = extract(prop, base, h);
  EXPECT_TRUE(out == base);
  const headers none{{"other", "x"}};
  EXPECT_TRUE(extract(prop, base, none) == base);
}

TEST(W3cBaggage, InjectWritesNoHeaderWhenThereIsNothingToSend) {
  // R4.8 [D]
  const w3c_baggage_propagator prop;
  headers h;
  inject(prop, context(), h);
  inject(prop, with_baggage(context(), baggage().set("bad name", "x")), h);
  EXPECT_TRUE(h.empty());
}

TEST(W3cBaggage, AHugeHeaderAllocatesOnlyWithinTheLimits) {
  // docs/requirements.md §11: bounded memory whatever the input size
  std::string h;
  h.reserve(4'000'000);
  while (h.size() < 4'000'000) h += "k=v,";
  const baggage b = parse1(h);
  EXPECT_EQ(b.size(), 1u);  // one distinct name, the last value wins
  std::string many;
  for (int i = 0; many.size() < 1'000'000; ++i) many += "k" + std::to_string(i) + "=v,";
  EXPECT_EQ(parse1(many).size(), 180u);
}

TEST(W3cBaggage, FieldsIsBaggage) {
  // R5.4
  const w3c_baggage_propagator prop;
  ASSERT_EQ(prop.fields().size(), 1u);
  EXPECT_EQ(prop.fields()[0], "baggage");
}

}  // namespace
}  // namespace ctxflow::propagation
