// SPDX-License-Identifier: Apache-2.0
// The {fmt} formatters of ctxflow/log/fmt.hpp: trace and span ids, flags, span contexts and
// log::ids, with string format specs.
#include "ctxflow/log/fmt.hpp"

#include <gtest/gtest.h>
#include <fmt/format.h>

#include <string>

#include "ctxflow/testing/span_recorder.hpp"
#include "ctxflow/trace/provider.hpp"

namespace ctxflow::log {
namespace {

trace::span_context sample_context() {
  trace::span_context sc;
  sc.trace = trace::trace_id::from_hex("4bf92f3577b34da6a3ce929d0e0e4736");
  sc.span = trace::span_id::from_hex("00f067aa0ba902b7");
  sc.flags.value = 0x01;
  return sc;
}

TEST(LogFmt, FmtFormatsTraceIdAsLowercaseHex) {
  EXPECT_EQ(fmt::format("{}", sample_context().trace), "4bf92f3577b34da6a3ce929d0e0e4736");
}

TEST(LogFmt, FmtFormatsSpanIdAsLowercaseHex) {
  EXPECT_EQ(fmt::format("{}", sample_context().span), "00f067aa0ba902b7");
}

TEST(LogFmt, FmtFormatsInvalidIdsAsZeros) {
  EXPECT_EQ(fmt::format("{}", trace::trace_id{}), std::string(32, '0'));
  EXPECT_EQ(fmt::format("{}", trace::span_id{}), std::string(16, '0'));
}

TEST(LogFmt, FmtFormatsTraceFlagsAsTwoHexDigits) {
  EXPECT_EQ(fmt::format("{}", trace::trace_flags{0x01}), "01");
  EXPECT_EQ(fmt::format("{}", trace::trace_flags{0xab}), "ab");
}

TEST(LogFmt, FmtFormatsSpanContextAsTraceIdSpanIdAndFlags) {
  EXPECT_EQ(fmt::format("{}", sample_context()),
            "trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7 trace_flags=01");
  EXPECT_EQ(fmt::format("{}", trace::span_context{}),
            "trace_id=" + std::string(32, '0') + " span_id=" + std::string(16, '0') +
                " trace_flags=00");
}

TEST(LogFmt, FmtAppliesStringFormatSpecsToIds) {
  EXPECT_EQ(fmt::format("[{:>18}]", sample_context().span), "[  00f067aa0ba902b7]");
  EXPECT_EQ(fmt::format("{:.8}", sample_context().trace), "4bf92f35");
  EXPECT_EQ(fmt::format("{:*<4}", trace::trace_flags{0x01}), "01**");
}

TEST(LogFmt, FmtFormatsIdsAsTraceIdAndSpanIdOrAsNothingWhenInvalid) {
  EXPECT_EQ(fmt::format("{}", ids_of(sample_context())),
            "trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7");
  EXPECT_EQ(fmt::format("<{}>", ids{}), "<>");
}

TEST(LogFmt, FmtFormatsCurrentIdsOfTheCurrentSpanAndNothingOutsideIt) {
  testing::span_recorder recorder;
  {
    auto span = trace::get_tracer("log.test").start_as_current_span("work");
    const trace::span_context sc = span->context();
    EXPECT_EQ(fmt::format("{}", current_ids()),
              fmt::format("trace_id={} span_id={}", sc.trace, sc.span));
  }
  EXPECT_EQ(fmt::format("{}", current_ids()), "");
}

}  // namespace
}  // namespace ctxflow::log
