// SPDX-License-Identifier: Apache-2.0
// Counts heap allocations made by the benchmark program, so benchmarks can report
// allocations per iteration. Include in exactly one translation unit per program.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

// GCC pairs the replaced operators with malloc/free and warns; the pairing here is deliberate.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace ctxflow::bench {
inline std::atomic<std::size_t> allocations{0};
}  // namespace ctxflow::bench

void* operator new(std::size_t n) {
  ctxflow::bench::allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  ctxflow::bench::allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n == 0 ? 1 : n);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace ctxflow::bench {
/// Reports allocations per iteration as the counter `allocs/iter`.
template <class State>
class alloc_scope {
 public:
  explicit alloc_scope(State& s) : state_(s), start_(allocations.load()) {}
  ~alloc_scope() {
    state_.counters["allocs/iter"] =
        static_cast<double>(allocations.load() - start_) / static_cast<double>(state_.iterations());
  }

 private:
  State& state_;
  std::size_t start_;
};
}  // namespace ctxflow::bench
