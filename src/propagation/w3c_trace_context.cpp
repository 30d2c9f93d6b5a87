// SPDX-License-Identifier: Apache-2.0
// traceparent parsing and formatting in place (no allocation, no regex), and the tracecontext
// propagator. The only allocations on extract are the trace_state (once, when present) and
// what the trace API needs to hold the remote parent in the context.
#include "ctxflow/propagation/w3c_trace_context.hpp"

#include <cstdint>
#include <cstring>
#include <utility>

#include "ctxflow/context/diagnostics.hpp"
#include "base/hex.hpp"
#include "internal/report.hpp"
#include "propagation/carrier_fields.hpp"
#include "propagation/span_bridge.hpp"
#include "base/ascii.hpp"

namespace ctxflow::propagation {
namespace {

// span_context::valid() with word loads instead of a loop over 24 bytes.
bool ids_valid(const trace::span_context& sc) noexcept {
  std::uint64_t t0, t1, s0;
  std::memcpy(&t0, sc.trace.bytes.data(), 8);
  std::memcpy(&t1, sc.trace.bytes.data() + 8, 8);
  std::memcpy(&s0, sc.span.bytes.data(), 8);
  return (t0 | t1) != 0 && s0 != 0;
}

}  // namespace

std::optional<trace::span_context> parse_traceparent(std::string_view v) noexcept {
  if (v.size() != traceparent_size) v = internal::trim_ows(v);  // R2.9
  if (v.size() < traceparent_size) return std::nullopt;  // R2.8: shorter restarts
  const char* p = v.data();
  std::uint8_t version = 0;
  if (p[2] != '-' || !internal::decode_lower_hex(p, 1, &version) || version == 0xFF) return std::nullopt;
  if (version == 0) {
    if (v.size() != traceparent_size) return std::nullopt;  // R2.7: no trailing data
  } else if (v.size() > traceparent_size && p[traceparent_size] != '-') {
    return std::nullopt;  // R2.8: flags must end the value or be followed by '-'
  }
  if (p[35] != '-' || p[52] != '-') return std::nullopt;
  std::optional<trace::span_context> out(std::in_place);
  trace::span_context& sc = *out;
  std::uint8_t flags = 0;
  std::uint8_t* t = sc.trace.bytes.data();
  std::uint8_t* s = sc.span.bytes.data();
  // Every block is decoded and one branch tests them all: cheaper than a branch per block on
  // the (common) valid path.
  unsigned hex = internal::decode_lower_hex16(p + 3, t);
  hex &= internal::decode_lower_hex16(p + 19, t + 8);
  hex &= internal::decode_lower_hex16(p + 36, s);
  hex &= internal::decode_lower_hex(p + 53, 1, &flags);
  if (hex == 0) return std::nullopt;
  std::uint64_t t0, t1, s0;
  std::memcpy(&t0, t, 8);
  std::memcpy(&t1, t + 8, 8);
  std::memcpy(&s0, s, 8);
  if ((t0 | t1) == 0 || s0 == 0) return std::nullopt;  // R2.4, R2.5: all-zero ids
  if (version != 0) flags &= trace::trace_flags::sampled_bit | trace::trace_flags::random_bit;
  sc.flags.value = flags;
  sc.remote = true;  // R2.12
  return out;
}

namespace {

// format_traceparent's body, inlined into inject.
[[gnu::always_inline]] inline void write_traceparent(const trace::span_context& sc,
                                                     char* p) noexcept {
  p[0] = '0';
  p[1] = '0';
  p[2] = '-';
  internal::encode_lower_hex16(sc.trace.bytes.data(), p + 3);
  p[35] = '-';
  internal::encode_lower_hex8(sc.span.bytes.data(), p + 36);
  p[52] = '-';
  const std::uint8_t flags =
      sc.flags.value & (trace::trace_flags::sampled_bit | trace::trace_flags::random_bit);
  internal::encode_lower_hex(&flags, 1, p + 53);
}

}  // namespace

void format_traceparent(const trace::span_context& sc,
                        std::span<char, traceparent_size> out) noexcept {
  write_traceparent(sc, out.data());
}

namespace {

// What inject does besides writing over a reused traceparent: out of line and reached by tail
// calls, so that the common path (a reused header list, no tracestate) saves no registers.
[[gnu::noinline]] void inject_tracestate(const trace::span_context& sc,
                                         carrier_setter& setter) noexcept {
  const std::string_view full = sc.state.header();
  if (full.size() <= 512) {
    setter.set(w3c_trace_context_propagator::tracestate_header, full);
    return;
  }
  const std::string truncated = sc.state.to_header(512);  // R3.9
  if (!truncated.empty()) setter.set(w3c_trace_context_propagator::tracestate_header, truncated);
}

[[gnu::noinline]] void inject_through_interface(const trace::span_context& sc,
                                                carrier_setter& setter) noexcept {
  auto format = [&sc](char* out) noexcept { write_traceparent(sc, out); };
  setter.set_in_place(w3c_trace_context_propagator::traceparent_header, traceparent_size, format);
  if (!sc.state.empty()) inject_tracestate(sc, setter);
}

}  // namespace

void w3c_trace_context_propagator::inject(const context& ctx,
                                          carrier_setter& setter) const noexcept {
  // By reference: ctx keeps the span alive, and copying would touch the trace_state's count.
  const trace::span_object* span = trace::span_from(ctx).get();
  if (!span) return;
  const trace::span_context& sc = span->context();
  if (!ids_valid(sc)) return;  // R2.13
  // Formatted straight into the carrier's field: over a reused field in the header list, else
  // through the setter.
  string_pair* field = detail::field_to_overwrite(setter, traceparent_header, traceparent_size);
  if (field == nullptr) return inject_through_interface(sc, setter);
  write_traceparent(sc, field->second.data());
  if (!sc.state.empty()) inject_tracestate(sc, setter);
}

context w3c_trace_context_propagator::extract(const context& ctx,
                                              const carrier_getter& getter) const noexcept {
  std::string_view value;
  int seen = 0;
  auto first_two = [&](std::string_view v) noexcept {
    if (seen++ == 0) value = v;
    return seen < 2;
  };
  detail::for_each_value(getter, traceparent_header, first_two);
  if (seen == 0) return ctx;
  if (seen > 1) {  // R2.10
    internal::report_invalid_input("propagation.traceparent.duplicate",
                           "two or more traceparent fields; starting a new trace", value);
    return ctx;
  }
  std::optional<trace::span_context> sc = parse_traceparent(value);
  if (!sc) {  // R2.11
    internal::report_invalid_input("propagation.traceparent.invalid", "traceparent ignored", value);
    return ctx;
  }
  trace::trace_state::parser state;  // R3.1: only after a valid traceparent
  std::string_view first_state;
  bool any_state = false;
  auto feed = [&](std::string_view v) noexcept {
    if (!any_state) first_state = v;
    any_state = true;
    state.feed(v);
    return state.ok();
  };
  detail::for_each_value(getter, tracestate_header, feed);
  if (any_state) {
    if (!state.ok())  // R3.5: drop the whole tracestate, keep traceparent
      internal::report_invalid_input("propagation.tracestate.invalid", "tracestate dropped", first_state);
    sc->state = state.finish();
  }
  return trace::context_with_remote_parent(ctx, std::move(*sc));
}

}  // namespace ctxflow::propagation
