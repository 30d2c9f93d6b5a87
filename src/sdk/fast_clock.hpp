// SPDX-License-Identifier: Apache-2.0
// Private: wall-clock nanoseconds for span timestamps at the cost of one TSC read.
//
// On x86-64 with an invariant TSC the reading is anchored to CLOCK_REALTIME and the TSC rate is
// measured against it; every second one caller re-anchors (and re-measures the rate), so the
// error stays within the rate error over one second (microseconds at worst) and NTP steps are
// picked up within a second. Until the first 20 ms of measurement have passed, and on other
// platforms, it is clock_gettime(CLOCK_REALTIME).
//
// The reading is inline: a span's start and end each cost the TSC read, a few loads of the
// anchor (one cache line, written once a second) and a multiply. Everything else (the first
// call, a re-anchor, a machine without an invariant TSC) is the out-of-line slow path.
#pragma once

#include <atomic>
#include <cstdint>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace ctxflow::sdk::detail {

#if defined(__x86_64__)

/// The anchor readers convert with: ns = base_ns + (tsc - base_tsc) * mult >> 32.
/// Published with a sequence lock: `seq` is odd while the updater changes the fields.
struct alignas(64) clock_anchor {
  std::atomic<std::uint32_t> seq{0};
  std::atomic<std::uint64_t> base_tsc{0};
  std::atomic<std::uint64_t> base_ns{0};
  std::atomic<std::uint64_t> mult{0};      // ns per tick, 32.32 fixed point; 0: not ready
  std::atomic<std::uint64_t> next_tsc{0};  // the slow path runs once the TSC passes this
};
static_assert(sizeof(clock_anchor) <= 64);

/// Constant-initialised (no guard on the fast path); next_tsc 0 sends the first call to
/// the slow path, which sets everything up.
extern constinit clock_anchor tsc_anchor;

/// The slow path: first use, re-anchoring, and machines without an invariant TSC.
std::uint64_t now_ns_slow(std::uint64_t tsc) noexcept;

/// Nanoseconds since the Unix epoch, now. Thread-safe.
inline std::uint64_t fast_now_ns() noexcept {
  clock_anchor& a = tsc_anchor;
  const std::uint64_t tsc = __rdtsc();
  if (tsc >= a.next_tsc.load(std::memory_order_relaxed)) [[unlikely]]
    return now_ns_slow(tsc);
  for (;;) {
    // acquire: the fields read below belong to the sequence number read here.
    const std::uint32_t s1 = a.seq.load(std::memory_order_acquire);
    // acquire on the data loads keeps the re-read of seq below after them (the seqlock's
    // closing check) without a standalone fence, which ThreadSanitizer does not model.
    const std::uint64_t base_tsc = a.base_tsc.load(std::memory_order_acquire);
    const std::uint64_t base_ns = a.base_ns.load(std::memory_order_acquire);
    const std::uint64_t mult = a.mult.load(std::memory_order_acquire);
    if ((s1 & 1u) != 0 || a.seq.load(std::memory_order_relaxed) != s1) [[unlikely]]
      continue;
    if (mult == 0 || tsc < base_tsc) [[unlikely]]
      return now_ns_slow(tsc);
    __extension__ typedef unsigned __int128 u128;
    return base_ns + static_cast<std::uint64_t>((static_cast<u128>(tsc - base_tsc) * mult) >> 32);
  }
}

#else

/// Nanoseconds since the Unix epoch, now. Thread-safe.
std::uint64_t fast_now_ns() noexcept;

#endif

}  // namespace ctxflow::sdk::detail
