// SPDX-License-Identifier: Apache-2.0
// The TSC-based wall clock behind span timestamps (see fast_clock.hpp): its slow path.
#include "sdk/fast_clock.hpp"

#include <time.h>

#include <atomic>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace ctxflow::sdk::detail {
namespace {

std::uint64_t realtime_ns() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ull +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

}  // namespace

#if defined(__x86_64__)

constinit clock_anchor tsc_anchor{};

namespace {

__extension__ typedef unsigned __int128 u128;

bool invariant_tsc() noexcept {
  unsigned a = 0, b = 0, c = 0, d = 0;
  // __get_cpuid answers 0 for a leaf above the processor's highest.
  return __get_cpuid(0x80000007u, &a, &b, &c, &d) != 0 &&
         (d & (1u << 8)) != 0;  // CPUID.80000007H:EDX[8]: invariant TSC
}

// The updater's own state (written only by the caller that holds `updating`).
struct updater_state {
  std::atomic<bool> updating{false};  // false: free; true: one caller updates the anchor
  bool started = false;               // the first sample was taken
  bool usable = false;                // invariant TSC
  // The sample the next rate is measured from.
  std::uint64_t sample_tsc = 0;
  std::uint64_t sample_ns = 0;
};
constinit updater_state updater{};

constexpr std::uint64_t never = ~std::uint64_t{0};

void reanchor(clock_anchor& a, std::uint64_t tsc) noexcept {
  updater_state& u = updater;
  if (!u.started) {
    u.started = true;
    u.usable = invariant_tsc();
    u.sample_tsc = __rdtsc();
    u.sample_ns = realtime_ns();
    // Without an invariant TSC the anchor stays unready (mult 0) for good: clock_gettime.
    // Otherwise the first measurement after 20 ms worth of ticks (assume >= 1 GHz until
    // measured).
    a.next_tsc.store(u.usable ? u.sample_tsc + 20'000'000ull : never, std::memory_order_relaxed);
    return;
  }
  const std::uint64_t ns = realtime_ns();
  const std::uint64_t t = __rdtsc();
  const std::uint64_t dt = t - u.sample_tsc;
  const std::uint64_t dns = ns - u.sample_ns;
  if (dt > 0 && ns > u.sample_ns && dns < (1ull << 40)) {
    const std::uint64_t mult = static_cast<std::uint64_t>((static_cast<u128>(dns) << 32) / dt);
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
  u.sample_tsc = t;
  u.sample_ns = ns;
}

}  // namespace

std::uint64_t now_ns_slow(std::uint64_t tsc) noexcept {
  clock_anchor& a = tsc_anchor;
  updater_state& u = updater;
  // acquire: the previous updater's writes to `updater` are visible.
  if (tsc >= a.next_tsc.load(std::memory_order_relaxed) &&
      !u.updating.exchange(true, std::memory_order_acquire)) {
    if (tsc >= a.next_tsc.load(std::memory_order_relaxed)) reanchor(a, tsc);
    u.updating.store(false, std::memory_order_release);
  }
  for (;;) {
    const std::uint32_t s1 = a.seq.load(std::memory_order_acquire);
    const std::uint64_t base_tsc = a.base_tsc.load(std::memory_order_acquire);
    const std::uint64_t base_ns = a.base_ns.load(std::memory_order_acquire);
    const std::uint64_t mult = a.mult.load(std::memory_order_acquire);
    if ((s1 & 1u) != 0 || a.seq.load(std::memory_order_relaxed) != s1) continue;
    if (mult == 0) return realtime_ns();
    if (tsc < base_tsc) return base_ns;  // a reading taken just before a re-anchor
    return base_ns + static_cast<std::uint64_t>((static_cast<u128>(tsc - base_tsc) * mult) >> 32);
  }
}

#else

std::uint64_t fast_now_ns() noexcept { return realtime_ns(); }

#endif

}  // namespace ctxflow::sdk::detail
