// SPDX-License-Identifier: Apache-2.0
// encode_protobuf: serialises ended spans as an OTLP `ExportTraceServiceRequest` in the proto3
// binary wire format (docs/requirements.md §8.1, R8.1-R8.3), with no third-party dependency.
// The body of an `http/protobuf` export. See docs/design/otlp.md.
#pragma once

#include <span>
#include <string>

#include "ctxflow/export.hpp"
#include "ctxflow/exporters/otlp/legacy_namespace.hpp"
#include "ctxflow/sdk/span_data.hpp"

namespace ctxflow::exporters::otlp {

/// Encodes `batch` as a binary `ExportTraceServiceRequest` into `out`, replacing its contents
/// (its capacity is reused, so passing the same string every time avoids reallocation).
///
/// Spans are grouped into one `ResourceSpans` per resource and one `ScopeSpans` per
/// instrumentation scope, in order of first appearance (R8.3). Every span field is written:
/// ids, tracestate, parent id (empty for roots), name, kind (never 0), times, attributes of every
/// type (arrays as `ArrayValue`, bytes as `bytes_value`; a set value is written even when it is
/// 0, false or empty), events, links with their tracestate and flags, dropped counts, status and
/// `flags` (W3C flags | HAS_IS_REMOTE | IS_REMOTE from the parent, R8.1). Invalid UTF-8 in any
/// string is replaced by U+FFFD so that the message stays valid proto3. Null entries are skipped;
/// an empty batch gives an empty `out` (an empty request).
///
/// Thread safety: may be called concurrently from any threads (per-thread scratch space).
/// Errors: none; allocation failure is the only failure and propagates as `std::bad_alloc`.
CTXFLOW_API void encode_protobuf(std::span<const sdk::span_data* const> batch, std::string& out);

}  // namespace ctxflow::exporters::otlp
