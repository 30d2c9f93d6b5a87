// SPDX-License-Identifier: Apache-2.0
#include "cli/terminal_waterfall.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>

namespace ctxflow::cli {

bool stdout_is_terminal() noexcept { return ::isatty(STDOUT_FILENO) == 1; }

std::size_t terminal_width(std::size_t fallback) noexcept {
  if (stdout_is_terminal()) {
    winsize ws{};
    if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
      return std::clamp<std::size_t>(ws.ws_col, min_waterfall_width, max_waterfall_width);
  }
  return fallback;
}

exporters::render_options terminal_waterfall_options(bool ascii, bool colour, std::size_t width) {
  exporters::render_options render;
  render.ascii = ascii;
  render.colour = colour;
  render.total_width = width;
  render.max_name_width = std::max<std::size_t>(16, width * 2 / 5);
  render.show_kinds = true;
  render.show_services = true;
  render.mark_errors = true;
  render.show_start_time = true;
  render.nest_remote_children = true;
  return render;
}

}  // namespace ctxflow::cli
