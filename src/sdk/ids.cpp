// SPDX-License-Identifier: Apache-2.0
// The default id generator (R7.12): xoshiro256** per thread, seeded from std::random_device
// through splitmix64, reseeded in a child after fork() so parent and child never repeat ids.
#include "ctxflow/sdk/id_generator.hpp"

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <random>

#include "sdk/random_ids.hpp"

namespace ctxflow::sdk {
namespace detail {

std::atomic<std::uint32_t> fork_generation{1};
thread_local constinit id_rng tls_id_rng{{0, 0, 0, 0}, 0};

namespace {

void on_fork_child() noexcept { fork_generation.fetch_add(1, std::memory_order_relaxed); }

std::uint64_t splitmix64(std::uint64_t& x) noexcept {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

void id_rng::seed() noexcept {
  static const bool registered = [] {
    pthread_atfork(nullptr, nullptr, &on_fork_child);
    return true;
  }();
  (void)registered;
  std::uint64_t x = 0;
  // std::random_device reports an unusable source by throwing, which without exceptions is an
  // abort: such builds seed from the time and address below only. This is the one seed that
  // must not use CTXFLOW_TRY, whose protected block also runs without exceptions.
#if CTXFLOW_HAS_EXCEPTIONS
  try {
    std::random_device rd;
    x = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  } catch (...) {
    x = 0;
  }
#endif
  // Mix in time and the state's address so that even a failing random_device gives distinct
  // streams per thread.
  x ^= static_cast<std::uint64_t>(
      std::chrono::high_resolution_clock::now().time_since_epoch().count());
  x ^= reinterpret_cast<std::uintptr_t>(this) * 0x9e3779b97f4a7c15ULL;
  for (std::uint64_t& w : s) w = splitmix64(x);
  generation = fork_generation.load(std::memory_order_relaxed);
}

}  // namespace detail

namespace {

class random_id_generator final : public id_generator {
 public:
  trace::trace_id new_trace_id() noexcept override { return random_trace_id(); }
  trace::span_id new_span_id() noexcept override { return random_span_id(); }
  bool random() const noexcept override { return true; }
};

}  // namespace

trace::trace_id random_trace_id() noexcept { return detail::next_trace_id(); }

trace::span_id random_span_id() noexcept { return detail::next_span_id(); }

std::shared_ptr<id_generator> make_random_id_generator() {
  return std::make_shared<random_id_generator>();
}

}  // namespace ctxflow::sdk
