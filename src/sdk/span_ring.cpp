// SPDX-License-Identifier: Apache-2.0
// The per-thread ring of the batch span processor (see span_ring.hpp).
#include "sdk/span_ring.hpp"

#include <new>

namespace ctxflow::sdk::detail {

namespace {
std::uint64_t round_up_pow2(std::uint64_t v) noexcept {
  std::uint64_t p = 1;
  while (p < v) p <<= 1;
  return p;
}
}  // namespace

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
