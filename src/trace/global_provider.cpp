// SPDX-License-Identifier: Apache-2.0
// The process-wide state of the trace module: the global tracer provider's slot.
#include "trace/global_provider.hpp"

namespace ctxflow::trace::detail {

// Immortal: tracers may start spans from static destructors after main returns.
global_provider_slot& global_provider() noexcept {
  static global_provider_slot* slot = new global_provider_slot;
  return *slot;
}

}  // namespace ctxflow::trace::detail
