// SPDX-License-Identifier: Apache-2.0
// Reading OTLP trace data back into span records: the binary protobuf and the JSON forms of an
// `ExportTraceServiceRequest` (docs/requirements.md §8.1, §8.2), and files of OTLP JSON as
// ctxflow's JSON-lines exporter and the OpenTelemetry Collector's file exporter write them. Used
// by `ctxflow view` and `ctxflow serve`, and by tests that look at what a program exported.
// Every reader is bounded (decode_limits) and answers malformed input with a message, never a
// crash or an exception. See docs/usage/otlp_reader.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include "ctxflow/export.hpp"
#include "ctxflow/sdk/span_data.hpp"

namespace ctxflow::viewer {

/// Bounds on what one decode may build. Input beyond a bound is rejected with a message, so a
/// hostile body costs at most time linear in its size and memory bounded by these limits.
struct decode_limits {
  /// Largest input (bytes) decode_protobuf() and decode_json() accept.
  std::size_t max_message_bytes = 64 * 1024 * 1024;
  /// Spans one message may hold.
  std::size_t max_spans = 1'000'000;
  /// Nesting of `AnyValue` arrays and key-value lists (a top-level attribute value is depth 1);
  /// JSON values may nest 3 * max_depth + 16 deep. Values above 256 count as 256.
  std::size_t max_depth = 32;
};

/// Decodes a binary `ExportTraceServiceRequest` and appends its spans to `out`. Every span
/// field of §8.1 is read; each `ResourceSpans` gives one shared `sdk::resource` and each
/// `ScopeSpans` one shared `sdk::instrumentation_scope`. Unknown fields are skipped. A
/// key-value list or an array of mixed types (which span_data cannot hold) becomes a string
/// holding its OTLP JSON text (`{"kvlistValue":{...}}`); an empty array an empty vector of
/// strings; an empty `AnyValue` an empty string. Ids must be 16 and 8 bytes (a parent id 0 or 8);
/// an invalid trace state is dropped and the span kept; kind 0 and unknown kinds read as internal;
/// `flags` bits 0-7 are the span's trace flags and bits 8+9 set make `parent_is_remote`.
/// Invalid UTF-8 in strings is replaced by U+FFFD.
/// Returns false with `error` set (naming where: `span 3: trace_id is 15 bytes, expected 16`)
/// when the input is not a valid request or passes a limit; `out` is then left as it was.
/// Thread safety: may be called concurrently (no shared state); running out of memory is a
/// failure with a message like any other.
CTXFLOW_API bool decode_protobuf(std::string_view bytes, std::vector<sdk::span_data>& out,
                                 std::string& error, const decode_limits& limits = {}) noexcept;

/// decode_protobuf() for the OTLP JSON mapping (§8.2): hex ids, integer enums, 64-bit
/// integers as strings or numbers, base64 bytes, unknown keys ignored. Ids are hex of either
/// case; an empty `parentSpanId` is a root; enums are numbers or their names
/// (`SPAN_KIND_SERVER`); doubles may be `"NaN"`, `"Infinity"`, `"-Infinity"`. Errors name the
/// JSON key (`span 0: traceId is 30 hex digits, expected 32`) or the offset of a syntax error.
CTXFLOW_API bool decode_json(std::string_view text, std::vector<sdk::span_data>& out,
                             std::string& error, const decode_limits& limits = {}) noexcept;

/// One piece of input that could not be read.
struct read_problem {
  std::string source;    ///< the file name, or `-` for standard input
  std::size_t line = 0;  ///< 1-based line where the unreadable document starts; 0: the whole source
  std::string message;
};

/// What a read of OTLP JSON sources found.
struct read_result {
  std::vector<sdk::span_data> spans;
  std::vector<read_problem> problems;
  std::size_t documents = 0;  ///< requests read
};

/// Reads OTLP JSON from `in` and appends to `out`: either JSON lines (one request per line, as
/// ctxflow's JSON-lines exporter and the Collector's file exporter write) or requests written
/// over several lines (pretty-printed), in any mix. A document whose braces balance at the end
/// of a line ends there; an unbalanced one goes on until they do, or until a line starting with
/// `{` in its first column begins the next. Blank lines are skipped. An unreadable document is a
/// problem with its first line; reading goes on with the next one. A document longer than
/// `limits.max_message_bytes` is a problem and skipped without being held whole in memory.
/// Errors: never throws; running out of memory ends the read with a problem (line 0).
CTXFLOW_API void read_otlp_json(std::istream& in, std::string_view source, read_result& out,
                                const decode_limits& limits = {});

/// read_otlp_json() over files; `-` is standard input. A file that cannot be opened is a problem
/// with line 0.
CTXFLOW_API read_result read_otlp_json_files(const std::vector<std::string>& paths,
                                             const decode_limits& limits = {});

}  // namespace ctxflow::viewer
