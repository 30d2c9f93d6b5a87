// SPDX-License-Identifier: Apache-2.0
// Private: the trace forest (spans grouped by trace, ordered parent before child) that the tree
// and waterfall renderers and the console exporter share.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ctxflow/exporters/console_exporter.hpp"

namespace ctxflow::exporters::detail {

/// How a row relates to its parent.
enum class row_kind : std::uint8_t {
  child,   // its parent is in the same trace and printed above it
  root,    // no parent
  remote,  // the parent is in another process
  orphan,  // the local parent is not among the spans (or the parents form a cycle)
};

struct row {
  const sdk::span_data* span;
  std::size_t depth;
  row_kind kind;
};

struct trace_rows {
  trace::trace_id id;
  std::uint64_t start = 0;  // earliest start
  std::uint64_t end = 0;    // latest end
  std::vector<row> rows;    // depth-first, siblings in start order
};

/// Groups and orders `spans` (null entries skipped). Traces in order of earliest start. With
/// `nest_remote` false, a span with a remote parent starts a tree of its own.
std::vector<trace_rows> build_forest(const std::vector<const sdk::span_data*>& spans,
                                     bool nest_remote = true);

/// How the renderers print spans whose parent is missing: `continuation` is for the console
/// exporter printing later spans of a trace it already printed.
enum class missing_parent : std::uint8_t { orphan, continuation };

std::string render_tree_rows(const std::vector<trace_rows>& traces, const render_options& o,
                             missing_parent missing);
std::string render_waterfall_rows(const std::vector<trace_rows>& traces, const render_options& o,
                                  missing_parent missing);

}  // namespace ctxflow::exporters::detail
