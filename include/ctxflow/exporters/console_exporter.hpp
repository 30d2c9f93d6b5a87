// SPDX-License-Identifier: Apache-2.0
// console_exporter: prints ended spans as a readable indented tree per trace (children under
// their parents, orphans at the root with a marker), optionally followed by a waterfall. The
// renderers it uses, render_tree() and render_waterfall(), are public so that tests, the
// ctxflow::testing kit and the `ctxflow demo` program draw traces the same way.
// Linking the library makes it available to sdk::init as OTEL_TRACES_EXPORTER=console;
// register_console_exporter() does the same explicitly.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "ctxflow/export.hpp"
#include "ctxflow/sdk/span_data.hpp"
#include "ctxflow/sdk/span_exporter.hpp"

namespace ctxflow::exporters {

/// How render_tree() and render_waterfall() draw.
struct render_options {
  /// Plain ASCII output: `#` bars, `us` for microseconds, `...` for cut text. Otherwise UTF-8
  /// (`█`, `µs`, `…`).
  bool ascii = false;
  /// Waterfall: cells in each bar.
  std::size_t bar_width = 40;
  /// Waterfall: widest name column (indentation included); longer names are cut.
  std::size_t max_name_width = 40;
  /// Tree: print span attributes.
  bool show_attributes = true;
  /// Tree: attributes printed per span; the rest are summarised as `+N more`.
  std::size_t max_attributes = 8;
  /// Tree: characters kept of a string attribute value.
  std::size_t max_value_length = 64;
  /// Tree: append each span's id (`#00f067aa0ba902b7`) and name link targets by span id.
  bool show_ids = false;
  /// Tree and waterfall: a span whose parent is remote (in another process) but among the spans
  /// is nested under that parent, so a file with the spans of several processes shows one tree.
  /// When false, such a span starts a tree of its own and says `(remote parent <id>)`.
  bool nest_remote_children = true;
  /// Waterfall: the span kind after each name (`GET /orders [server]`).
  bool show_kinds = false;
  /// Waterfall: when a trace's spans come from more than one `service.name` (a resource
  /// attribute; `?` when a span has none), a column with each row's service.
  bool show_services = false;
  /// Waterfall: spans with an error status get `! ` before the name and, after the bar,
  /// `error` or `error: <status message>`.
  bool mark_errors = false;
  /// Waterfall: ANSI colours (SGR escapes, which take no cells): bars in a colour per service
  /// (the trace's services in order of first appearance), error names and marks in red.
  bool colour = false;
  /// Waterfall: the trace header also gives the trace's start, from the data, in UTC
  /// (`2023-11-14T22:13:20.000000Z`).
  bool show_start_time = false;
  /// Waterfall: when not 0, the width of each span line in cells: the bar takes what the name,
  /// service and duration columns leave (at least 10 cells), replacing `bar_width`. An error
  /// message after the bar is not counted. Output never depends on the terminal; the caller
  /// passes its width.
  std::size_t total_width = 0;
};

/// Formats a duration for people: `N ns` below 1 µs, `N.N µs` below 1 ms, `N.NN ms` below 1 s,
/// else `N.NNN s`. With `ascii`, microseconds are written `us`.
CTXFLOW_API std::string format_duration(std::uint64_t nanoseconds, bool ascii = false);

/// Renders spans as one indented tree per trace.
///
/// Contract: spans are grouped by trace id (traces in order of their earliest start); within a
/// trace each span is printed under its parent (matched by parent span id), siblings in start
/// order, two spaces of indentation per level. A span whose parent is remote is a root and says
/// `(remote parent <id>)`; a span whose local parent is not among `spans` is printed at the root
/// with a leading `? ` and `(orphan: parent <id> not recorded)`. Each line shows the name, the
/// kind, the duration, a non-unset status, and attributes, event and link counts. Every line
/// ends with a newline; empty input gives an empty string.
///
/// Example output:
/// ```
/// trace 4bf92f3577b34da6a3ce929d0e0e4736 (3 spans, 12.35 ms)
///   GET /orders [server] 12.35 ms status=ok http.route="/orders"
///     load_user [internal] 1.20 ms
///       SELECT [client] 800.0 µs status=error("timeout")
/// ```
/// Errors: none; out of memory propagates as std::bad_alloc (use it outside telemetry paths).
CTXFLOW_API std::string render_tree(std::span<const sdk::span_data> spans,
                                    const render_options& options = {});
/// render_tree() for a batch of pointers, as exporters receive them (null entries are skipped).
CTXFLOW_API std::string render_tree(std::span<const sdk::span_data* const> spans,
                                    const render_options& options = {});

/// Renders spans as a waterfall: per trace a header line, then one line per span in tree order
/// with the (indented) name, its duration right-aligned, and a bar of `bar_width` cells showing
/// when the span started and how long it ran relative to the whole trace.
///
/// Contract: the trace runs from its earliest start to its latest end. A bar covers the cells
/// from floor(offset·width/total) to ceil(end·width/total), at least one cell. Orphans start
/// with `? ` as in render_tree(). Every line ends with a newline. The options `show_kinds`,
/// `show_services`, `mark_errors`, `colour`, `show_start_time` and `total_width` (all off by
/// default) add to the line as documented on render_options; with every option at its default
/// the output is as below. The output depends only on the spans and the options (not on the
/// clock, the terminal or the locale).
///
/// Example output:
/// ```
/// trace 4bf92f3577b34da6a3ce929d0e0e4736 (3 spans, 10.00 ms)
/// GET /orders   10.00 ms |████████████████████|
///   load_user    5.00 ms |     ██████████     |
///     SELECT     1.00 ms |          ██        |
/// ```
/// Errors: as render_tree().
CTXFLOW_API std::string render_waterfall(std::span<const sdk::span_data> spans,
                                         const render_options& options = {});
/// render_waterfall() for a batch of pointers (null entries are skipped).
CTXFLOW_API std::string render_waterfall(std::span<const sdk::span_data* const> spans,
                                         const render_options& options = {});

/// What the console exporter prints for each trace.
enum class console_layout : std::uint8_t { tree, waterfall, tree_and_waterfall };

/// Options of console_exporter.
struct console_exporter_options {
  /// Where to write; null means stdout. The exporter does not close it.
  std::FILE* out = nullptr;
  console_layout layout = console_layout::tree;
  render_options render{};
  /// Spans held while waiting for their trace's local root; beyond it the oldest trace is
  /// printed as it is (its spans then show as orphans).
  std::size_t max_buffered_spans = 10'000;
  /// A trace whose local root has not ended this long after its first span arrived is printed
  /// at the next export.
  std::chrono::milliseconds max_buffer_age{30'000};
};

/// A span_exporter that writes each trace as a tree (and/or waterfall) to a FILE*.
///
/// Contract: spans are held per trace until the trace's local root (a span with no parent or a
/// remote parent) is exported, then the whole trace is printed at once. Spans of a trace that was
/// already printed are printed at once as `trace <id> (continued, ...)`. force_flush() and
/// shutdown() print everything still held. After shutdown, exports fail (R7.24).
///
/// Thread safety: distinct objects: safe. Shared objects: safe; export_spans, force_flush and
/// shutdown may be called from any thread.
/// Errors: a failed write makes export_spans return failure and reports
/// `exporters.console.write_failed`; out of memory returns failure.
///
/// Example:
/// ```
/// auto exporter = std::make_unique<ctxflow::exporters::console_exporter>();  // stdout, tree
/// ```
class CTXFLOW_API console_exporter final : public sdk::span_exporter {
 public:
  console_exporter() noexcept : console_exporter(console_exporter_options{}) {}
  explicit console_exporter(console_exporter_options options) noexcept;
  console_exporter(const console_exporter&) = delete;
  console_exporter& operator=(const console_exporter&) = delete;
  ~console_exporter() override;

  sdk::export_result export_spans(std::span<const sdk::span_data* const> batch) noexcept override;
  bool force_flush(std::chrono::milliseconds timeout) noexcept override;
  bool shutdown(std::chrono::milliseconds timeout) noexcept override;

 private:
  struct pending_trace {
    std::vector<sdk::span_data> spans;
    std::chrono::steady_clock::time_point first_arrival;
    std::uint64_t order = 0;
  };
  using trace_key = std::array<std::uint8_t, 16>;

  bool print_locked(const trace_key& key, pending_trace& trace, bool continued);
  bool flush_locked();
  bool write_locked(const std::string& text);

  console_exporter_options options_;
  std::mutex mu_;
  std::map<trace_key, pending_trace> pending_;  // guarded by mu_
  std::vector<trace_key> printed_;              // guarded by mu_: recently printed, ring
  std::size_t printed_next_ = 0;                // guarded by mu_
  std::size_t buffered_ = 0;                    // guarded by mu_
  std::uint64_t next_order_ = 0;                // guarded by mu_
  bool shut_down_ = false;                      // guarded by mu_
};

/// Registers the factory "console" in the SDK's exporter registry, so that
/// `OTEL_TRACES_EXPORTER=console` (or the init option naming it) creates a console_exporter
/// writing trees to stdout. Linking this library already does it before the registry's first
/// lookup; the call is for putting the factory back after replacing it. Idempotent. True when
/// registered.
CTXFLOW_API bool register_console_exporter() noexcept;

}  // namespace ctxflow::exporters
