// SPDX-License-Identifier: Apache-2.0
// Out-of-line helpers of the carrier adapters and of the propagators' diagnostics.
#include "ctxflow/propagation/text_map.hpp"

#include <cstdio>

#include "ctxflow/context/diagnostics.hpp"

namespace ctxflow::propagation::detail {

void report_carrier_failure(const char* what) noexcept {
  reportf(severity::warning, "propagation.carrier.failed",
          "a carrier's %s threw; the field is treated as absent", what);
}

}  // namespace ctxflow::propagation::detail
