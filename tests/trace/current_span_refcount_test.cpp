// SPDX-License-Identifier: Apache-2.0
// start_as_current_span makes, attaches and frees the context of its span without an atomic
// read-modify-write on any context node: checked in the counting build (CMake option
// CTXFLOW_COUNT_REFCOUNT_OPS, on in the asan preset), skipped elsewhere.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>

#include "ctxflow/config.hpp"
#include "ctxflow/context/context_var.hpp"
#include "ctxflow/context/ref_counted.hpp"
#include "ctxflow/context/scope.hpp"
#include "ctxflow/trace/span.hpp"
#include "ctxflow/trace/tracer.hpp"

namespace ctxflow::trace {
namespace {

context_var<int> request{"request", 0};

/// Starts a fresh span object for every span, as an SDK does (non-recording here, so that the
/// test needs no SDK).
class fresh_span_tracer final : public tracer_object {
 public:
  span start_span(std::string_view, const start_options& options) noexcept override {
    span_context sc;
    sc.trace = trace_id::from_hex("4bf92f3577b34da6a3ce929d0e0e4736");
    if (span_ref parent = parent_span_of(options)) sc.trace = parent.context().trace;
    sc.span = span_id::from_hex("00f067aa0ba902b7");
    sc.span.bytes[7] = static_cast<std::uint8_t>(++n_);
    return make_non_recording_span(sc);
  }

 private:
  int n_ = 0;
};

#if CTXFLOW_COUNT_REFCOUNT_OPS
std::uint64_t context_node_rmws() { return ctxflow::detail::refcount_rmws().context_nodes; }
#define CTXFLOW_REQUIRE_COUNTING_BUILD() (void)0
#else
std::uint64_t context_node_rmws() { return 0; }
#define CTXFLOW_REQUIRE_COUNTING_BUILD() \
  GTEST_SKIP() << "needs a build with -DCTXFLOW_COUNT_REFCOUNT_OPS=ON (the asan preset)"
#endif

TEST(CurrentSpanRefcount, StartAsCurrentSpanAndItsEndDoNoReadModifyWriteOnAContext) {
  CTXFLOW_REQUIRE_COUNTING_BUILD();
  tracer t{std::make_shared<fresh_span_tracer>()};
  // A realistic current context: a value and a span of the caller's, shared with another owner.
  span outer_span = t.start_span("request");
  context outer = context_with_span(request.with(context{}, 7), outer_span);
  const context other_owner = outer;
  scope s{outer};

  const std::uint64_t before = context_node_rmws();
  {
    auto a = t.start_as_current_span("a");
    EXPECT_EQ(current_span(), a.get());
    EXPECT_EQ(request.get(), 7);
    {
      auto b = t.start_as_current_span("b");
      EXPECT_EQ(current_span(), b.get());
      EXPECT_EQ(b->context().trace, outer_span.context().trace);
    }
    EXPECT_EQ(current_span(), a.get());
  }
  EXPECT_EQ(context_node_rmws() - before, 0u);
  EXPECT_EQ(current_span(), outer_span);
}

TEST(CurrentSpanRefcount, TheCounterSeesACopyOfTheSpansContext) {
  CTXFLOW_REQUIRE_COUNTING_BUILD();
  tracer t{std::make_shared<fresh_span_tracer>()};
  const std::uint64_t before = context_node_rmws();
  context kept;
  {
    auto a = t.start_as_current_span("a");
    kept = context::current();  // an owning copy: increment now, decrement at the scope's end
  }
  EXPECT_EQ(context_node_rmws() - before, 2u);
  EXPECT_TRUE(span_from(kept).context().valid());
}

}  // namespace
}  // namespace ctxflow::trace
