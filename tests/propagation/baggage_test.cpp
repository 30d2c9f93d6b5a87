// SPDX-License-Identifier: Apache-2.0
// The Baggage API (R4.6, R4.8): immutable get/get_all/set/remove, clearing, and storage in
// the context's baggage slot.
#include "ctxflow/propagation/baggage.hpp"

#include <gtest/gtest.h>

#include <string>

#include "ctxflow/context/scope.hpp"
#include "ctxflow/testing/diagnostics_capture.hpp"

namespace ctxflow::propagation {
namespace {

TEST(Baggage, StartsEmptyWithoutAnSdk) {
  // R4.8: works without an SDK
  EXPECT_TRUE(baggage().empty());
  EXPECT_TRUE(baggage::current().empty());
  EXPECT_FALSE(baggage().get("x").has_value());
}

TEST(Baggage, SetReturnsANewBaggageAndLeavesTheOriginal) {
  // R4.8 immutability
  const baggage a = baggage().set("k", "v");
  const baggage b = a.set("k2", "v2");
  EXPECT_EQ(a.size(), 1u);
  EXPECT_EQ(b.size(), 2u);
  EXPECT_EQ(b.get("k").value(), "v");
  EXPECT_EQ(b.get("k2").value(), "v2");
  EXPECT_FALSE(a.get("k2").has_value());
}

TEST(Baggage, GetReturnsExactlyTheValueGivenToSet) {
  // R4.8: any UTF-8 names and values, case-sensitive
  const std::string value = "Am\xC3\xA9lie, \"quoted\"; =x";
  const baggage b = baggage().set("N\xC3\xA4me", value).set("key", "lower").set("KEY", "upper");
  EXPECT_EQ(b.get("N\xC3\xA4me").value(), value);
  EXPECT_EQ(b.get("key").value(), "lower");
  EXPECT_EQ(b.get("KEY").value(), "upper");
  EXPECT_EQ(b.set("empty", "").get("empty").value(), "");
}

TEST(Baggage, SettingANameAgainReplacesItsValue) {
  // R4.6: one value per name, the new pair wins
  const baggage b = baggage().set("k", "1", "meta").set("other", "x").set("k", "2");
  EXPECT_EQ(b.size(), 2u);
  EXPECT_EQ(b.get("k").value(), "2");
  EXPECT_EQ(b.find("k")->metadata, "");
}

TEST(Baggage, MetadataIsKeptWithTheEntry) {
  // R4.7
  const baggage b = baggage().set("k", "v", "p1;p2=x");
  ASSERT_NE(b.find("k"), nullptr);
  EXPECT_EQ(b.find("k")->metadata, "p1;p2=x");
}

TEST(Baggage, RemoveReturnsANewBaggageWithoutTheName) {
  // R4.8
  const baggage a = baggage().set("a", "1").set("b", "2");
  const baggage b = a.remove("a");
  EXPECT_FALSE(b.get("a").has_value());
  EXPECT_EQ(b.get("b").value(), "2");
  EXPECT_TRUE(a.get("a").has_value());
  EXPECT_TRUE(b.remove("b").empty());
  EXPECT_EQ(a.remove("missing"), a);
}

TEST(Baggage, GetAllListsEveryEntry) {
  // R4.8
  const baggage b = baggage().set("a", "1").set("b", "2").set("c", "3");
  std::string seen;
  for (const auto& e : b.get_all()) seen += std::string(e.name) + "=" + std::string(e.value) + ";";
  EXPECT_EQ(seen, "a=1;b=2;c=3;");
}

TEST(Baggage, AnEmptyNameIsRejectedWithADiagnostic) {
  // R4.8: names are non-empty
  ctxflow::testing::diagnostics_capture capture;
  const baggage a = baggage().set("k", "v");
  EXPECT_EQ(a.set("", "x"), a);
  EXPECT_EQ(capture.count("propagation.baggage.invalid_name"), 1u);
}

TEST(Baggage, EqualityIgnoresOrder) {
  EXPECT_EQ(baggage().set("a", "1").set("b", "2"), baggage().set("b", "2").set("a", "1"));
  EXPECT_NE(baggage().set("a", "1"), baggage().set("a", "2"));
  EXPECT_NE(baggage().set("a", "1", "m"), baggage().set("a", "1"));
}

TEST(Baggage, LivesInTheContextAndFollowsTheCurrentContext) {
  // R4.8, C1: the baggage slot of a context
  const baggage b = baggage().set("tenant", "acme");
  const context ctx = with_baggage(context(), b);
  EXPECT_EQ(baggage::from(ctx).get("tenant").value(), "acme");
  EXPECT_TRUE(baggage::current().empty());
  {
    scope s{ctx};
    EXPECT_EQ(baggage::current().get("tenant").value(), "acme");
  }
  EXPECT_TRUE(baggage::current().empty());
}

TEST(Baggage, CanBeClearedFromAContext) {
  // R4.8: a way to clear all baggage
  const context ctx = with_baggage(context(), baggage().set("a", "1"));
  EXPECT_TRUE(baggage::from(without_baggage(ctx)).empty());
  EXPECT_TRUE(baggage::from(with_baggage(ctx, baggage())).empty());
  EXPECT_FALSE(baggage::from(ctx).empty());  // the original context is unchanged
}

TEST(Baggage, EntriesOutliveTheContextTheyCameFrom) {
  baggage kept;
  {
    const context ctx = with_baggage(context(), baggage().set("a", std::string(100, 'x')));
    kept = baggage::from(ctx);
  }
  EXPECT_EQ(kept.get("a").value(), std::string(100, 'x'));
}

}  // namespace
}  // namespace ctxflow::propagation
