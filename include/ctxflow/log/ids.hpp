// SPDX-License-Identifier: Apache-2.0
// The ids a log line carries to name the span it was written in: ids (a trace id and a span
// id), current_ids() (those of the current span) and ids::write (their text, into a caller's
// buffer). No dependency beyond trace/; ctxflow/log/fmt.hpp makes ids formattable and
// ctxflow/log/spdlog.hpp writes them into every spdlog line. See docs/usage/logging.md.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "ctxflow/trace/span.hpp"
#include "ctxflow/trace/span_context.hpp"

namespace ctxflow::log {

namespace detail {
/// Copies `s` to `p`; returns the end of what it wrote.
inline char* put(char* p, std::string_view s) noexcept {
  for (char c : s) *p++ = c;
  return p;
}

/// Writes `trace_id=<32 hex> span_id=<16 hex>` to `p`, valid or not; returns its end.
inline char* put_ids(char* p, const trace::trace_id& t, const trace::span_id& s) noexcept {
  p = put(p, "trace_id=");
  trace::to_lower_hex(t.bytes, p);
  p = put(p + 2 * t.bytes.size(), " span_id=");
  trace::to_lower_hex(s.bytes, p);
  return p + 2 * s.bytes.size();
}
}  // namespace detail

/// The trace id and span id of one span, for a log line.
///
/// Text: `trace_id=<32 lowercase hex> span_id=<16 lowercase hex>` when valid(), else nothing at
/// all, so a line written outside any span carries no ids rather than zeros.
/// Thread safety: a value type.
struct ids {
  /// Characters in the text of valid ids: "trace_id=" 32 " span_id=" 16.
  static constexpr std::size_t text_size = 9 + 32 + 9 + 16;

  trace::trace_id trace;
  trace::span_id span;

  /// Both ids valid (not all zero).
  constexpr bool valid() const noexcept { return trace.valid() && span.valid(); }

  /// Writes the text into `out` and returns how many characters it wrote: text_size, or 0 when
  /// the ids are not valid. No allocation, no terminator.
  std::size_t write(std::span<char, text_size> out) const noexcept {
    if (!valid()) return 0;
    detail::put_ids(out.data(), trace, span);
    return text_size;
  }

  friend constexpr bool operator==(const ids&, const ids&) noexcept = default;
};

/// The ids of `sc`; they are not valid() when `sc` is not.
constexpr ids ids_of(const trace::span_context& sc) noexcept { return ids{sc.trace, sc.span}; }

/// The ids of the current span: the span in the span slot of the running execution unit's
/// current context, which is the one a coroutine task carries across suspensions and thread
/// hops. Not valid() when no span is current. A span whose context came from a remote parent
/// (extracted from a request) counts: its ids are the remote caller's.
///
/// Context: reads the current context (trace::current_span()); keeps no state of its own.
/// Cost: one thread-local load and a copy of 24 bytes; no reference count, no allocation.
inline ids current_ids() noexcept {
  const trace::span_ref current = trace::current_span();
  if (!current) return {};
  const trace::span_context& sc = current.get()->context();
  return ids{sc.trace, sc.span};
}

}  // namespace ctxflow::log
