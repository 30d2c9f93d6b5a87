// SPDX-License-Identifier: Apache-2.0
// The process-wide state of the context module: the current-context and execution-unit slots of
// each thread, the diagnostics channel, and the counters behind keys and execution units.
#include "context/state.hpp"

#include <cstdlib>
#include <cstring>

#include "ctxflow/context/detail/context_impl.hpp"

namespace ctxflow::detail {

thread_local constinit slot_ptr tls_current{};
thread_local constinit exec_unit* tls_unit = nullptr;
thread_local constinit exec_unit tls_thread_unit{};

#if CTXFLOW_COUNT_REFCOUNT_OPS
refcount_rmw_counts& refcount_rmw_counters() noexcept {
  static thread_local constinit refcount_rmw_counts counts{};
  return counts;
}
#endif

constinit std::atomic<std::int64_t> diagnostics_suppress_from_s{0};

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
