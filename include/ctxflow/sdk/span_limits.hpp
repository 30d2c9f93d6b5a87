// SPDX-License-Identifier: Apache-2.0
// span_limits: how much one span may hold (R7.13, R7.14). Items over a count limit are dropped
// and counted; strings and byte arrays over the length limit are truncated (not counted).
#pragma once

#include <cstdint>
#include <limits>

#include "ctxflow/export.hpp"

namespace ctxflow::sdk {

/// Per-span limits; every count defaults to 128, the value length to unlimited.
struct span_limits {
  static constexpr std::uint32_t unlimited = std::numeric_limits<std::uint32_t>::max();

  std::uint32_t attribute_count = 128;
  /// Maximum characters (UTF-8 code points) of a string, bytes of a byte array; applies to each
  /// array element.
  std::uint32_t attribute_value_length = unlimited;
  std::uint32_t event_count = 128;
  std::uint32_t link_count = 128;
  std::uint32_t attributes_per_event = 128;
  std::uint32_t attributes_per_link = 128;

  /// The limits from `OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT` (else `OTEL_ATTRIBUTE_COUNT_LIMIT`),
  /// `OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT` (else `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`),
  /// `OTEL_SPAN_EVENT_COUNT_LIMIT`, `OTEL_SPAN_LINK_COUNT_LIMIT`,
  /// `OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT` and `OTEL_LINK_ATTRIBUTE_COUNT_LIMIT` (R7.14, R10).
  /// Errors: a value that is not an integer in 0..2^31-1 is reported (`sdk.env.invalid`, naming
  /// the variable) and the default is used.
  CTXFLOW_API static span_limits from_environment();
};

}  // namespace ctxflow::sdk
