// SPDX-License-Identifier: Apache-2.0
// trace_state: parsing (R3.3-R3.6), mutation (R3.7), serialisation and truncation (R3.9,
// R3.10).
#include "ctxflow/trace/trace_state.hpp"

#include <gtest/gtest.h>

#include <string>

#include "ctxflow/testing/diagnostics_capture.hpp"

namespace ctxflow::trace {
namespace {

std::string members_of(const trace_state& ts) {
  std::string out;
  for (const auto& [k, v] : ts.members()) out += std::string(k) + "=" + std::string(v) + ";";
  return out;
}

TEST(TraceState, ParsesMembersInOrderAndSerialisesWithoutWhitespace) {
  // R3.3, R3.10
  const trace_state ts = trace_state::parse(" foo=1 ,\tbar=two words ");
  EXPECT_EQ(ts.size(), 2u);
  EXPECT_EQ(members_of(ts), "foo=1;bar=two words;");
  EXPECT_EQ(ts.header(), "foo=1,bar=two words");
  EXPECT_EQ(ts.to_header(), "foo=1,bar=two words");
}

TEST(TraceState, EmptyAndWhitespaceOnlyMembersAreSkipped) {
  // R3.4
  EXPECT_EQ(trace_state::parse("a=1,,b=2").header(), "a=1,b=2");
  EXPECT_EQ(trace_state::parse(" , ").size(), 0u);
  EXPECT_TRUE(trace_state::parse("").empty());
  EXPECT_EQ(trace_state::parse("a=1, \t ,b=2").size(), 2u);
}

TEST(TraceState, KeysFollowTheLevel2Grammar) {
  // R3.3
  EXPECT_TRUE(trace_state::valid_key("foo"));
  EXPECT_TRUE(trace_state::valid_key("0foo"));
  EXPECT_TRUE(trace_state::valid_key("foo@"));
  EXPECT_TRUE(trace_state::valid_key("foo@@bar"));
  EXPECT_TRUE(trace_state::valid_key("foo@bar@baz"));
  EXPECT_TRUE(trace_state::valid_key("abcdefghijklmnopqrstuvwxyz0123456789_-*/"));
  EXPECT_FALSE(trace_state::valid_key("@foo"));
  EXPECT_FALSE(trace_state::valid_key("Foo"));
  EXPECT_FALSE(trace_state::valid_key("_foo"));
  EXPECT_FALSE(trace_state::valid_key("foo.bar"));
  EXPECT_FALSE(trace_state::valid_key(""));
  EXPECT_TRUE(trace_state::valid_key(std::string(256, 'a')));
  EXPECT_FALSE(trace_state::valid_key(std::string(257, 'a')));
}

TEST(TraceState, ValuesArePrintableWithoutCommaOrEqualsAndEndInANonSpace) {
  // R3.3
  EXPECT_TRUE(trace_state::valid_value(" leading"));
  EXPECT_TRUE(trace_state::valid_value("!\"#$%&'()*+-./:;<>?@[\\]^_`{|}~"));
  EXPECT_FALSE(trace_state::valid_value(""));
  EXPECT_FALSE(trace_state::valid_value("trailing "));
  EXPECT_FALSE(trace_state::valid_value("a,b"));
  EXPECT_FALSE(trace_state::valid_value("a=b"));
  EXPECT_FALSE(trace_state::valid_value("tab\there"));
  EXPECT_FALSE(trace_state::valid_value("\x7f"));
  EXPECT_TRUE(trace_state::valid_value(std::string(256, 'v')));
  EXPECT_FALSE(trace_state::valid_value(std::string(257, 'v')));
}

TEST(TraceState, LeadingSpacesOfAValueBelongToTheValue) {
  // R3.3
  const trace_state ts = trace_state::parse("foo= bar");
  ASSERT_EQ(ts.size(), 1u);
  EXPECT_EQ(ts.get("foo").value(), " bar");
}

TEST(TraceState, AnyInvalidMemberDropsTheWholeHeader) {
  // R3.5 [D]
  EXPECT_TRUE(trace_state::parse("a=1,foo=,b=2").empty());
  EXPECT_TRUE(trace_state::parse("a=1,@foo=1").empty());
  EXPECT_TRUE(trace_state::parse("a=1,novalue").empty());
  EXPECT_TRUE(trace_state::parse("a=1,b=x=y").empty());
  EXPECT_TRUE(trace_state::parse("A=1").empty());
}

TEST(TraceState, ATabInsideAValueDropsTheHeaderAlsoWhenTheValueEndsInTabs) {
  // R3.3: a tab may only surround a member (OWS), never sit inside its value.
  EXPECT_TRUE(trace_state::parse("o=3'4bb7\tc3'4bb7\t").empty());
  EXPECT_TRUE(trace_state::parse(",o=a\tb\t,c=1").empty());
  EXPECT_TRUE(trace_state::parse("o=a\tb").empty());
  const trace_state ok = trace_state::parse("o=ab\t\t,c=1");
  ASSERT_EQ(ok.size(), 2u);
  EXPECT_EQ(ok.get("o").value(), "ab");
}

TEST(TraceState, ThirtyTwoMembersAreKeptAndThirtyThreeDropTheHeader) {
  // R3.5: only non-empty members count
  std::string h;
  for (int i = 0; i < 32; ++i) h += "k" + std::to_string(i) + "=v,,";
  EXPECT_EQ(trace_state::parse(h).size(), 32u);
  h += "k32=v";
  EXPECT_TRUE(trace_state::parse(h).empty());
}

TEST(TraceState, DuplicateKeysKeepTheFirstOccurrence) {
  // R3.6 [D]
  const trace_state ts = trace_state::parse("a=1,b=2,a=3");
  EXPECT_EQ(ts.header(), "a=1,b=2");
}

TEST(TraceState, SeveralFieldsParseAsTheirCommaJoin) {
  // R3.2
  trace_state::parser p;
  p.feed("a=1");
  p.feed("b=2, c=3");
  p.feed("");
  EXPECT_EQ(p.finish().header(), "a=1,b=2,c=3");
}

TEST(TraceState, SetPutsTheEntryLeftmostAndRemovesTheOldOne) {
  // R3.7
  const trace_state ts = trace_state::parse("a=1,b=2,c=3");
  const trace_state moved = ts.set("b", "9");
  EXPECT_EQ(moved.header(), "b=9,a=1,c=3");
  EXPECT_EQ(ts.header(), "a=1,b=2,c=3");  // the original is unchanged
  EXPECT_EQ(ts.set("z", "0").header(), "z=0,a=1,b=2,c=3");
}

TEST(TraceState, SetDropsTheRightmostEntryBeyondThirtyTwo) {
  // R3.7
  std::string h;
  for (int i = 0; i < 32; ++i) h += (i ? "," : "") + std::string("k") + std::to_string(i) + "=v";
  const trace_state full = trace_state::parse(h);
  ASSERT_EQ(full.size(), 32u);
  const trace_state next = full.set("new", "1");
  EXPECT_EQ(next.size(), 32u);
  EXPECT_EQ(next.members().front().first, "new");
  EXPECT_FALSE(next.get("k31").has_value());
  EXPECT_TRUE(next.get("k30").has_value());
}

TEST(TraceState, InvalidMutationsLeaveTheListUnchangedAndReport) {
  // R3.7
  testing::diagnostics_capture capture;
  const trace_state ts = trace_state::parse("a=1");
  EXPECT_EQ(ts.set("Bad", "1"), ts);
  EXPECT_EQ(ts.set("ok", "bad,value"), ts);
  EXPECT_EQ(ts.set("ok", ""), ts);
  EXPECT_EQ(capture.count("trace.tracestate.invalid"), 3u);
}

TEST(TraceState, EraseRemovesOnlyThatKey) {
  // R3.7
  const trace_state ts = trace_state::parse("a=1,b=2,c=3");
  EXPECT_EQ(ts.erase("b").header(), "a=1,c=3");
  EXPECT_EQ(ts.erase("missing"), ts);
  EXPECT_TRUE(trace_state::parse("a=1").erase("a").empty());
}

TEST(TraceState, TruncationRemovesLongEntriesFirstThenFromTheRight) {
  // R3.9
  const std::string big(200, 'x');
  const trace_state ts = trace_state::parse("a=1,big=" + big + ",b=2,c=3");
  EXPECT_EQ(ts.to_header(20), "a=1,b=2,c=3");
  EXPECT_EQ(ts.to_header(7), "a=1,b=2");
  EXPECT_EQ(ts.to_header(2), "");
  EXPECT_EQ(ts.to_header(4096), ts.header());
}

TEST(TraceState, CopiesShareOneImmutableList) {
  const trace_state a = trace_state::parse("k=v");
  const trace_state b = a;  // NOLINT: copy on purpose
  EXPECT_EQ(a.header().data(), b.header().data());
}

}  // namespace
}  // namespace ctxflow::trace
