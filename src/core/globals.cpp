// SPDX-License-Identifier: Apache-2.0
// The process-wide state of ctxflow::core, in one place (style.md §6): the current-context
// slot, the diagnostics handler, and the counters behind keys and execution units.
#include "core/globals.hpp"

#include <cstdlib>
#include <cstring>

#include "ctxflow/context/detail/context_impl.hpp"
#include "ctxflow/exec/scheduler.hpp"

namespace ctxflow::detail {

thread_local constinit context_impl* tls_current = nullptr;
thread_local constinit exec_unit* tls_unit = nullptr;
thread_local constinit exec_unit tls_thread_unit{};

diagnostics_state& diagnostics() noexcept {
  static diagnostics_state state;
  return state;
}

std::atomic<bool>& strict_flag() noexcept {
  static std::atomic<bool> flag{[] {
    const char* v = std::getenv("CTXFLOW_STRICT_CONTEXT");
    return v != nullptr && std::strcmp(v, "1") == 0;
  }()};
  return flag;
}

std::atomic<std::uint64_t>& key_counter() noexcept {
  static std::atomic<std::uint64_t> counter{0};
  return counter;
}

std::atomic<std::uint64_t>& unit_generation_counter() noexcept {
  static std::atomic<std::uint64_t> counter{0};
  return counter;
}

}  // namespace ctxflow::detail

namespace ctxflow::exec::detail {
thread_local constinit scheduler* tls_scheduler = nullptr;
}  // namespace ctxflow::exec::detail

// ---- trace: the global tracer provider (owned by src/trace/) ----
#include "trace/global_provider.hpp"

namespace ctxflow::trace::detail {

// Immortal: tracers may start spans from static destructors after main returns.
global_provider_slot& global_provider() noexcept {
  static global_provider_slot* slot = new global_provider_slot;
  return *slot;
}

}  // namespace ctxflow::trace::detail
// ---- end trace ----

// ---- propagation: the global propagator and the B3 debug key (owned by src/propagation/) ----
#include "propagation/globals_access.hpp"

namespace ctxflow::propagation::detail {

// Immortal: propagators may be used from static destructors after main returns.
propagation_globals& globals() noexcept {
  static propagation_globals* g = new propagation_globals;
  return *g;
}

}  // namespace ctxflow::propagation::detail
// ---- end propagation ----
