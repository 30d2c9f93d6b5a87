// SPDX-License-Identifier: Apache-2.0
// Exceptions leaving a span's scope (Python's record_exception / set_status_on_exception): the
// callable form records the exact exception; a plain RAII scope records ERROR and a generic
// event; inside coroutine tasks the task's unhandled-exception path supplies the exact type and
// message, across suspensions and thread hops; spawned tasks mark the span they ran under.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "coro/manual_resume.hpp"
#include "ctxflow/context/scope.hpp"
#include "ctxflow/coro/schedule_on.hpp"
#include "ctxflow/coro/spawn.hpp"
#include "ctxflow/coro/sync_wait.hpp"
#include "ctxflow/coro/task.hpp"
#include "ctxflow/exec/inline_executor.hpp"
#include "ctxflow/exec/thread_pool.hpp"
#include "ctxflow/testing/context_leak_checker.hpp"
#include "ctxflow/testing/gtest.hpp"
#include "ctxflow/testing/span_recorder.hpp"
#include "ctxflow/trace/provider.hpp"
#include "ctxflow/trace/span.hpp"
#include "ctxflow/trace/tracer.hpp"

namespace span_exception_test {
// A named namespace so that the demangled type name is predictable.
struct payment_declined : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct other_failure : std::logic_error {
  using std::logic_error::logic_error;
};
}  // namespace span_exception_test

namespace ctxflow::trace {
namespace {

using span_exception_test::other_failure;
using span_exception_test::payment_declined;
using sdk::span_data;

constexpr std::string_view declined_type = "span_exception_test::payment_declined";
constexpr std::string_view other_type = "span_exception_test::other_failure";

const span_data* find(const std::vector<span_data>& spans, std::string_view name) {
  for (const span_data& s : spans)
    if (s.name == name) return &s;
  return nullptr;
}

std::optional<std::string> event_attribute(const sdk::span_event& e, std::string_view key) {
  for (const sdk::attribute& a : e.attributes)
    if (a.key == key) {
      if (const auto* v = std::get_if<std::string>(&a.value)) return *v;
      return std::string("<not a string>");
    }
  return std::nullopt;
}

// The span has exactly one `exception` event with this type and message, and status ERROR
// with `description`.
::testing::AssertionResult failed_with(const span_data* s, std::string_view type,
                                       std::optional<std::string_view> message,
                                       std::string_view description) {
  if (s == nullptr) return ::testing::AssertionFailure() << "span not recorded";
  if (s->events.size() != 1 || s->events[0].name != "exception")
    return ::testing::AssertionFailure()
           << s->name << ": expected one exception event, found " << s->events.size()
           << (s->events.empty() ? std::string() : " first: " + s->events[0].name);
  const auto t = event_attribute(s->events[0], "exception.type");
  const auto m = event_attribute(s->events[0], "exception.message");
  if (t != std::string(type))
    return ::testing::AssertionFailure() << s->name << ": exception.type " << t.value_or("<none>");
  if (message ? m != std::string(*message) : m.has_value())
    return ::testing::AssertionFailure()
           << s->name << ": exception.message " << m.value_or("<none>");
  if (s->status.code != status_code::error || s->status.message != description)
    return ::testing::AssertionFailure()
           << s->name << ": status " << static_cast<int>(s->status.code) << " \""
           << s->status.message << "\"";
  return ::testing::AssertionSuccess();
}

// ERROR with the generic event: the exception itself was not available.
::testing::AssertionResult failed_unknown(const span_data* s) {
  if (s == nullptr) return ::testing::AssertionFailure() << "span not recorded";
  if (s->events.size() != 1) return failed_with(s, "unknown", std::nullopt, "");
  const auto m = event_attribute(s->events[0], "exception.message");
  if (!m) return ::testing::AssertionFailure() << s->name << ": no exception.message";
  return failed_with(s, "unknown", *m, *m);
}

::testing::AssertionResult untouched(const span_data* s) {
  if (s == nullptr) return ::testing::AssertionFailure() << "span not recorded";
  if (!s->events.empty() || s->status.code != status_code::unset)
    return ::testing::AssertionFailure()
           << s->name << ": " << s->events.size() << " events, status "
           << static_cast<int>(s->status.code);
  return ::testing::AssertionSuccess();
}

start_options with_policy(bool record, bool set_status) {
  start_options o;
  o.record_exception = record;
  o.set_status_on_exception = set_status;
  return o;
}

std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

// --- plain functions ---

TEST(SpanExceptions, WithSpanRecordsTheExactTypeAndMessageSetsErrorAndRethrows) {
  testing::span_recorder recorder;
  testing::context_leak_checker leaks;
  const tracer t = recorder.tracer();
  EXPECT_THROW(t.with_span("charge",
                           [](const span& s) {
                             s.set_attribute("amount", 12);
                             throw payment_declined("card declined");
                           }),
               payment_declined);
  ASSERT_EQ(recorder.size(), 1u);
  EXPECT_TRUE(failed_with(find(recorder.spans(), "charge"), declined_type, "card declined",
                          "card declined"));
  EXPECT_FALSE(current_span());
  ASSERT_NO_CONTEXT_LEAK(leaks);
}

TEST(SpanExceptions, WithSpanReturnsTheResultAndMakesTheSpanCurrentForTheCall) {
  testing::span_recorder recorder;
  const tracer t = recorder.tracer();
  span_context inside;
  const int v = t.with_span("load", start_options{}, [&] {
    inside = current_span().context();
    return 42;
  });
  EXPECT_EQ(v, 42);
  ASSERT_EQ(recorder.size(), 1u);
  const auto spans = recorder.spans();
  const span_data* s = find(spans, "load");
  EXPECT_TRUE(untouched(s));
  EXPECT_EQ(s->context.span, inside.span);
  EXPECT_FALSE(current_span());
}

TEST(SpanExceptions, WithSpanDescribesANonStandardExceptionByItsTypeName) {
  testing::span_recorder recorder;
  EXPECT_THROW(recorder.tracer().with_span("parse", [] { throw 7; }), int);
  EXPECT_TRUE(failed_with(find(recorder.spans(), "parse"), "int", std::nullopt, "int"));
}

TEST(SpanExceptions, APlainScopeLeftByAnExceptionIsErrorWithAGenericExceptionEvent) {
  testing::span_recorder recorder;
  testing::context_leak_checker leaks;
  const tracer t = recorder.tracer();
  try {
    auto outer = t.start_as_current_span("outer");
    auto inner = t.start_as_current_span("inner");
    throw payment_declined("card declined");
  } catch (const payment_declined&) {
  }
  ASSERT_EQ(recorder.size(), 2u);
  EXPECT_TRUE(failed_unknown(find(recorder.spans(), "inner")));
  EXPECT_TRUE(failed_unknown(find(recorder.spans(), "outer")));
  ASSERT_NO_CONTEXT_LEAK(leaks);
}

TEST(SpanExceptions, APlainScopeMadeAndEndedInsideADestructorDuringUnwindingIsNotMarked) {
  testing::span_recorder recorder;
  const tracer t = recorder.tracer();
  struct cleanup {
    const tracer* t;
    ~cleanup() { auto s = t->start_as_current_span("cleanup"); }
  };
  try {
    cleanup c{&t};
    throw payment_declined("x");
  } catch (const payment_declined&) {
  }
  ASSERT_EQ(recorder.size(), 1u);
  EXPECT_TRUE(untouched(find(recorder.spans(), "cleanup")));
}

TEST(SpanExceptions, RecordFailureInAHandlerRecordsExactlyOnceThenTheScopeEndsNormally) {
  testing::span_recorder recorder;
  {
    auto s = recorder.tracer().start_as_current_span("op");
    try {
      throw other_failure("bad state");
    } catch (...) {
      s.record_failure(std::current_exception());
    }
  }
  EXPECT_TRUE(failed_with(find(recorder.spans(), "op"), other_type, "bad state", "bad state"));
}

TEST(SpanExceptions, TurningTheOptionsOffRecordsNothingInPlainCode) {
  testing::span_recorder recorder;
  const tracer t = recorder.tracer();
  EXPECT_THROW(t.with_span("off", with_policy(false, false), [] { throw payment_declined("x"); }),
               payment_declined);
  try {
    auto s = t.start_as_current_span("raii_off", with_policy(false, false));
    throw payment_declined("x");
  } catch (const payment_declined&) {
  }
  EXPECT_THROW(t.with_span("status_only", with_policy(false, true),
                           [] { throw payment_declined("declined"); }),
               payment_declined);
  EXPECT_THROW(t.with_span("event_only", with_policy(true, false),
                           [] { throw payment_declined("declined"); }),
               payment_declined);
  const auto spans = recorder.spans();
  ASSERT_EQ(spans.size(), 4u);
  EXPECT_TRUE(untouched(find(spans, "off")));
  EXPECT_TRUE(untouched(find(spans, "raii_off")));
  const span_data* status_only = find(spans, "status_only");
  EXPECT_TRUE(status_only->events.empty());
  EXPECT_EQ(status_only->status.code, status_code::error);
  EXPECT_EQ(status_only->status.message, "declined");
  const span_data* event_only = find(spans, "event_only");
  ASSERT_EQ(event_only->events.size(), 1u);
  EXPECT_EQ(event_attribute(event_only->events[0], "exception.message"), "declined");
  EXPECT_EQ(event_only->status.code, status_code::unset);
}

// --- coroutine tasks ---

coro::task<void> migrate_then_throw(tracer t, exec::thread_pool& a, exec::thread_pool& b,
                                    std::vector<std::thread::id>& threads) {
  auto s = t.start_as_current_span("migrating");
  threads.push_back(std::this_thread::get_id());
  co_await coro::schedule_on(a);
  threads.push_back(std::this_thread::get_id());
  co_await coro::schedule_on(b);
  threads.push_back(std::this_thread::get_id());
  throw payment_declined("declined after two hops");
}

TEST(SpanExceptions, AnExceptionEscapingAMigratingCoroutineIsRecordedWithItsTypeAndMessage) {
  testing::span_recorder recorder;
  testing::context_leak_checker leaks;
  exec::thread_pool a(1), b(1);
  std::vector<std::thread::id> threads;
  const std::uint64_t before = now_ns();
  EXPECT_THROW(coro::sync_wait(migrate_then_throw(recorder.tracer(), a, b, threads)),
               payment_declined);
  ASSERT_EQ(threads.size(), 3u);
  EXPECT_NE(threads[0], threads[1]);
  EXPECT_NE(threads[1], threads[2]);
  ASSERT_EQ(recorder.size(), 1u);
  const auto spans = recorder.spans();
  const span_data* s = find(spans, "migrating");
  EXPECT_TRUE(failed_with(s, declined_type, "declined after two hops", "declined after two hops"));
  // The event and the end carry the time the scope was left.
  EXPECT_EQ(s->events[0].time_unix_nano, s->end_time_unix_nano);
  EXPECT_GE(s->end_time_unix_nano, before);
  a.join();
  b.join();
  EXPECT_EQ(a.leaks_repaired(), 0u);
  EXPECT_EQ(b.leaks_repaired(), 0u);
  ASSERT_NO_CONTEXT_LEAK(leaks);
}

coro::task<void> nested_throw(tracer t, exec::thread_pool& pool) {
  auto outer = t.start_as_current_span("outer");
  co_await coro::schedule_on(pool);
  auto inner = t.start_as_current_span("inner");
  co_await coro::schedule_on(pool);
  throw payment_declined("both");
}

TEST(SpanExceptions, NestedSpansInATaskBothGetTheExceptionThatEscapesBoth) {
  testing::span_recorder recorder;
  testing::context_leak_checker leaks;
  exec::thread_pool pool(2);
  EXPECT_THROW(coro::sync_wait(nested_throw(recorder.tracer(), pool)), payment_declined);
  const auto spans = recorder.spans();
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0].name, "inner");  // ended first
  EXPECT_TRUE(failed_with(&spans[0], declined_type, "both", "both"));
  EXPECT_TRUE(failed_with(&spans[1], declined_type, "both", "both"));
  EXPECT_EQ(spans[0].parent_span_id, spans[1].context.span);
  EXPECT_LE(spans[0].end_time_unix_nano, spans[1].end_time_unix_nano);
  pool.join();
  EXPECT_EQ(pool.leaks_repaired(), 0u);
  ASSERT_NO_CONTEXT_LEAK(leaks);
}

coro::task<int> failing_child(tracer t, exec::thread_pool& pool) {
  auto s = t.start_as_current_span("child");
  co_await coro::schedule_on(pool);
  throw other_failure("child failed");
}

coro::task<void> parent_of_failing_child(tracer t, exec::thread_pool& pool) {
  auto s = t.start_as_current_span("parent");
  (void)co_await failing_child(t, pool);
}

TEST(SpanExceptions, AnExceptionFromAnAwaitedChildTaskIsRecordedOnTheChildAndTheParentSpan) {
  testing::span_recorder recorder;
  testing::context_leak_checker leaks;
  exec::thread_pool pool(1);
  EXPECT_THROW(coro::sync_wait(parent_of_failing_child(recorder.tracer(), pool)), other_failure);
  const auto spans = recorder.spans();
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_TRUE(failed_with(find(spans, "child"), other_type, "child failed", "child failed"));
  EXPECT_TRUE(failed_with(find(spans, "parent"), other_type, "child failed", "child failed"));
  pool.join();
  ASSERT_NO_CONTEXT_LEAK(leaks);
}

coro::task<void> catch_inside(tracer t, exec::thread_pool& pool, std::uint64_t& caught_at,
                              span_context& current_after_catch) {
  auto outer = t.start_as_current_span("outer");
  try {
    auto inner = t.start_as_current_span("inner");
    co_await coro::schedule_on(pool);
    throw payment_declined("handled here");
  } catch (const payment_declined&) {
    caught_at = now_ns();
  }
  current_after_catch = current_span().context();
  co_await coro::schedule_on(pool);  // the inner span is ended here at the latest
}

TEST(SpanExceptions, ACaughtExceptionMarksOnlyTheInnerSpanAndTheOuterEndsNormally) {
  testing::span_recorder recorder;
  testing::context_leak_checker leaks;
  exec::thread_pool pool(2);
  std::uint64_t caught_at = 0;
  span_context after;
  coro::sync_wait(catch_inside(recorder.tracer(), pool, caught_at, after));
  const auto spans = recorder.spans();
  ASSERT_EQ(spans.size(), 2u);
  const span_data* inner = find(spans, "inner");
  const span_data* outer = find(spans, "outer");
  EXPECT_TRUE(failed_unknown(inner));
  EXPECT_TRUE(untouched(outer));
  // The context went back to the outer span when the inner scope was left, and the inner span's
  // end is the time its scope was left, not the later settlement.
  EXPECT_EQ(after.span, outer->context.span);
  EXPECT_LE(inner->end_time_unix_nano, caught_at);
  EXPECT_LE(inner->end_time_unix_nano, outer->end_time_unix_nano);
  pool.join();
  ASSERT_NO_CONTEXT_LEAK(leaks);
}

coro::task<void> catch_then_fail_differently(tracer t, exec::thread_pool& pool) {
  try {
    auto first = t.start_as_current_span("first");
    co_await coro::schedule_on(pool);
    throw payment_declined("caught");
  } catch (const payment_declined&) {
  }
  auto second = t.start_as_current_span("second");  // settles "first" as caught
  throw other_failure("escaped");
}

TEST(SpanExceptions, ACaughtExceptionIsNotAttributedToALaterOneThatEscapesTheTask) {
  testing::span_recorder recorder;
  exec::thread_pool pool(1);
  EXPECT_THROW(coro::sync_wait(catch_then_fail_differently(recorder.tracer(), pool)),
               other_failure);
  const auto spans = recorder.spans();
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_TRUE(failed_unknown(find(spans, "first")));
  EXPECT_TRUE(failed_with(find(spans, "second"), other_type, "escaped", "escaped"));
  pool.join();
}

coro::task<void> span_across_resume(tracer t, test::manual_resume& gate, bool fail) {
  auto s = t.start_as_current_span(fail ? "failing" : "normal");
  co_await gate;
  if (fail) throw payment_declined("after an odd resume");
}

TEST(SpanExceptions, ATaskResumedFromADestructorDuringUnwindingComparesWithTheResumingThread) {
  // Resumed while the resuming thread is unwinding another exception: a span that ends
  // normally in that step is not marked; one that is left by a new exception gets it exactly.
  testing::span_recorder recorder;
  testing::context_leak_checker leaks;
  exec::inline_executor here;
  test::manual_resume gate_normal, gate_failing;
  auto normal = coro::spawn(here, span_across_resume(recorder.tracer(), gate_normal, false));
  auto failing = coro::spawn(here, span_across_resume(recorder.tracer(), gate_failing, true));
  ASSERT_TRUE(gate_normal.waiting());
  ASSERT_TRUE(gate_failing.waiting());
  struct resume_on_unwind {
    test::manual_resume* gate;
    ~resume_on_unwind() { gate->resume(); }
  };
  try {
    resume_on_unwind r1{&gate_normal};
    resume_on_unwind r2{&gate_failing};
    throw other_failure("unrelated");
  } catch (const other_failure&) {
  }
  EXPECT_NO_THROW(normal.get());
  EXPECT_THROW(failing.get(), payment_declined);
  const auto spans = recorder.spans();
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_TRUE(untouched(find(spans, "normal")));
  EXPECT_TRUE(failed_with(find(spans, "failing"), declined_type, "after an odd resume",
                          "after an odd resume"));
  ASSERT_NO_CONTEXT_LEAK(leaks);
}

coro::task<void> options_off_in_task(tracer t, exec::thread_pool& pool) {
  auto s = t.start_as_current_span("task_off", with_policy(false, false));
  co_await coro::schedule_on(pool);
  throw payment_declined("x");
}

TEST(SpanExceptions, TurningTheOptionsOffRecordsNothingInATask) {
  testing::span_recorder recorder;
  exec::thread_pool pool(1);
  EXPECT_THROW(coro::sync_wait(options_off_in_task(recorder.tracer(), pool)), payment_declined);
  ASSERT_EQ(recorder.size(), 1u);
  EXPECT_TRUE(untouched(find(recorder.spans(), "task_off")));
  pool.join();
}

// --- spawned tasks ---

coro::task<void> fail_on_pool(exec::thread_pool& pool) {
  co_await coro::schedule_on(pool);
  throw payment_declined("spawned task failed");
}

TEST(SpanExceptions, ASpawnedTaskThatFailsMarksTheSpanItRanUnder) {
  testing::span_recorder recorder;
  testing::context_leak_checker leaks;
  exec::thread_pool pool(2);
  span request = recorder.tracer().start_span("request");
  {
    scope s{context_with_span(context::current(), request)};
    auto handle = coro::spawn(pool, fail_on_pool(pool));
    EXPECT_THROW(handle.get(), payment_declined);
  }
  request.end();
  ASSERT_EQ(recorder.size(), 1u);
  EXPECT_TRUE(failed_with(find(recorder.spans(), "request"), declined_type,
                          "spawned task failed", "spawned task failed"));
  pool.join();
  EXPECT_EQ(pool.leaks_repaired(), 0u);
  ASSERT_NO_CONTEXT_LEAK(leaks);
}

TEST(SpanExceptions, ASpawnedTaskFailingAfterItsSpanEndedChangesNothing) {
  testing::span_recorder recorder;
  span request = recorder.tracer().start_span("request");
  test::manual_resume gate;
  auto body = [](test::manual_resume& g) -> coro::task<void> {
    co_await g;
    throw payment_declined("too late");
  };
  std::optional<coro::join_handle<void>> handle;
  {
    scope s{context_with_span(context::current(), request)};
    exec::inline_executor here;
    handle.emplace(coro::spawn(here, body(gate)));
  }
  request.end();
  gate.resume();
  EXPECT_THROW(handle->get(), payment_declined);
  ASSERT_EQ(recorder.size(), 1u);
  EXPECT_TRUE(untouched(find(recorder.spans(), "request")));
}

}  // namespace
}  // namespace ctxflow::trace
