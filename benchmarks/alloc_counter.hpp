// SPDX-License-Identifier: Apache-2.0
// Counts heap allocations per thread, so benchmarks can report the allocations an operation
// makes on the calling (application) thread. Include in exactly one translation unit per program.
#pragma once

#include <cstdint>
#include <cstddef>
#include <cstdlib>
#include <new>

// GCC pairs the replaced operators with malloc/free and warns; the pairing here is deliberate.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace ctxflow::bench {
/// Allocations made by the calling thread so far.
inline thread_local constinit std::uint64_t thread_allocations = 0;
}  // namespace ctxflow::bench

void* operator new(std::size_t n) {
  ++ctxflow::bench::thread_allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  ++ctxflow::bench::thread_allocations;
  return std::malloc(n == 0 ? 1 : n);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace ctxflow::bench {
/// Sets the counter `allocs/iter`: the calling thread's allocations since `before`, per iteration.
template <class State>
void report_allocs(State& state, std::uint64_t before) {
  state.counters["allocs/iter"] = static_cast<double>(thread_allocations - before) /
                                  static_cast<double>(state.iterations());
}

/// Reports the calling thread's allocations per iteration as `allocs/iter` when it ends.
template <class State>
class alloc_scope {
 public:
  explicit alloc_scope(State& s) : state_(s), start_(thread_allocations) {}
  ~alloc_scope() { report_allocs(state_, start_); }

 private:
  State& state_;
  std::uint64_t start_;
};
}  // namespace ctxflow::bench
