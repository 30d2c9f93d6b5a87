// SPDX-License-Identifier: Apache-2.0
// encode_json: serialises ended spans as an OTLP/JSON `ExportTraceServiceRequest` (the proto3
// JSON mapping with the OTLP deviations of docs/requirements.md §8.2, R8.4-R8.5). The body of an
// `http/json` export and one line of the JSON-lines file exporter. See docs/design/otlp.md.
#pragma once

#include <span>
#include <string>

#include "ctxflow/export.hpp"
#include "ctxflow/exporters/otlp/legacy_namespace.hpp"
#include "ctxflow/sdk/span_data.hpp"

namespace ctxflow::exporters::otlp {

/// Encodes `batch` as one OTLP/JSON `ExportTraceServiceRequest` object into `out`, replacing its
/// contents. The text contains no newline, so it can be written as one JSON line.
///
/// Mapping (R8.4): lowerCamelCase keys; trace and span ids as lowercase hex (also in links);
/// enums (`kind`, `code`) as integers; 64-bit integers (times, `intValue`) as decimal strings;
/// 32-bit values (`flags`, dropped counts) as numbers; `bytesValue` as padded base64; doubles as
/// shortest round-trip numbers or `"NaN"`, `"Infinity"`, `"-Infinity"`. Default-valued fields are
/// left out, except a set AnyValue member and `status`. Strings are escaped as JSON requires and
/// invalid UTF-8 bytes become U+FFFD. Grouping and flags as in encode_protobuf. An empty batch
/// gives `{}`.
///
/// Thread safety: may be called concurrently from any threads.
/// Errors: none; allocation failure propagates as `std::bad_alloc`.
CTXFLOW_API void encode_json(std::span<const sdk::span_data* const> batch, std::string& out);

}  // namespace ctxflow::exporters::otlp
