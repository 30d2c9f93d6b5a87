// SPDX-License-Identifier: Apache-2.0
// {fmt} formatters for ctxflow's ids, so `fmt::format("{}", span.context().trace)` works:
//   trace::trace_id      32 lowercase hex characters (W3C trace-id)
//   trace::span_id       16 lowercase hex characters (W3C parent-id)
//   trace::trace_flags   2 lowercase hex characters (W3C trace-flags)
//   trace::span_context  `trace_id=<32 hex> span_id=<16 hex> trace_flags=<2 hex>`
//   log::ids             `trace_id=<32 hex> span_id=<16 hex>`, or nothing when not valid
// A value formats as what it holds: an invalid (all-zero) id gives zeros. Only log::ids, the
// answer to "which span is this line in", formats as empty text when there is no span.
// Each takes the format spec of a string ({:>40}, {:.8}). Text is built in a stack buffer; no
// allocation beyond what the output does. See docs/usage/logging.md.
#pragma once

#include <fmt/format.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ctxflow/log/ids.hpp"
#include "ctxflow/trace/span_context.hpp"

namespace ctxflow::log::detail {

/// Characters of a formatted span_context.
inline constexpr std::size_t span_context_text_size = 9 + 32 + 9 + 16 + 13 + 2;

/// Writes the text of `sc` (span_context_text_size characters) to `out`.
inline void write_span_context(const trace::span_context& sc, char* out) noexcept {
  char* p = put(put_ids(out, sc.trace, sc.span), " trace_flags=");
  const std::uint8_t flags[1] = {sc.flags.value};
  trace::to_lower_hex(flags, p);
}

/// The formatter of an id type with to_hex(): its lowercase hex text, with a string's spec.
template <class Id>
struct hex_id_formatter : fmt::formatter<fmt::string_view> {
  template <class FormatContext>
  auto format(const Id& id, FormatContext& ctx) const -> decltype(ctx.out()) {
    const auto hex = id.to_hex();
    return fmt::formatter<fmt::string_view>::format(fmt::string_view(hex.data(), hex.size()), ctx);
  }
};

}  // namespace ctxflow::log::detail

/// 32 lowercase hex characters.
template <>
struct fmt::formatter<ctxflow::trace::trace_id>
    : ctxflow::log::detail::hex_id_formatter<ctxflow::trace::trace_id> {};

/// 16 lowercase hex characters.
template <>
struct fmt::formatter<ctxflow::trace::span_id>
    : ctxflow::log::detail::hex_id_formatter<ctxflow::trace::span_id> {};

/// 2 lowercase hex characters, as in a traceparent header (`01`: sampled).
template <>
struct fmt::formatter<ctxflow::trace::trace_flags> : fmt::formatter<fmt::string_view> {
  template <class FormatContext>
  auto format(ctxflow::trace::trace_flags flags, FormatContext& ctx) const -> decltype(ctx.out()) {
    char hex[2];
    const std::uint8_t value[1] = {flags.value};
    ctxflow::trace::to_lower_hex(value, hex);
    return fmt::formatter<fmt::string_view>::format(fmt::string_view(hex, 2), ctx);
  }
};

/// `trace_id=<32 hex> span_id=<16 hex> trace_flags=<2 hex>`, whether valid or not.
template <>
struct fmt::formatter<ctxflow::trace::span_context> : fmt::formatter<fmt::string_view> {
  template <class FormatContext>
  auto format(const ctxflow::trace::span_context& sc, FormatContext& ctx) const
      -> decltype(ctx.out()) {
    std::array<char, ctxflow::log::detail::span_context_text_size> text;
    ctxflow::log::detail::write_span_context(sc, text.data());
    return fmt::formatter<fmt::string_view>::format(fmt::string_view(text.data(), text.size()),
                                                    ctx);
  }
};

/// `trace_id=<32 hex> span_id=<16 hex>`, or nothing when the ids are not valid.
template <>
struct fmt::formatter<ctxflow::log::ids> : fmt::formatter<fmt::string_view> {
  template <class FormatContext>
  auto format(const ctxflow::log::ids& ids, FormatContext& ctx) const -> decltype(ctx.out()) {
    std::array<char, ctxflow::log::ids::text_size> text;
    const std::size_t n = ids.write(text);
    return fmt::formatter<fmt::string_view>::format(fmt::string_view(text.data(), n), ctx);
  }
};
