// SPDX-License-Identifier: Apache-2.0
// Private: the default id generator's per-thread state (R7.12), inline so that span creation
// draws its ids without a call: xoshiro256** per thread, seeded from std::random_device through
// splitmix64 on first use, reseeded in a child after fork() so parent and child never repeat ids.
// ids.cpp defines the state and the seeding; the public random_trace_id / random_span_id use
// the same generator.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>

#include "ctxflow/trace/span_context.hpp"

namespace ctxflow::sdk::detail {

// Bumped in the child after every fork(); a thread whose state has an older value reseeds.
extern std::atomic<std::uint32_t> fork_generation;

struct id_rng {
  std::uint64_t s[4];
  std::uint32_t generation;  // 0: never seeded

  void seed() noexcept;  // ids.cpp

  static std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }

  std::uint64_t next() noexcept {
    if (generation != fork_generation.load(std::memory_order_relaxed)) [[unlikely]]
      seed();
    const std::uint64_t result = rotl(s[1] * 5, 7) * 9;
    const std::uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
  }
};

// Constant-initialised, so another file reads it with one thread-local access (no wrapper).
extern thread_local constinit id_rng tls_id_rng;

/// A random trace id, never all zero (R7.12).
inline trace::trace_id next_trace_id() noexcept {
  id_rng& r = tls_id_rng;
  std::uint64_t hi = 0, lo = 0;
  do {
    hi = r.next();
    lo = r.next();
  } while (hi == 0 && lo == 0);
  trace::trace_id id;
  std::memcpy(id.bytes.data(), &hi, 8);
  std::memcpy(id.bytes.data() + 8, &lo, 8);
  return id;
}

/// A random span id, never all zero (R7.12).
inline trace::span_id next_span_id() noexcept {
  id_rng& r = tls_id_rng;
  std::uint64_t v = 0;
  do v = r.next();
  while (v == 0);
  trace::span_id id;
  std::memcpy(id.bytes.data(), &v, 8);
  return id;
}

}  // namespace ctxflow::sdk::detail
