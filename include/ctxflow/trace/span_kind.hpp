// SPDX-License-Identifier: Apache-2.0
// span_kind and status_code: the small enums of the span API (R7.x). Values match the OTLP
// enums (SpanKind minus one is not used: we keep OTLP's numbering, 0 = unspecified).
#pragma once

#include <cstdint>

namespace ctxflow::trace {

/// The role of a span. Numbered as OTLP `Span.SpanKind`.
enum class span_kind : std::uint8_t {
  internal = 1,
  server = 2,
  client = 3,
  producer = 4,
  consumer = 5,
};

/// A span's status. Numbered as OTLP `Status.StatusCode`.
enum class status_code : std::uint8_t {
  unset = 0,
  ok = 1,
  error = 2,
};

}  // namespace ctxflow::trace
