// SPDX-License-Identifier: Apache-2.0
// Shared helpers for the propagation tests: the W3C suite's ids, header-list carriers, and a
// context holding a given span context as its active span.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ctxflow/context/context.hpp"
#include "ctxflow/trace/span.hpp"
#include "ctxflow/trace/span_context.hpp"

namespace ctxflow::propagation::testing {

using headers = std::vector<std::pair<std::string, std::string>>;

inline constexpr std::string_view trace_hex = "12345678901234567890123456789012";
inline constexpr std::string_view span_hex = "1234567890123456";

inline trace::span_context make_span_context(std::string_view trace = trace_hex,
                                             std::string_view span = span_hex,
                                             std::uint8_t flags = 0x01) {
  trace::span_context sc;
  sc.trace = trace::trace_id::from_hex(trace);
  sc.span = trace::span_id::from_hex(span);
  sc.flags.value = flags;
  return sc;
}

/// A context whose active span carries `sc` (as a remote parent would).
inline context context_with(const trace::span_context& sc) {
  return trace::context_with_remote_parent(context(), sc);
}

inline std::string hex(const trace::trace_id& id) {
  const auto a = id.to_hex();
  return std::string(a.data(), a.size());
}
inline std::string hex(const trace::span_id& id) {
  const auto a = id.to_hex();
  return std::string(a.data(), a.size());
}

/// The value of the first header named `name` (exact), or "<absent>".
inline std::string header(const headers& h, std::string_view name) {
  for (const auto& [k, v] : h)
    if (k == name) return v;
  return "<absent>";
}

}  // namespace ctxflow::propagation::testing
