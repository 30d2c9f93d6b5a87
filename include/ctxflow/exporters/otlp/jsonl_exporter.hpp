// SPDX-License-Identifier: Apache-2.0
// jsonl_exporter: writes each export batch as one line of OTLP/JSON (an
// `ExportTraceServiceRequest`, the OpenTelemetry Collector file exporter format) to a file, a
// `FILE*`, or a line callback. `register_jsonl_exporter()` makes it available to `sdk::init` as
// `OTEL_TRACES_EXPORTER=jsonl`. See docs/usage/otlp.md.
#pragma once

#include <chrono>
#include <cstdio>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include "ctxflow/export.hpp"
#include "ctxflow/exporters/otlp/legacy_namespace.hpp"
#include "ctxflow/sdk/span_exporter.hpp"

namespace ctxflow::exporters::otlp {

/// Exports spans as JSON lines: one `ExportTraceServiceRequest` object (encode_json) plus
/// `\n` per export call. An empty batch writes nothing (no empty envelope, R8.3).
///
/// Example:
/// ```
/// auto exporter = std::make_unique<ctxflow::exporters::otlp::jsonl_exporter>("spans.jsonl");
/// ```
///
/// Thread safety: export_spans, force_flush and shutdown may be called from any threads; writes
/// are serialised so lines never interleave.
/// Errors: a file that cannot be opened is reported (`exporter.jsonl.open_failed`) and every
/// export then returns failure; a failed write returns failure and reports
/// `exporter.jsonl.write_failed`. Nothing throws out of the export functions.
class jsonl_exporter final : public sdk::span_exporter {
 public:
  /// Receives one complete line (ending in `\n`); returns false when it could not be written.
  using line_sink = std::function<bool(std::string_view line)>;

  /// Opens `path` for appending (or truncates it when `append` is false).
  CTXFLOW_API explicit jsonl_exporter(const std::string& path, bool append = true);
  /// Writes to `file`, which stays owned by the caller and must outlive the exporter.
  CTXFLOW_API explicit jsonl_exporter(std::FILE* file) noexcept;
  /// Hands each line to `sink`. The sink runs inside a catch-all guard.
  CTXFLOW_API explicit jsonl_exporter(line_sink sink);
  CTXFLOW_API ~jsonl_exporter() override;
  jsonl_exporter(const jsonl_exporter&) = delete;
  jsonl_exporter& operator=(const jsonl_exporter&) = delete;

  /// True when the destination is usable (the file opened and shutdown has not run).
  CTXFLOW_API bool is_open() const noexcept;

  CTXFLOW_API sdk::export_result export_spans(
      std::span<const sdk::span_data* const> batch) noexcept override;
  /// Flushes the stdio buffer of the destination file.
  CTXFLOW_API bool force_flush(std::chrono::milliseconds timeout) noexcept override;
  /// Flushes and closes an owned file; later exports fail.
  CTXFLOW_API bool shutdown(std::chrono::milliseconds timeout) noexcept override;

 private:
  mutable std::mutex mu_;
  std::FILE* file_ = nullptr;  // guarded by mu_
  bool owns_file_ = false;
  bool shut_down_ = false;  // guarded by mu_
  line_sink sink_;
  std::string line_;  // guarded by mu_; reused encode buffer
};

/// Registers the factory `"jsonl"` with the SDK's exporter registry. The factory writes to the
/// file named by the environment variable `CTXFLOW_JSONL_PATH` (default `spans.jsonl`),
/// appending. Calling it more than once is harmless.
///
/// Thread safety: may be called from any thread, before `sdk::init`.
CTXFLOW_API void register_jsonl_exporter() noexcept;

}  // namespace ctxflow::exporters::otlp
