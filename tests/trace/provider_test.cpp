// SPDX-License-Identifier: Apache-2.0
// The global tracer provider: no-op by default, replaceable, and proxy tracers that follow it.
#include "ctxflow/trace/provider.hpp"

#include <gtest/gtest.h>

#include <atomic>

namespace ctxflow::trace {
namespace {

// Counts the spans it is asked to start and returns recording-looking fakes.
class counting_tracer final : public tracer_object {
 public:
  span start_span(std::string_view, const start_options&) noexcept override {
    ++started;
    span_context sc;
    sc.trace = trace_id::from_hex("11111111111111111111111111111111");
    sc.span = span_id::from_hex("2222222222222222");
    return make_non_recording_span(sc);
  }
  bool enabled() const noexcept override { return true; }
  std::atomic<int> started{0};
};

class counting_provider final : public tracer_provider {
 public:
  tracer get_tracer(std::string_view, std::string_view, std::string_view) noexcept override {
    return tracer(std::shared_ptr<tracer_object>(std::shared_ptr<void>(), &tracer_));
  }
  counting_tracer tracer_;
};

TEST(GlobalProvider, IsNeverNullAndHandsOutNoopTracersByDefault) {
  ASSERT_NE(get_tracer_provider(), nullptr);
  tracer t = get_tracer("lib");
  EXPECT_FALSE(t.start_span("x").is_recording());
  EXPECT_FALSE(t.enabled());
}

TEST(GlobalProvider, TracersObtainedBeforeInstallationFollowTheInstalledProvider) {
  tracer early = get_tracer("early");
  auto p = std::make_shared<counting_provider>();
  auto previous = set_tracer_provider(p);
  EXPECT_EQ(previous, nullptr);
  span s = early.start_span("x");
  EXPECT_EQ(p->tracer_.started.load(), 1);
  EXPECT_TRUE(s.context().valid());
  EXPECT_TRUE(early.enabled());

  EXPECT_EQ(set_tracer_provider(nullptr), p);  // back to no-op
  EXPECT_FALSE(early.start_span("y").context().valid());
  EXPECT_EQ(p->tracer_.started.load(), 1);
}

}  // namespace
}  // namespace ctxflow::trace
