// SPDX-License-Identifier: Apache-2.0
// Trace and span ids as lowercase hex (R2.2): to_hex / from_hex and the byte-level
// to_lower_hex / from_lower_hex, which share the internal hex helper with the propagators.
#include "ctxflow/trace/span_context.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>

namespace ctxflow::trace {
namespace {

std::string text(const auto& chars) { return std::string(chars.data(), chars.size()); }

TEST(SpanContextHex, TraceIdRoundTripsThroughLowercaseHex) {
  const std::string hex = "4bf92f3577b34da6a3ce929d0e0e4736";
  const trace_id id = trace_id::from_hex(hex);
  EXPECT_EQ(id.bytes[0], 0x4b);
  EXPECT_EQ(id.bytes[15], 0x36);
  EXPECT_EQ(text(id.to_hex()), hex);
}

TEST(SpanContextHex, SpanIdRoundTripsThroughLowercaseHex) {
  const span_id id = span_id::from_hex("00f067aa0ba902b7");
  EXPECT_EQ(id.bytes[1], 0xf0);
  EXPECT_EQ(text(id.to_hex()), "00f067aa0ba902b7");
}

TEST(SpanContextHex, EveryByteValueEncodesAndDecodesBack) {
  for (int first = 0; first < 256; first += 16) {
    span_id id;
    for (std::size_t i = 0; i < id.bytes.size(); ++i)
      id.bytes[i] = static_cast<std::uint8_t>(first + static_cast<int>(i) * 2);
    EXPECT_EQ(span_id::from_hex(text(id.to_hex())), id) << text(id.to_hex());
  }
}

TEST(SpanContextHex, UppercaseOrNonHexGivesTheInvalidId) {
  EXPECT_FALSE(trace_id::from_hex("4BF92F3577B34DA6A3CE929D0E0E4736").valid());
  EXPECT_FALSE(trace_id::from_hex("4bf92f3577b34da6a3ce929d0e0e473g").valid());
  EXPECT_FALSE(span_id::from_hex("00f067aa0ba902b ").valid());
}

TEST(SpanContextHex, WrongLengthGivesTheInvalidId) {
  EXPECT_FALSE(trace_id::from_hex("00f067aa0ba902b7").valid());
  EXPECT_FALSE(span_id::from_hex("00f067aa0ba902b").valid());
  EXPECT_FALSE(span_id::from_hex("").valid());
}

TEST(SpanContextHex, OtherLengthsEncodeAndDecodeByteByByte) {
  const std::array<std::uint8_t, 3> bytes{0x00, 0xab, 0x7f};
  char out[6];
  to_lower_hex(bytes, out);
  EXPECT_EQ(std::string(out, 6), "00ab7f");
  std::array<std::uint8_t, 3> back{};
  EXPECT_TRUE(from_lower_hex("00ab7f", back));
  EXPECT_EQ(back, bytes);
  EXPECT_FALSE(from_lower_hex("00AB7f", back));
  EXPECT_FALSE(from_lower_hex("00ab7", back));
}

}  // namespace
}  // namespace ctxflow::trace
