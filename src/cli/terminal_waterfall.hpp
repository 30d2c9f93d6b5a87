// SPDX-License-Identifier: Apache-2.0
// The waterfall `ctxflow view` and `ctxflow serve` print: one set of render options, and the
// width of the terminal standard output is, so both commands draw a trace the same way.
#pragma once

#include <cstddef>

#include "ctxflow/exporters/console_exporter.hpp"

namespace ctxflow::cli {

/// Narrowest and widest line the commands draw.
inline constexpr std::size_t min_waterfall_width = 40;
inline constexpr std::size_t max_waterfall_width = 1000;

/// True when standard output is a terminal.
bool stdout_is_terminal() noexcept;

/// The terminal's width when standard output is one (clamped to the bounds above), else
/// `fallback`.
std::size_t terminal_width(std::size_t fallback) noexcept;

/// Span kinds, services (when a trace has more than one), errors marked, the trace's start time
/// in the header, remote children under their parents; `width` is the whole line's width and
/// the name column takes two fifths of it.
exporters::render_options terminal_waterfall_options(bool ascii, bool colour, std::size_t width);

}  // namespace ctxflow::cli
