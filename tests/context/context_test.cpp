// SPDX-License-Identifier: Apache-2.0
// Rules C1-C3 and R1.1-R1.7: the context value, the current context, attach/detach and tokens.
#include "ctxflow/context/context.hpp"
#include "ctxflow/context/execution_unit.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "context/test_values.hpp"
#include "ctxflow/testing/diagnostics_capture.hpp"

namespace ctxflow {
namespace {

using test::int_value;
using test::value_of;

const context_key key_a{"a"};
const context_key key_b{"b"};

TEST(Context, KeysWithTheSameNameAreDifferentKeys) {  // R1.2
  context_key first{"same"};
  context_key second{"same"};
  EXPECT_FALSE(first == second);
  EXPECT_EQ(first.name(), "same");
}

TEST(Context, WriteReturnsANewContextAndLeavesTheOriginalUnchanged) {  // C1, R1.1, R1.3
  auto one = detail::make_ref<int_value>(1);
  auto two = detail::make_ref<int_value>(2);
  context base;
  context with_a = base.with_value(key_a, one.get());
  context with_ab = with_a.with_value(key_b, two.get());
  context replaced = with_ab.with_value(key_a, two.get());

  EXPECT_EQ(base.find(key_a), nullptr);
  EXPECT_EQ(value_of(with_a.find(key_a)), 1);
  EXPECT_EQ(with_a.find(key_b), nullptr);
  EXPECT_EQ(value_of(with_ab.find(key_a)), 1);
  EXPECT_EQ(value_of(with_ab.find(key_b)), 2);
  EXPECT_EQ(value_of(replaced.find(key_a)), 2);
  EXPECT_EQ(value_of(with_ab.find(key_a)), 1);
}

TEST(Context, RemovingAKeyReturnsAContextWithoutIt) {
  auto one = detail::make_ref<int_value>(1);
  context with_a = context{}.with_value(key_a, one.get());
  context removed = with_a.with_value(key_a, nullptr);
  EXPECT_EQ(removed.find(key_a), nullptr);
  EXPECT_EQ(value_of(with_a.find(key_a)), 1);
}

TEST(Context, CopyingSharesStateWithOneReferenceIncrement) {  // C1
  auto one = detail::make_ref<int_value>(1);
  context a = context{}.with_value(key_a, one.get());
  const auto before = a.impl()->use_count();
  context b = a;
  EXPECT_TRUE(a == b);
  EXPECT_EQ(a.impl(), b.impl());
  EXPECT_EQ(a.impl()->use_count(), before + 1);
}

TEST(Context, SpanAndBaggageSlotsAreIndependentOfEntries) {  // C1
  auto span = detail::make_ref<int_value>(7);
  auto bag = detail::make_ref<int_value>(8);
  auto one = detail::make_ref<int_value>(1);
  context c = context{}.with_span_slot(span.get()).with_baggage_slot(bag.get()).with_value(
      key_a, one.get());
  EXPECT_EQ(value_of(c.span_slot()), 7);
  EXPECT_EQ(value_of(c.baggage_slot()), 8);
  EXPECT_EQ(value_of(c.find(key_a)), 1);
  context cleared = c.with_span_slot(nullptr);
  EXPECT_EQ(cleared.span_slot(), nullptr);
  EXPECT_EQ(value_of(cleared.baggage_slot()), 8);
  EXPECT_EQ(value_of(c.span_slot()), 7);
}

TEST(Context, ValuesOutliveTheHandleThatCreatedThem) {
  context c;
  {
    auto one = detail::make_ref<int_value>(1);
    c = c.with_value(key_a, one.get());
  }
  EXPECT_EQ(value_of(c.find(key_a)), 1);
}

TEST(Context, ManyKeysKeepTheirValues) {
  std::vector<context_key> keys;
  for (int i = 0; i < 40; ++i) keys.emplace_back("k");
  context c;
  for (int i = 39; i >= 0; --i) {
    auto v = detail::make_ref<int_value>(i);
    c = c.with_value(keys[static_cast<std::size_t>(i)], v.get());
  }
  for (int i = 0; i < 40; ++i) EXPECT_EQ(value_of(c.find(keys[static_cast<std::size_t>(i)])), i);
}

TEST(Current, ThreadStartsWithTheEmptyContext) {  // C2, C8
  std::thread([] { EXPECT_TRUE(context::current().empty()); }).join();
}

TEST(Current, AttachMakesTheContextCurrentAndDetachRestoresThePrevious) {  // R1.5, R1.6
  auto one = detail::make_ref<int_value>(1);
  context c = context{}.with_value(key_a, one.get());
  context before = context::current();
  auto token = attach(c);
  EXPECT_TRUE(token.valid());
  EXPECT_TRUE(context::current() == c);
  EXPECT_EQ(attach_depth(), 1u);
  EXPECT_EQ(detach(std::move(token)), detach_result::ok);
  EXPECT_TRUE(context::current() == before);
  EXPECT_EQ(attach_depth(), 0u);
}

TEST(Current, NestedAttachesUnwindInOrder) {
  auto one = detail::make_ref<int_value>(1);
  auto two = detail::make_ref<int_value>(2);
  context c1 = context{}.with_value(key_a, one.get());
  context c2 = c1.with_value(key_a, two.get());
  auto t1 = attach(c1);
  auto t2 = attach(c2);
  EXPECT_EQ(value_of(context::current().find(key_a)), 2);
  EXPECT_EQ(detach(std::move(t2)), detach_result::ok);
  EXPECT_EQ(value_of(context::current().find(key_a)), 1);
  EXPECT_EQ(detach(std::move(t1)), detach_result::ok);
  EXPECT_TRUE(context::current().empty());
}

TEST(Tokens, OutOfOrderDetachUnwindsLaterAttachmentsAndReportsOnce) {  // C3, R1.7
  testing::diagnostics_capture capture;
  auto one = detail::make_ref<int_value>(1);
  auto two = detail::make_ref<int_value>(2);
  auto t1 = attach(context{}.with_value(key_a, one.get()));
  auto t2 = attach(context{}.with_value(key_a, two.get()));
  EXPECT_EQ(detach(std::move(t1)), detach_result::out_of_order);
  EXPECT_TRUE(context::current().empty());
  EXPECT_EQ(attach_depth(), 0u);
  EXPECT_EQ(capture.count("context.detach.out_of_order"), 1u);
  // The unwound token is now unknown: nothing changes.
  EXPECT_EQ(detach(std::move(t2)), detach_result::unknown_token);
  EXPECT_TRUE(context::current().empty());
  EXPECT_EQ(capture.count("context.detach.unknown_token"), 1u);
}

TEST(Tokens, OutOfOrderReportNamesTheAttachSite) {  // C3
  testing::diagnostics_capture capture;
  auto one = detail::make_ref<int_value>(1);
  auto t1 = attach(context{}.with_value(key_a, one.get()));
  const auto line = std::source_location::current().line() - 1;
  auto t2 = attach(context{});
  (void)detach(std::move(t1));
  auto records = capture.records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].line, line);
  EXPECT_NE(records[0].file.find("context_test.cpp"), std::string::npos);
}

TEST(Tokens, DetachingATokenTwiceIsReportedAndChangesNothing) {  // C3
  testing::diagnostics_capture capture;
  auto one = detail::make_ref<int_value>(1);
  auto token = attach(context{}.with_value(key_a, one.get()));
  EXPECT_EQ(detach(std::move(token)), detach_result::ok);
  auto other = attach(context{}.with_value(key_b, one.get()));
  EXPECT_EQ(detach(std::move(token)), detach_result::unknown_token);  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(value_of(context::current().find(key_b)), 1);
  EXPECT_EQ(detach(std::move(other)), detach_result::ok);
  EXPECT_EQ(capture.count("context.detach.unknown_token"), 1u);
}

TEST(Tokens, DetachOnAnotherThreadIsUnknownAndLeavesBothThreadsUnchanged) {  // C3, R1.11
  testing::diagnostics_capture capture;
  auto one = detail::make_ref<int_value>(1);
  context c = context{}.with_value(key_a, one.get());
  {
    // A unit of its own, so the attachment left behind ends with it.
    execution_unit_scope unit{context()};
    auto token = attach(c);
    std::thread([&] {
      EXPECT_EQ(detach(std::move(token)), detach_result::unknown_token);
      EXPECT_TRUE(context::current().empty());
    }).join();
    EXPECT_TRUE(context::current() == c);
    EXPECT_EQ(attach_depth(), 1u);
  }
  EXPECT_TRUE(context::current().empty());
  EXPECT_EQ(attach_depth(), 0u);
  EXPECT_EQ(capture.count("context.detach.unknown_token"), 1u);
}

TEST(Tokens, StrictModeReportsScopesLeakedWhenAUnitEnds) {  // C3 strict mode
  testing::diagnostics_capture capture;
  set_strict_mode(true);
  {
    execution_unit_scope unit{context()};
    auto leaked = attach(context{});
    (void)leaked.valid();
  }
  set_strict_mode(false);
  EXPECT_EQ(capture.count("context.scope.leaked"), 1u);
  auto records = capture.records();
  ASSERT_FALSE(records.empty());
  EXPECT_NE(records[0].file.find("context_test.cpp"), std::string::npos);
  EXPECT_TRUE(context::current().empty());
}

TEST(Tokens, WithoutStrictModeALeakedScopeIsCleanedUpSilently) {
  testing::diagnostics_capture capture;
  {
    execution_unit_scope unit{context()};
    auto leaked = attach(context{});
  }
  EXPECT_EQ(capture.size(), 0u);
  EXPECT_EQ(attach_depth(), 0u);
}

TEST(Tokens, DeepNestingBeyondTheInlineStackWorks) {
  std::vector<context_token> tokens;
  std::vector<detail::ref_ptr<int_value>> values;
  for (int i = 0; i < 100; ++i) {
    values.push_back(detail::make_ref<int_value>(i));
    tokens.push_back(attach(context{}.with_value(key_a, values.back().get())));
  }
  EXPECT_EQ(attach_depth(), 100u);
  for (int i = 99; i >= 0; --i) {
    EXPECT_EQ(value_of(context::current().find(key_a)), i);
    EXPECT_EQ(detach(std::move(tokens[static_cast<std::size_t>(i)])), detach_result::ok);
  }
  EXPECT_TRUE(context::current().empty());
}

}  // namespace
}  // namespace ctxflow

namespace ctxflow {
namespace {

TEST(Current, ViewReadsTheCurrentContextWithoutTakingAReference) {  // C2
  auto one = detail::make_ref<test::int_value>(1);
  context c = context{}.with_value(key_a, one.get());
  {
    auto token = attach(c);
    const auto refs = c.impl()->use_count();
    context_view v = context::current_view();
    EXPECT_EQ(v.impl(), c.impl());
    EXPECT_EQ(test::value_of(v.find(key_a)), 1);
    EXPECT_EQ(c.impl()->use_count(), refs);
    EXPECT_TRUE(v.to_context() == c);
    (void)detach(std::move(token));
  }
  EXPECT_TRUE(context::current_view().empty());
}

}  // namespace
}  // namespace ctxflow
