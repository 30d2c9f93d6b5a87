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

/// Asks for every line the `n` bytes at `p` (n >= 1) touch in the state that allows a store.
inline void prefetch_for_write(const void* p, std::size_t n = 1) noexcept {
  constexpr std::uintptr_t line = 64;
  const std::uintptr_t end = reinterpret_cast<std::uintptr_t>(p) + n;
  std::uintptr_t a = reinterpret_cast<std::uintptr_t>(p) & ~(line - 1);
#if defined(__x86_64__)
  // The compilers emit prefetcht0 (a read hint) for a write hint unless the build targets
  // processors with prefetchw, so it is chosen here when the processor has it.
  if (prefetchw_available.load(std::memory_order_relaxed)) {
    for (; a < end; a += line)
      asm volatile("prefetchw %0" : : "m"(*reinterpret_cast<const char*>(a)));
    return;
  }
#endif
  for (; a < end; a += line) __builtin_prefetch(reinterpret_cast<const char*>(a), 1, 3);
}

}  // namespace ctxflow::sdk::detail
