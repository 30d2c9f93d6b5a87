// SPDX-License-Identifier: Apache-2.0
// Private: reads the lines the JSON-lines exporter writes (one OTLP/JSON
// `ExportTraceServiceRequest` per line) back into span records, so the demo verifies exactly the
// spans its output file holds. Reads what the OTLP JSON mapping puts in those lines: ids, names,
// kinds, times, flags, status, links, the resource and scope, and scalar attributes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "ctxflow/sdk/span_data.hpp"

namespace ctxflow::cli {

/// Appends the spans of one JSON line to `out`; false (with `error` set) when the line is not
/// an OTLP/JSON trace request.
bool read_otlp_json_line(std::string_view line, std::vector<sdk::span_data>& out,
                         std::string& error);

/// What read_otlp_json_file() found.
struct span_file {
  std::vector<sdk::span_data> spans;
  std::size_t lines = 0;               ///< non-empty lines read
  std::vector<std::string> problems;   ///< one message per unreadable line (or the open error)
};

/// Reads every line of a JSON-lines span file.
span_file read_otlp_json_file(const std::string& path);

}  // namespace ctxflow::cli
