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

/// One thread's count of reports suppressed on the lock-free path: a shard of the process-wide
/// count that only its thread writes (a plain load and store, no read-modify-write), so a flood
/// of reports from several threads shares no cache line. Queries sum the shards under
/// `diagnostics_state::mu`; a thread's shard is linked there on its first suppressed report and
/// folded into `diagnostics_state::suppressed` when the thread exits.
struct diagnostics_shard {
  std::atomic<std::uint64_t> suppressed{0};
  diagnostics_shard* prev = nullptr;
  diagnostics_shard* next = nullptr;
  bool linked = false;
};

struct diagnostics_state {
  std::mutex mu;
  std::shared_ptr<const diagnostics_handler> handler;  // null: the default stderr handler
  std::uint32_t per_second = 100;
  std::int64_t window_start_ns = 0;  // CLOCK_MONOTONIC_COARSE
  std::int64_t window_start_s = 0;   // the wall-clock second (time()) the window opened in
  std::uint32_t in_window = 0;
  std::uint64_t summarised = 0;  // `suppressed` as of the last diagnostics.suppressed summary
  std::atomic<std::uint64_t> reported{0};
  // Suppressed reports counted under `mu`, plus the shards of threads that have exited.
  std::atomic<std::uint64_t> suppressed{0};
  diagnostics_shard* shards = nullptr;  // under `mu`: the live threads' shards
};

/// While the rate-limit window is full: the wall-clock second (time()) it opened in; 0 when not
/// suppressing. Reports made while the wall clock is in that second or the next are counted in
/// the reporting thread's shard and dropped without taking `diagnostics_state::mu`. A
/// constant-initialised global, so that the flood path reads it without a function-local static's
/// guard.
extern std::atomic<std::int64_t> diagnostics_suppress_from_s;

diagnostics_state& diagnostics() noexcept;
std::atomic<bool>& strict_flag() noexcept;
std::atomic<std::uint64_t>& key_counter() noexcept;
std::atomic<std::uint64_t>& unit_generation_counter() noexcept;
#if CTXFLOW_COUNT_REFCOUNT_OPS
refcount_rmw_counts& refcount_rmw_counters() noexcept;  // this thread's
#endif

}  // namespace ctxflow::detail
