// SPDX-License-Identifier: Apache-2.0
// trace_tree: recorded spans indexed by trace and parent, with a printer and the structural
// assertions tests need: all spans in one trace, parent/child by name, links, no orphans, counts.
// Every failed check's message ends with the recorded tree (ids shown) so the failure explains
// itself. No test-framework dependency.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ctxflow/export.hpp"
#include "ctxflow/exporters/console_exporter.hpp"
#include "ctxflow/sdk/span_data.hpp"
#include "ctxflow/testing/check_result.hpp"

namespace ctxflow::testing {

// The shared renderers, also reachable from here (see exporters/console_exporter.hpp).
using exporters::render_options;
using exporters::render_tree;
using exporters::render_waterfall;

/// A set of ended spans (usually from a span_recorder) seen as trees.
///
/// Contract: a span's parent is the span with the same trace id whose span id equals its
/// parent_span_id (remote or not). A root has no parent id; an orphan names a local
/// (non-remote) parent that is not in the set. Name lookups are exact and case-sensitive.
///
/// Thread safety: distinct objects: safe. Shared objects: safe (const after construction).
///
/// Example:
/// ```
/// ctxflow::testing::trace_tree tree = recorder.tree();
/// EXPECT_TRACE(tree.all_in_one_trace());
/// EXPECT_TRACE(tree.child_of("SELECT", "GET /orders"));
/// std::cout << tree.to_string();
/// ```
class CTXFLOW_API trace_tree {
 public:
  trace_tree() = default;
  explicit trace_tree(std::vector<sdk::span_data> spans);
  explicit trace_tree(std::span<const sdk::span_data> spans)
      : trace_tree(std::vector<sdk::span_data>(spans.begin(), spans.end())) {}

  /// The spans, in the order given.
  const std::vector<sdk::span_data>& spans() const noexcept { return spans_; }
  std::size_t size() const noexcept { return spans_.size(); }
  bool empty() const noexcept { return spans_.empty(); }

  /// The earliest-starting span called `name`, or null.
  const sdk::span_data* find(std::string_view name) const noexcept;
  /// Every span called `name`, earliest start first.
  std::vector<const sdk::span_data*> find_all(std::string_view name) const;
  /// How many spans are called `name`.
  std::size_t count(std::string_view name) const noexcept;
  /// The recorded parent of `s`, or null (root, remote parent not recorded, or orphan).
  const sdk::span_data* parent_of(const sdk::span_data& s) const noexcept;
  /// The recorded children of `s`, earliest start first.
  std::vector<const sdk::span_data*> children_of(const sdk::span_data& s) const;
  /// Spans whose parent is not recorded: true roots and spans with a remote parent.
  std::vector<const sdk::span_data*> roots() const;
  /// Spans naming a local parent that is not recorded.
  std::vector<const sdk::span_data*> orphans() const;
  /// The distinct trace ids, in order of first appearance.
  std::vector<trace::trace_id> trace_ids() const;

  /// The tree as exporters::render_tree prints it.
  std::string to_string(const exporters::render_options& options = {}) const;
  /// The waterfall as exporters::render_waterfall prints it.
  std::string waterfall(const exporters::render_options& options = {}) const;

  /// Passes when there is at least one span and every span has the same trace id.
  check_result all_in_one_trace() const;
  /// Passes when at least one span is called `child` and every span called `child` has a
  /// recorded parent called `parent`.
  check_result child_of(std::string_view child, std::string_view parent) const;
  /// Passes when at least one span is called `from` and every span called `from` carries a link
  /// to (the trace and span id of) some recorded span called `to`.
  check_result has_link(std::string_view from, std::string_view to) const;
  /// Passes when no span names a missing local parent and no parents form a cycle.
  check_result no_orphans() const;
  /// Passes when exactly `expected` spans are called `name`.
  check_result count_is(std::string_view name, std::size_t expected) const;
  /// Passes when at least one span is called `name`.
  check_result has_span(std::string_view name) const;
  /// Passes when spans called `a` and `b` exist and all of them share one trace id.
  check_result same_trace(std::string_view a, std::string_view b) const;

 private:
  using key = std::pair<std::array<std::uint8_t, 16>, std::array<std::uint8_t, 8>>;
  check_result failure(std::string why) const;
  std::string describe(const sdk::span_data& s) const;

  std::vector<sdk::span_data> spans_;
  std::vector<std::size_t> by_start_;  // indexes into spans_, earliest start first
  std::map<key, std::size_t> by_id_;   // (trace id, span id) -> first index
};

}  // namespace ctxflow::testing
