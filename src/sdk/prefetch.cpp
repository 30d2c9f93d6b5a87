// SPDX-License-Identifier: Apache-2.0
// Whether the processor has prefetchw (see prefetch.hpp).
#include "sdk/prefetch.hpp"

#if defined(__x86_64__)
#include <cpuid.h>

namespace ctxflow::sdk::detail {

constinit std::atomic<bool> prefetchw_available{false};

namespace {
bool cpu_has_prefetchw() noexcept {
  unsigned a = 0, b = 0, c = 0, d = 0;
  // __get_cpuid answers 0 for a leaf above the processor's highest.
  return __get_cpuid(0x80000001u, &a, &b, &c, &d) != 0 && (c & (1u << 8)) != 0;
}
// Until it has run, prefetch_for_write gives the read hint, which is as correct.
const bool prefetchw_checked = [] {
  prefetchw_available.store(cpu_has_prefetchw(), std::memory_order_relaxed);
  return true;
}();
}  // namespace

}  // namespace ctxflow::sdk::detail
#endif
