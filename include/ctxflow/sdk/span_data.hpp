// SPDX-License-Identifier: Apache-2.0
// span_data: everything the SDK recorded about one ended span, in owned form. It is what span
// processors hand to exporters (in-memory, console, JSON lines, OTLP). Field meanings follow the
// OTLP trace messages (docs/requirements.md §8.1).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "ctxflow/trace/span_context.hpp"
#include "ctxflow/trace/span_kind.hpp"

namespace ctxflow::sdk {

/// Raw bytes, distinct from a string (OTLP `AnyValue.bytes_value`).
struct byte_string {
  std::vector<std::uint8_t> data;
  friend bool operator==(const byte_string&, const byte_string&) = default;
};

/// An owned attribute value: every OTel attribute type, including homogeneous arrays.
using attribute_value =
    std::variant<bool, std::int64_t, double, std::string, byte_string, std::vector<bool>,
                 std::vector<std::int64_t>, std::vector<double>, std::vector<std::string>>;

/// One key/value attribute.
struct attribute {
  std::string key;
  attribute_value value;
  friend bool operator==(const attribute&, const attribute&) = default;
};

/// A timestamped event on a span.
struct span_event {
  std::string name;
  std::uint64_t time_unix_nano = 0;
  std::vector<attribute> attributes;
  std::uint32_t dropped_attributes_count = 0;
};

/// A link to another span.
struct span_link {
  trace::span_context context;
  std::vector<attribute> attributes;
  std::uint32_t dropped_attributes_count = 0;
};

/// The status of a span. `message` is only meaningful for `error`.
struct span_status {
  trace::status_code code = trace::status_code::unset;
  std::string message;
};

/// The entity producing telemetry (R7.x Resource): `service.name`, `telemetry.sdk.*`, ...
struct resource {
  std::vector<attribute> attributes;
  std::string schema_url;
};

/// The instrumentation scope (tracer name, version, schema url, attributes).
struct instrumentation_scope {
  std::string name;
  std::string version;
  std::string schema_url;
  std::vector<attribute> attributes;
};

/// An ended span as recorded by the SDK.
///
/// Lifetime: `resource` and `scope` point at objects owned by the tracer provider and its
/// tracers; they live at least as long as any span_data they produced.
/// Thread safety: immutable once handed to a processor's on_end.
struct span_data {
  trace::span_context context;  // this span's identity (trace id, span id, flags, tracestate)
  trace::span_id parent_span_id;  // all zero for a root span
  bool parent_is_remote = false;
  std::string name;
  trace::span_kind kind = trace::span_kind::internal;
  std::uint64_t start_time_unix_nano = 0;
  std::uint64_t end_time_unix_nano = 0;
  std::vector<attribute> attributes;
  std::uint32_t dropped_attributes_count = 0;
  std::vector<span_event> events;
  std::uint32_t dropped_events_count = 0;
  std::vector<span_link> links;
  std::uint32_t dropped_links_count = 0;
  span_status status;
  std::shared_ptr<const resource> resource_ptr;
  std::shared_ptr<const instrumentation_scope> scope_ptr;
};

}  // namespace ctxflow::sdk
