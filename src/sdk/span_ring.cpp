// SPDX-License-Identifier: Apache-2.0
// The per-thread ring of the batch span processor (see span_ring.hpp).
#include "sdk/span_ring.hpp"

#include <new>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace ctxflow::sdk::detail {

namespace {
std::uint64_t round_up_pow2(std::uint64_t v) noexcept {
  std::uint64_t p = 1;
  while (p < v) p <<= 1;
  return p;
}
}  // namespace

#if defined(__x86_64__)
constinit std::atomic<bool> prefetchw_available{false};

namespace {
bool cpu_has_prefetchw() noexcept {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid(0x80000000u, &a, &b, &c, &d) == 0 || a < 0x80000001u) return false;
  __get_cpuid(0x80000001u, &a, &b, &c, &d);
  return (c & (1u << 8)) != 0;
}
// Until it has run, push() gives the read hint, which is as correct.
const bool prefetchw_checked = [] {
  prefetchw_available.store(cpu_has_prefetchw(), std::memory_order_relaxed);
  return true;
}();
}  // namespace
#endif

span_ring::span_ring(std::uint64_t min_slots) noexcept
    : slots_(new(std::nothrow) std::atomic<recording_span*>[round_up_pow2(min_slots)]),
      mask_(round_up_pow2(min_slots) - 1) {
  if (slots_ == nullptr) return;
  for (std::uint64_t i = 0; i <= mask_; ++i) slots_[i].store(nullptr, std::memory_order_relaxed);
}

span_ring::~span_ring() { free_slots(); }

void span_ring::free_slots() noexcept {
  delete[] slots_;
  slots_ = nullptr;
}

std::uint64_t span_ring::skip_queued() noexcept {
  const std::uint64_t t = tail_.load(std::memory_order_acquire);
  const std::uint64_t p = taken_.load(std::memory_order_relaxed);
  if (p == t) return 0;
  taken_.store(t, std::memory_order_relaxed);
  done_.store(t, std::memory_order_release);
  return t - p;
}

}  // namespace ctxflow::sdk::detail
