// SPDX-License-Identifier: Apache-2.0
// trace_store: spans kept in SQLite (in memory, or in a file that survives a restart), with a
// summary per trace for listing and filtering, and a bound on the traces kept. What `ctxflow
// serve` stores what it receives in; also usable on its own. See docs/usage/serve.md, "The
// store".
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ctxflow/export.hpp"
#include "ctxflow/viewer/json_string.hpp"  // append_json_string, for the JSON answers
#include "ctxflow/sdk/span_data.hpp"
#include "ctxflow/trace/span_context.hpp"

namespace ctxflow::viewer {

/// How a trace_store is opened.
struct store_options {
  /// The database file; empty: a private in-memory database that ends with the store. A file
  /// is created when missing and locked for the store's lifetime, so a second store (in this
  /// or another process) cannot open it.
  std::string path;
  /// Traces kept; when an add() brings more, the traces received first are deleted with their
  /// spans. 0: no bound.
  std::size_t max_traces = 1000;
  /// How long open() waits for a file another process holds locked before it gives up.
  std::chrono::milliseconds busy_timeout{1000};
};

/// One trace as the list shows it.
struct trace_summary {
  trace::trace_id trace_id;
  /// The root span's name (a span without parent; the earliest of them), else the earliest
  /// span's.
  std::string name;
  /// That span's `service.name` (empty when its resource has none).
  std::string service;
  /// Every distinct `service.name` of the trace, sorted.
  std::vector<std::string> services;
  std::uint64_t start_time_unix_nano = 0;  ///< earliest span start
  std::uint64_t end_time_unix_nano = 0;    ///< latest span end
  std::size_t span_count = 0;
  std::size_t error_count = 0;  ///< spans with status error
  /// When a span of the trace was last stored (Unix time, ns).
  std::uint64_t updated_unix_nano = 0;

  std::uint64_t duration_nano() const noexcept {
    return end_time_unix_nano > start_time_unix_nano ? end_time_unix_nano - start_time_unix_nano
                                                     : 0;
  }
};

/// Which traces list() answers. Empty strings and zeros match everything.
struct trace_query {
  /// Traces with a span of this `service.name` (exact).
  std::string service;
  /// Traces with a span whose name contains this text (case-sensitive).
  std::string name;
  /// Traces lasting at least this long, from the earliest start to the latest end.
  std::uint64_t min_duration_nano = 0;
  /// Most summaries answered (newest first).
  std::size_t limit = 100;
};

/// Spans and trace summaries in SQLite.
///
/// Contract: add() stores a batch in one transaction: every span or none. A span is keyed by
/// (trace id, span id); a span sent again (an exporter's retry) replaces the first copy. Each
/// span is kept with its indexed columns and, whole, as a one-span binary OTLP
/// `ExportTraceServiceRequest` (exporters::otlp::encode_protobuf), so get() gives back every
/// field, resource and scope included. Summaries are recomputed for the traces a batch touches.
/// list() answers summaries newest first (by start time). Retention: when more than
/// `max_traces` traces are stored, those received first are deleted.
/// Errors: nothing throws. open() answers null with a message (file locked by another store or
/// process, not a database, corrupt, cannot be created) and reports it as
/// `viewer.store.open_failed`; add() answers false and reports `viewer.store.write_failed`;
/// list() and get() answer empty and report `viewer.store.read_failed`.
/// Thread safety: every member may be called from any thread; calls are serialised.
class CTXFLOW_API trace_store {
 public:
  /// Opens (and creates when missing) the store; null with `error` set when it cannot.
  static std::unique_ptr<trace_store> open(const store_options& options,
                                           std::string& error) noexcept;
  ~trace_store();
  trace_store(const trace_store&) = delete;
  trace_store& operator=(const trace_store&) = delete;

  /// Stores `spans` (null entries and spans with an invalid trace or span id are skipped) in
  /// one transaction, then applies the retention bound. False when nothing was stored.
  bool add(std::span<const sdk::span_data* const> spans) noexcept;
  bool add(std::span<const sdk::span_data> spans) noexcept;

  /// Summaries of the traces matching `query`, newest first, at most `query.limit`.
  std::vector<trace_summary> list(const trace_query& query) const noexcept;
  /// The summary of one trace; false when it is not stored.
  bool summary(const trace::trace_id& id, trace_summary& out) const noexcept;
  /// The spans of one trace in start order; empty when it is not stored.
  std::vector<sdk::span_data> get(const trace::trace_id& id) const noexcept;

  /// Traces and spans stored now.
  std::size_t trace_count() const noexcept;
  std::size_t span_count() const noexcept;

  struct impl;

 private:
  explicit trace_store(std::unique_ptr<impl> p) noexcept;
  std::unique_ptr<impl> impl_;
};

/// The JSON of `GET /api/traces`: `{"traces":[{"traceId","name","service","services",
/// "startTimeUnixNano","durationNano","spanCount","errorCount"}]}`, 64-bit numbers as decimal
/// strings. Errors: none; out of memory propagates as std::bad_alloc.
CTXFLOW_API std::string trace_list_json(std::span<const trace_summary> traces);

}  // namespace ctxflow::viewer
