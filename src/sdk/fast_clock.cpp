// SPDX-License-Identifier: Apache-2.0
// The TSC-based wall clock behind span timestamps (see fast_clock.hpp).
#include "sdk/fast_clock.hpp"

#include <time.h>

#include <atomic>

#if defined(__x86_64__)
#include <cpuid.h>
#include <x86intrin.h>
#endif

namespace ctxflow::sdk::detail {
namespace {

std::uint64_t realtime_ns() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ull +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

#if defined(__x86_64__)

__extension__ typedef unsigned __int128 u128;

bool invariant_tsc() noexcept {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid(0x80000000u, &a, &b, &c, &d) == 0 || a < 0x80000007u) return false;
  __get_cpuid(0x80000007u, &a, &b, &c, &d);
  return (d & (1u << 8)) != 0;  // CPUID.80000007H:EDX[8]: invariant TSC
}

// The anchor readers convert with: ns = base_ns + (tsc - base_tsc) * mult >> 32.
// Published with a sequence lock: `seq` is odd while a writer updates the fields.
struct anchor_state {
  std::atomic<std::uint32_t> seq{0};
  std::atomic<std::uint64_t> base_tsc{0};
  std::atomic<std::uint64_t> base_ns{0};
  std::atomic<std::uint64_t> mult{0};         // ns per tick, 32.32 fixed point; 0: not ready
  std::atomic<std::uint64_t> next_tsc{0};     // re-anchor once the TSC passes this
  std::atomic<bool> updating{false};          // false: free; true: one caller re-anchors
  // The sample the next rate is measured from (written only by the updater).
  std::uint64_t sample_tsc = 0;
  std::uint64_t sample_ns = 0;
  bool usable = false;
};

anchor_state& anchor() noexcept {
  static anchor_state* a = [] {
    auto* s = new anchor_state;
    s->usable = invariant_tsc();
    s->sample_tsc = __rdtsc();
    s->sample_ns = realtime_ns();
    // First measurement after 20 ms worth of ticks (assume >= 1 GHz until measured).
    s->next_tsc.store(s->sample_tsc + 20'000'000ull, std::memory_order_relaxed);
    return s;
  }();
  return *a;
}

void reanchor(anchor_state& a, std::uint64_t tsc) noexcept {
  if (a.updating.exchange(true, std::memory_order_acquire)) return;  // someone else does it
  const std::uint64_t ns = realtime_ns();
  const std::uint64_t t = __rdtsc();
  const std::uint64_t dt = t - a.sample_tsc;
  const std::uint64_t dns = ns - a.sample_ns;
  if (dt > 0 && ns > a.sample_ns && dns < (1ull << 40)) {
    const std::uint64_t mult = static_cast<std::uint64_t>(
        (static_cast<u128>(dns) << 32) / dt);
    a.seq.fetch_add(1, std::memory_order_acq_rel);  // odd: readers retry
    a.base_tsc.store(t, std::memory_order_relaxed);
    a.base_ns.store(ns, std::memory_order_relaxed);
    a.mult.store(mult, std::memory_order_relaxed);
    a.seq.fetch_add(1, std::memory_order_release);  // even: published
    // Re-anchor after about one second.
    const std::uint64_t ticks_per_s =
        mult ? static_cast<std::uint64_t>((1'000'000'000ull << 32) / mult) : 1'000'000'000ull;
    a.next_tsc.store(t + ticks_per_s, std::memory_order_relaxed);
  } else {
    a.next_tsc.store(tsc + 20'000'000ull, std::memory_order_relaxed);
  }
  a.sample_tsc = t;
  a.sample_ns = ns;
  a.updating.store(false, std::memory_order_release);
}

#endif

}  // namespace

std::uint64_t fast_now_ns() noexcept {
#if defined(__x86_64__)
  anchor_state& a = anchor();
  if (!a.usable) return realtime_ns();
  const std::uint64_t tsc = __rdtsc();
  if (tsc >= a.next_tsc.load(std::memory_order_relaxed)) [[unlikely]]
    reanchor(a, tsc);
  for (;;) {
    // acquire: the fields read below belong to the sequence number read here.
    const std::uint32_t s1 = a.seq.load(std::memory_order_acquire);
    // acquire on the data loads keeps the re-read of seq below after them (the seqlock's
    // closing check) without a standalone fence, which ThreadSanitizer does not model.
    const std::uint64_t base_tsc = a.base_tsc.load(std::memory_order_acquire);
    const std::uint64_t base_ns = a.base_ns.load(std::memory_order_acquire);
    const std::uint64_t mult = a.mult.load(std::memory_order_acquire);
    if ((s1 & 1u) != 0 || a.seq.load(std::memory_order_relaxed) != s1) continue;
    if (mult == 0) return realtime_ns();
    if (tsc < base_tsc) return base_ns;  // a reading taken just before a re-anchor
    return base_ns + static_cast<std::uint64_t>(
                         (static_cast<u128>(tsc - base_tsc) * mult) >> 32);
  }
#else
  return realtime_ns();
#endif
}

}  // namespace ctxflow::sdk::detail
