// SPDX-License-Identifier: Apache-2.0
// Field-by-field comparison of span records for the reader tests and the fuzz targets: the first
// difference as a sentence, or an empty string when the spans are equal. Resources and scopes
// are compared by value; doubles are equal when their bits are, or when both are NaN.
#pragma once

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "ctxflow/sdk/span_data.hpp"

namespace ctxflow::viewer::testing {

inline bool same_double(double a, double b) {
  if (std::isnan(a) && std::isnan(b)) return true;
  return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}

inline bool same_value(const sdk::attribute_value& a, const sdk::attribute_value& b) {
  if (a.index() != b.index()) return false;
  if (const auto* x = std::get_if<double>(&a)) return same_double(*x, std::get<double>(b));
  if (const auto* xs = std::get_if<std::vector<double>>(&a)) {
    const auto& ys = std::get<std::vector<double>>(b);
    if (xs->size() != ys.size()) return false;
    for (std::size_t i = 0; i < xs->size(); ++i)
      if (!same_double((*xs)[i], ys[i])) return false;
    return true;
  }
  return a == b;
}

inline std::string attributes_difference(const std::vector<sdk::attribute>& a,
                                         const std::vector<sdk::attribute>& b,
                                         const std::string& where) {
  if (a.size() != b.size())
    return where + ": " + std::to_string(a.size()) + " attributes against " + std::to_string(b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].key != b[i].key) return where + ": attribute " + std::to_string(i) + " key '" + a[i].key + "' against '" + b[i].key + "'";
    if (!same_value(a[i].value, b[i].value))
      return where + ": attribute '" + a[i].key + "' differs (types " + std::to_string(a[i].value.index()) +
             " and " + std::to_string(b[i].value.index()) + ")";
  }
  return {};
}

inline std::string context_difference(const trace::span_context& a, const trace::span_context& b,
                                      const std::string& where) {
  if (a.trace != b.trace) return where + ": trace id";
  if (a.span != b.span) return where + ": span id";
  if (a.flags != b.flags) return where + ": flags " + std::to_string(a.flags.value) + " against " + std::to_string(b.flags.value);
  if (a.remote != b.remote) return where + ": remote";
  if (!(a.state == b.state))
    return where + ": trace state '" + std::string(a.state.header()) + "' against '" + std::string(b.state.header()) + "'";
  return {};
}

inline std::string resource_difference(const sdk::resource* a, const sdk::resource* b) {
  if ((a == nullptr) != (b == nullptr)) return "resource present in one only";
  if (a == nullptr) return {};
  if (a->schema_url != b->schema_url) return "resource schema url";
  return attributes_difference(a->attributes, b->attributes, "resource");
}

inline std::string scope_difference(const sdk::instrumentation_scope* a,
                                    const sdk::instrumentation_scope* b) {
  if ((a == nullptr) != (b == nullptr)) return "scope present in one only";
  if (a == nullptr) return {};
  if (a->name != b->name) return "scope name '" + a->name + "' against '" + b->name + "'";
  if (a->version != b->version) return "scope version";
  if (a->schema_url != b->schema_url) return "scope schema url";
  return attributes_difference(a->attributes, b->attributes, "scope");
}

/// The first difference between two spans, or "" when they are equal field by field.
inline std::string span_difference(const sdk::span_data& a, const sdk::span_data& b) {
  std::string d = context_difference(a.context, b.context, "context");
  if (!d.empty()) return d;
  if (a.parent_span_id != b.parent_span_id) return "parent span id";
  if (a.parent_is_remote != b.parent_is_remote) return "parent_is_remote";
  if (a.name != b.name) return "name '" + a.name + "' against '" + b.name + "'";
  if (a.kind != b.kind) return "kind";
  if (a.start_time_unix_nano != b.start_time_unix_nano) return "start time";
  if (a.end_time_unix_nano != b.end_time_unix_nano) return "end time";
  if (d = attributes_difference(a.attributes, b.attributes, "span"); !d.empty()) return d;
  if (a.dropped_attributes_count != b.dropped_attributes_count) return "dropped attributes count";
  if (a.events.size() != b.events.size()) return "event count";
  for (std::size_t i = 0; i < a.events.size(); ++i) {
    const auto& x = a.events[i];
    const auto& y = b.events[i];
    const std::string where = "event " + std::to_string(i);
    if (x.name != y.name) return where + ": name";
    if (x.time_unix_nano != y.time_unix_nano) return where + ": time";
    if (x.dropped_attributes_count != y.dropped_attributes_count) return where + ": dropped count";
    if (d = attributes_difference(x.attributes, y.attributes, where); !d.empty()) return d;
  }
  if (a.dropped_events_count != b.dropped_events_count) return "dropped events count";
  if (a.links.size() != b.links.size()) return "link count";
  for (std::size_t i = 0; i < a.links.size(); ++i) {
    const std::string where = "link " + std::to_string(i);
    if (d = context_difference(a.links[i].context, b.links[i].context, where); !d.empty()) return d;
    if (a.links[i].dropped_attributes_count != b.links[i].dropped_attributes_count) return where + ": dropped count";
    if (d = attributes_difference(a.links[i].attributes, b.links[i].attributes, where); !d.empty()) return d;
  }
  if (a.dropped_links_count != b.dropped_links_count) return "dropped links count";
  if (a.status.code != b.status.code) return "status code";
  if (a.status.message != b.status.message) return "status message";
  if (d = resource_difference(a.resource_ptr.get(), b.resource_ptr.get()); !d.empty()) return d;
  return scope_difference(a.scope_ptr.get(), b.scope_ptr.get());
}

/// The first difference between two lists of spans, or "".
inline std::string spans_difference(const std::vector<sdk::span_data>& a,
                                    const std::vector<sdk::span_data>& b) {
  if (a.size() != b.size())
    return std::to_string(a.size()) + " spans against " + std::to_string(b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    const std::string d = span_difference(a[i], b[i]);
    if (!d.empty()) return "span " + std::to_string(i) + ": " + d;
  }
  return {};
}

}  // namespace ctxflow::viewer::testing
