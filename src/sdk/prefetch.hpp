// SPDX-License-Identifier: Apache-2.0
// Private: asking for a cache line in the state for writing ahead of a store
// (docs/design/sdk.md 9.5).
//
// A line the export thread's core has read (a ring slot, a span's data) is shared with that
// core. A store to it has to take it back first, and a locked instruction that follows the
// store waits until it has: about 160 ns on this project's 2-core machine, more than two spans'
// time. A prefetch for writing starts taking it back early, in the background, and has no
// effect on what the program computes.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace ctxflow::sdk::detail {

#if defined(__x86_64__)
/// The processor executes prefetchw (CPUID.80000001H:ECX[8]); set while the library starts.
extern constinit std::atomic<bool> prefetchw_available;
#endif

/// True when the write hint below is prefetchw.
inline bool prefetchw_usable() noexcept {
#if defined(__x86_64__)
  return prefetchw_available.load(std::memory_order_relaxed);
#else
  return false;
#endif
}

/// The write hint for the line of `p`: prefetchw when `prefetchw` (prefetchw_usable()), else the
/// compiler's, which is prefetcht0 (a read hint) unless the build targets processors that have
/// prefetchw.
inline void write_hint(const char* p, [[maybe_unused]] bool prefetchw) noexcept {
#if defined(__x86_64__)
  if (prefetchw) {
    asm volatile("prefetchw %0" : : "m"(*p));
    return;
  }
#endif
  __builtin_prefetch(p, 1, 3);
}

/// Asks for the line of `p` in the state that allows a store.
inline void prefetch_line_for_write(const void* p) noexcept {
  write_hint(static_cast<const char*>(p), prefetchw_usable());
}

/// Asks for every line the `n` bytes at `p` touch in the state that allows a store.
inline void prefetch_for_write(const void* p, std::size_t n) noexcept {
  constexpr std::uintptr_t line = 64;
  const bool prefetchw = prefetchw_usable();
  const std::uintptr_t end = reinterpret_cast<std::uintptr_t>(p) + n;
  for (std::uintptr_t a = reinterpret_cast<std::uintptr_t>(p) & ~(line - 1); a < end; a += line)
    write_hint(reinterpret_cast<const char*>(a), prefetchw);
}

}  // namespace ctxflow::sdk::detail
