// SPDX-License-Identifier: Apache-2.0
// The W3C Trace Context Level 2 propagator: `traceparent` and `tracestate` (R2.1-R2.17,
// R3.1-R3.10), plus the allocation-free parse/format functions it is built on. Extract puts a
// non-recording span holding the remote span_context into the context (R1.9, R2.12).
// See docs/design/propagation.md, "Trace context".
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

#include "ctxflow/propagation/propagator.hpp"
#include "ctxflow/trace/span_context.hpp"

namespace ctxflow::propagation {

/// Length of a version-00 `traceparent` value.
inline constexpr std::size_t traceparent_size = 55;

/// Parses a `traceparent` value (R2.2-R2.9): leading and trailing spaces/tabs are trimmed,
/// version `00` must be exactly 55 characters, future versions may carry `-`-separated extra
/// data, `ff` is rejected, hex must be lowercase and neither id may be all zero.
/// The result has `remote == true` and an empty trace_state. Version-00 flags are kept as
/// received (R2.13); future-version flags are masked to sampled|random (R2.8).
/// Errors: an invalid value gives nothing. No allocation.
CTXFLOW_API std::optional<trace::span_context> parse_traceparent(std::string_view value) noexcept;

/// Writes `00-{trace id}-{span id}-{flags & 0x03}` in lowercase hex (R2.13) into `out`.
CTXFLOW_API void format_traceparent(const trace::span_context& sc,
                                    std::span<char, traceparent_size> out) noexcept;

/// The `tracecontext` propagator. Fields: `traceparent`, `tracestate` (R5.4).
///
/// Extract: reads `traceparent` (two or more fields make it invalid, R2.10), then `tracestate`
/// (all fields in order, R3.2) only when `traceparent` is valid (R3.1); an invalid `tracestate`
/// is dropped without affecting `traceparent` (R3.5). Invalid input leaves the context unchanged
/// (R2.11) and reports `propagation.traceparent.invalid` (or `.duplicate`) at debug level.
/// Inject: writes both headers for a valid span_context only; `tracestate` only when non-empty,
/// truncated to 512 characters by R3.9 (R2.13, R3.10).
///
/// Thread safety: immutable; safe to use from any thread.
class CTXFLOW_API w3c_trace_context_propagator final : public text_map_propagator {
 public:
  static constexpr std::string_view traceparent_header = "traceparent";
  static constexpr std::string_view tracestate_header = "tracestate";

  CTXFLOW_API void inject(const context& ctx, carrier_setter& setter) const noexcept override;
  CTXFLOW_API context extract(const context& ctx,
                              const carrier_getter& getter) const noexcept override;
  std::span<const std::string_view> fields() const noexcept override { return fields_; }
  std::string_view name() const noexcept override { return "tracecontext"; }

 private:
  static constexpr std::array<std::string_view, 2> fields_{traceparent_header, tracestate_header};
};

}  // namespace ctxflow::propagation
