// SPDX-License-Identifier: Apache-2.0
// B3 single- and multi-header parsing and injection (R5.8).
#include "ctxflow/propagation/b3.hpp"

#include <cstring>

#include "ctxflow/context/diagnostics.hpp"
#include "propagation/globals_access.hpp"
#include "base/hex.hpp"
#include "internal/report.hpp"
#include "propagation/span_bridge.hpp"
#include "base/ascii.hpp"

namespace ctxflow::propagation {
namespace {

// The marker stored under the B3 debug key.
struct debug_marker final : ctxflow::detail::ref_counted {};

// 32 or 16 lowercase hex; 16 is left-padded with zeros (R2.17).
bool parse_trace_id(std::string_view s, trace::trace_id& out) noexcept {
  out = {};
  if (s.size() == 32) return internal::decode_lower_hex(s.data(), 16, out.bytes.data());
  if (s.size() == 16) return internal::decode_lower_hex(s.data(), 8, out.bytes.data() + 8);
  return false;
}

bool parse_span_id(std::string_view s, trace::span_id& out) noexcept {
  return s.size() == 16 && internal::decode_lower_hex(s.data(), 8, out.bytes.data());
}

bool valid_ids(const trace::span_context& sc) noexcept { return sc.trace.valid() && sc.span.valid(); }

std::optional<std::string_view> get_header(const carrier_getter& g, std::string_view canonical,
                                           std::string_view lower) noexcept {
  if (auto v = g.get(canonical)) return v;
  return g.get(lower);  // exact-match carriers that store HTTP/2-style lowercase names
}

std::optional<b3_parsed> parse_multi(const carrier_getter& g, bool& present) noexcept {
  const auto trace = get_header(g, b3_propagator::trace_id_header, "x-b3-traceid");
  const auto span = get_header(g, b3_propagator::span_id_header, "x-b3-spanid");
  present = trace.has_value() || span.has_value();
  if (!trace || !span) return std::nullopt;
  b3_parsed out;
  if (!parse_trace_id(internal::trim_ows(*trace), out.span_context.trace) ||
      !parse_span_id(internal::trim_ows(*span), out.span_context.span) || !valid_ids(out.span_context))
    return std::nullopt;
  if (const auto parent = get_header(g, b3_propagator::parent_span_id_header, "x-b3-parentspanid")) {
    trace::span_id ignored;
    if (!parse_span_id(internal::trim_ows(*parent), ignored)) return std::nullopt;
  }
  if (const auto flags = get_header(g, b3_propagator::flags_header, "x-b3-flags")) {
    if (internal::trim_ows(*flags) == "1") out.debug = true;
  }
  bool sampled = out.debug;  // debug implies sampled
  if (const auto s = get_header(g, b3_propagator::sampled_header, "x-b3-sampled")) {
    const std::string_view v = internal::trim_ows(*s);
    if (v == "1" || v == "true") {
      sampled = true;
    } else if (v != "0" && v != "false") {
      return std::nullopt;
    }
  }
  out.span_context.flags = out.span_context.flags.with_sampled(sampled);
  out.span_context.remote = true;
  return out;
}

}  // namespace

std::optional<b3_parsed> parse_b3_single(std::string_view value) noexcept {
  std::string_view v = internal::trim_ows(value);
  b3_parsed out;
  // {TraceId}-{SpanId}[-{SamplingState}[-{ParentSpanId}]]
  std::size_t dash = v.find('-');
  if (dash == std::string_view::npos) return std::nullopt;  // includes sampling-only values
  if (!parse_trace_id(v.substr(0, dash), out.span_context.trace)) return std::nullopt;
  v.remove_prefix(dash + 1);
  dash = v.find('-');
  if (!parse_span_id(v.substr(0, dash), out.span_context.span)) return std::nullopt;
  if (!valid_ids(out.span_context)) return std::nullopt;
  bool sampled = false;
  if (dash != std::string_view::npos) {
    v.remove_prefix(dash + 1);
    dash = v.find('-');
    const std::string_view state = v.substr(0, dash);
    if (state == "1") {
      sampled = true;
    } else if (state == "d") {
      sampled = true;
      out.debug = true;
    } else if (state != "0") {
      return std::nullopt;
    }
    if (dash != std::string_view::npos) {
      trace::span_id parent;
      if (!parse_span_id(v.substr(dash + 1), parent)) return std::nullopt;
    }
  }
  out.span_context.flags = out.span_context.flags.with_sampled(sampled);
  out.span_context.remote = true;
  return out;
}

bool b3_debug(const context& ctx) noexcept {
  return ctx.find(detail::globals().b3_debug_key) != nullptr;
}

void b3_propagator::inject(const context& ctx, carrier_setter& setter) const noexcept {
  const trace::span_context sc = trace::span_context_from(ctx);
  if (!sc.valid()) return;
  const bool debug = b3_debug(ctx);
  char trace_hex[32];
  char span_hex[16];
  internal::encode_lower_hex(sc.trace.bytes.data(), 16, trace_hex);
  internal::encode_lower_hex(sc.span.bytes.data(), 8, span_hex);
  if (encoding_ == b3_encoding::single_header) {
    char buf[32 + 1 + 16 + 2];
    std::memcpy(buf, trace_hex, 32);
    buf[32] = '-';
    std::memcpy(buf + 33, span_hex, 16);
    buf[49] = '-';
    buf[50] = debug ? 'd' : (sc.sampled() ? '1' : '0');
    setter.set(single_header, std::string_view(buf, sizeof buf));
    return;
  }
  setter.set(trace_id_header, std::string_view(trace_hex, 32));
  setter.set(span_id_header, std::string_view(span_hex, 16));
  if (debug) {
    setter.set(flags_header, "1");  // X-B3-Sampled is not sent with debug
  } else {
    setter.set(sampled_header, sc.sampled() ? "1" : "0");
  }
}

context b3_propagator::extract(const context& ctx, const carrier_getter& getter) const noexcept {
  std::optional<b3_parsed> parsed;
  if (const auto single = getter.get(single_header)) {
    parsed = parse_b3_single(*single);
    const std::string_view trimmed = internal::trim_ows(*single);
    const bool sampling_only = trimmed == "0" || trimmed == "1" || trimmed == "d";
    if (!parsed && !sampling_only)
      internal::report_invalid_input("propagation.b3.invalid", "b3 header ignored", *single);
    if (sampling_only) return ctx;  // a valid deny/accept-only header carries no parent
  }
  if (!parsed) {
    bool multi_present = false;
    parsed = parse_multi(getter, multi_present);
    if (!parsed) {
      if (multi_present)
        internal::report_invalid_input("propagation.b3.invalid", "X-B3 headers ignored", {});
      return ctx;
    }
  }
  context out = trace::context_with_remote_parent(ctx, parsed->span_context);
  if (parsed->debug) {
    auto marker = ctxflow::detail::make_ref<debug_marker>();
    if (marker) out = out.with_value(detail::globals().b3_debug_key, marker.get());
  } else if (out.find(detail::globals().b3_debug_key)) {
    out = out.with_value(detail::globals().b3_debug_key, nullptr);  // a new, non-debug parent
  }
  return out;
}

}  // namespace ctxflow::propagation
