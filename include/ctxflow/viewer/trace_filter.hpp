// SPDX-License-Identifier: Apache-2.0
// Trace selection for `ctxflow view`: by trace id (or a prefix of it), service, span name,
// duration and errors. Filters select whole traces: a trace is kept with all its spans when any
// of its spans matches each filter given, since a waterfall is of a whole trace.
// See docs/usage/view.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ctxflow/export.hpp"
#include "ctxflow/sdk/span_data.hpp"

namespace ctxflow::viewer {

/// Which traces to keep. Empty or zero members select everything; the members given must all
/// hold (and).
struct trace_filter {
  /// Lowercase hex: the whole 32-digit trace id or a prefix of it (every trace with that
  /// prefix is kept). Check it with is_trace_id_prefix().
  std::string trace_id;
  /// Keep traces with a span whose resource `service.name` equals this.
  std::string service;
  /// Keep traces with a span whose name contains this (case-sensitive).
  std::string name_contains;
  /// Keep traces lasting at least this long (earliest start to latest end), in nanoseconds.
  std::uint64_t min_duration_ns = 0;
  /// Keep only traces with a span whose status is error.
  bool errors_only = false;
};

/// True when `text` is 1 to 32 hex digits (either case); filter_traces() compares lowercase.
CTXFLOW_API bool is_trace_id_prefix(std::string_view text) noexcept;

/// Parses a duration: a decimal number (digits, optionally `.` and up to 9 more digits) and a
/// unit, `ns`, `us`, `µs`, `ms` or `s`, with no space between (`5ms`, `1.5s`, `250us`).
/// Returns false and leaves `nanoseconds` unchanged for anything else: no unit, an unknown
/// unit, a sign, spaces, a fraction finer than a nanosecond, or a value beyond 2^64-1 ns.
CTXFLOW_API bool parse_duration(std::string_view text, std::uint64_t& nanoseconds) noexcept;

/// The spans of the traces `filter` selects, in their order in `spans`.
/// Errors: none; out of memory propagates as std::bad_alloc.
CTXFLOW_API std::vector<sdk::span_data> filter_traces(std::vector<sdk::span_data> spans,
                                                      const trace_filter& filter);

/// The resource's `service.name` of a span, or an empty string.
CTXFLOW_API std::string service_name(const sdk::span_data& span);

}  // namespace ctxflow::viewer
