// SPDX-License-Identifier: Apache-2.0
// Private: the process-wide state of the context module, defined in state.cpp. Each module owns
// its own process-wide state; every piece is either constant-initialised or a function-local
// static, so no order of initialisation between translation units matters.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/context/ref_counted.hpp"

namespace ctxflow::detail {

struct diagnostics_state {
  std::mutex mu;
  std::shared_ptr<const diagnostics_handler> handler;  // null: the default stderr handler
  std::uint32_t per_second = 100;
  std::int64_t window_start_ns = 0;
  std::uint32_t in_window = 0;
  std::uint64_t summarised = 0;  // `suppressed` as of the last diagnostics.suppressed summary
  std::atomic<std::uint64_t> reported{0};
  std::atomic<std::uint64_t> suppressed{0};
  // While the window is full: its end. Reports before it are counted and dropped without `mu`.
  // 0 when not suppressing.
  std::atomic<std::int64_t> suppress_until_ns{0};
};

diagnostics_state& diagnostics() noexcept;
std::atomic<bool>& strict_flag() noexcept;
std::atomic<std::uint64_t>& key_counter() noexcept;
std::atomic<std::uint64_t>& unit_generation_counter() noexcept;
#if CTXFLOW_COUNT_REFCOUNT_OPS
refcount_rmw_counts& refcount_rmw_counters() noexcept;  // this thread's
#endif

}  // namespace ctxflow::detail
