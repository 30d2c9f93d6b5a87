// SPDX-License-Identifier: Apache-2.0
// The process-wide state of the propagation module: the global propagator and the B3 debug key.
#include "propagation/globals_access.hpp"

namespace ctxflow::propagation::detail {

// Immortal: propagators may be used from static destructors after main returns.
propagation_globals& globals() noexcept {
  static propagation_globals* g = new propagation_globals;
  return *g;
}

}  // namespace ctxflow::propagation::detail
