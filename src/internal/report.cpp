// SPDX-License-Identifier: Apache-2.0
#include "internal/report.hpp"

#include <cstddef>

#include "ctxflow/context/diagnostics.hpp"

namespace ctxflow::internal {
namespace {

// Copies at most `limit` characters of `value` into `out`, replacing anything that is not
// printable ASCII; returns the count copied.
std::size_t sanitise(std::string_view value, char* out, std::size_t limit) noexcept {
  std::size_t n = 0;
  for (; n < value.size() && n < limit; ++n) {
    const char c = value[n];
    out[n] = (c >= 0x20 && c < 0x7F) ? c : '?';
  }
  out[n] = '\0';
  return n;
}

}  // namespace

void report_invalid_input_now(std::string_view code, std::string_view what,
                              std::string_view value) noexcept {
  char shown[65];
  sanitise(value, shown, 64);
  reportf(severity::debug, code, "%.*s: \"%s\"%s (%zu bytes)", static_cast<int>(what.size()),
          what.data(), shown, value.size() > 64 ? "..." : "", value.size());
}

void report_invalid_setting(std::string_view code, std::string_view name, std::string_view value,
                            std::string_view why, std::string_view instead) noexcept {
  char shown[201];
  sanitise(value, shown, 200);
  reportf(severity::warning, code, "%.*s=\"%s\" is invalid (%.*s); using %.*s",
          static_cast<int>(name.size()), name.data(), shown, static_cast<int>(why.size()),
          why.data(), static_cast<int>(instead.size()), instead.data());
}

}  // namespace ctxflow::internal
