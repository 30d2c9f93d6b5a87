// SPDX-License-Identifier: Apache-2.0
// Private: wall-clock nanoseconds for span timestamps at the cost of one TSC read.
//
// On x86-64 with an invariant TSC the reading is anchored to CLOCK_REALTIME and the TSC rate is
// measured against it; every second one caller re-anchors (and re-measures the rate), so the
// error stays within the rate error over one second (microseconds at worst) and NTP steps are
// picked up within a second. Until the first 20 ms of measurement have passed, and on other
// platforms, it is clock_gettime(CLOCK_REALTIME).
#pragma once

#include <cstdint>

namespace ctxflow::sdk::detail {

/// Nanoseconds since the Unix epoch, now. Thread-safe.
std::uint64_t fast_now_ns() noexcept;

}  // namespace ctxflow::sdk::detail
