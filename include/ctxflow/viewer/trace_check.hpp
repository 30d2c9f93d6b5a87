// SPDX-License-Identifier: Apache-2.0
// check_traces: structural checks of recorded traces, as `ctxflow view --check` runs them: one
// root per trace, no orphans, no parent in another trace, children inside their parent's time
// window (within a clock-skew tolerance), unique span ids, no span ending before it starts.
// See docs/usage/view.md.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ctxflow/export.hpp"
#include "ctxflow/sdk/span_data.hpp"

namespace ctxflow::viewer {

/// Options of check_traces().
struct check_options {
  /// How far (nanoseconds) a child may start before its parent starts, or end after its parent
  /// ends, before it is a problem. Applied to every parent-child edge alike: clocks of two
  /// processes disagree, and within one process the tolerance only hides nothing real.
  std::uint64_t skew_tolerance_ns = 5'000'000;
};

/// One thing wrong with a trace.
struct trace_problem {
  trace::trace_id trace;
  trace::span_id span;  ///< the span concerned; all zero for the trace as a whole
  std::string reason;   ///< one sentence, naming the spans and numbers involved
};

/// Checks each trace among `spans` (grouped by trace id) and returns its problems:
/// - no root span (a span without a parent id), or more than one (one problem per extra root);
/// - a span whose parent id names no span of the trace (orphan), or names a span of another
///   trace among `spans` (parent outside the trace);
/// - a span starting more than the tolerance before its parent starts, or ending more than the
///   tolerance after its parent ends;
/// - a span id used by more than one span of the trace;
/// - a span ending before it starts.
///
/// A remote parent counts like a local one: when it is not among `spans` the child is an orphan.
/// Problems come per trace in the order of the traces' earliest start, within a trace in the
/// order of the spans' start (then span id); the result depends only on the spans.
/// Errors: none; out of memory propagates as std::bad_alloc.
CTXFLOW_API std::vector<trace_problem> check_traces(std::span<const sdk::span_data> spans,
                                                    const check_options& options = {});

/// `trace <trace id> span <span id>: <reason>` (without `span ...` for a whole-trace problem).
CTXFLOW_API std::string to_string(const trace_problem& problem);

}  // namespace ctxflow::viewer
