// SPDX-License-Identifier: Apache-2.0
// Out-of-line helpers of the carrier adapters and of the propagators' diagnostics.
#include "ctxflow/propagation/text_map.hpp"

#include <cstdio>

#include "ctxflow/context/diagnostics.hpp"
#include "propagation/report.hpp"

namespace ctxflow::propagation::detail {

void report_carrier_failure(const char* what) noexcept {
  reportf(severity::warning, "propagation.carrier.failed",
          "a carrier's %s threw; the field is treated as absent", what);
}

void report_invalid(std::string_view code, std::string_view what, std::string_view value) noexcept {
  // Show at most 64 characters, with anything that is not printable ASCII replaced, so a
  // hostile header cannot inject control sequences into logs.
  char shown[65];
  std::size_t n = 0;
  for (; n < value.size() && n < 64; ++n) {
    const char c = value[n];
    shown[n] = (c >= 0x20 && c < 0x7F) ? c : '?';
  }
  shown[n] = '\0';
  reportf(severity::debug, code, "%.*s: \"%s\"%s (%zu bytes)",
          static_cast<int>(what.size()), what.data(), shown, value.size() > 64 ? "..." : "",
          value.size());
}

}  // namespace ctxflow::propagation::detail
