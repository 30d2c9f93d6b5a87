// SPDX-License-Identifier: Apache-2.0
// The Zipkin B3 propagator (R5.8): single-header `b3` and multi-header `X-B3-*` formats.
// Extract accepts both (single first); inject writes the configured one. The debug flag is
// kept in the context so that it is sent on with the local span's ids.
// See docs/design/propagation.md, "B3".
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "ctxflow/propagation/propagator.hpp"
#include "ctxflow/trace/span_context.hpp"

namespace ctxflow::propagation {

/// Which B3 format inject writes.
enum class b3_encoding : std::uint8_t {
  single_header,  ///< `b3: {trace}-{span}-{sampling}` (OTEL_PROPAGATORS `b3`)
  multi_header,   ///< `X-B3-TraceId`, `X-B3-SpanId`, `X-B3-Sampled` / `X-B3-Flags` (`b3multi`)
};

/// Result of parsing B3 input: the remote span_context and whether the debug flag was set.
struct b3_parsed {
  trace::span_context span_context;
  bool debug = false;
};

/// Parses a single `b3` header value (R5.8). A 16-hex trace id is left-padded (R2.17). An
/// absent sampling state leaves `sampled` unset; `d` sets sampled and debug. A sampling-only
/// value (`0`, `1`, `d`) carries no ids and gives nothing, like any invalid value.
CTXFLOW_API std::optional<b3_parsed> parse_b3_single(std::string_view value) noexcept;

/// True when `ctx` carries a B3 debug flag extracted from a remote peer.
CTXFLOW_API bool b3_debug(const context& ctx) noexcept;

/// The `b3` / `b3multi` propagator (R5.8). Fields follow the inject format (R5.4):
/// `{b3}` or `{X-B3-TraceId, X-B3-SpanId, X-B3-Sampled, X-B3-Flags}`.
///
/// Extract tries `b3` first, then the multi headers (first value wins); invalid input leaves
/// the context unchanged and reports `propagation.b3.invalid`. `X-B3-ParentSpanId` is never
/// injected.
///
/// Thread safety: immutable; safe to use from any thread.
class CTXFLOW_API b3_propagator final : public text_map_propagator {
 public:
  static constexpr std::string_view single_header = "b3";
  static constexpr std::string_view trace_id_header = "X-B3-TraceId";
  static constexpr std::string_view span_id_header = "X-B3-SpanId";
  static constexpr std::string_view parent_span_id_header = "X-B3-ParentSpanId";
  static constexpr std::string_view sampled_header = "X-B3-Sampled";
  static constexpr std::string_view flags_header = "X-B3-Flags";

  explicit b3_propagator(b3_encoding encoding = b3_encoding::single_header) noexcept
      : encoding_(encoding) {}

  CTXFLOW_API void inject(const context& ctx, carrier_setter& setter) const noexcept override;
  CTXFLOW_API context extract(const context& ctx,
                              const carrier_getter& getter) const noexcept override;
  std::span<const std::string_view> fields() const noexcept override {
    if (encoding_ == b3_encoding::single_header) return single_fields_;
    return multi_fields_;
  }
  std::string_view name() const noexcept override {
    return encoding_ == b3_encoding::single_header ? "b3" : "b3multi";
  }

 private:
  static constexpr std::array<std::string_view, 1> single_fields_{single_header};
  static constexpr std::array<std::string_view, 4> multi_fields_{trace_id_header, span_id_header,
                                                                 sampled_header, flags_header};
  b3_encoding encoding_;
};

}  // namespace ctxflow::propagation
