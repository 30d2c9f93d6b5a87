// SPDX-License-Identifier: Apache-2.0
// The export thread's pacing policy (see batch_pacer.hpp).
#include "sdk/batch_pacer.hpp"

#include <algorithm>

namespace ctxflow::sdk::detail {

batch_pacer::batch_pacer(std::uint64_t queue_capacity, std::uint64_t batch_size,
                         std::chrono::milliseconds schedule_delay) noexcept
    : batch_(batch_size),
      nap_spans_(std::min(4 * batch_size, (queue_capacity - batch_size) / 4)),
      longest_(std::min<clock::duration>(schedule_delay, std::chrono::milliseconds(20))) {}

bool batch_pacer::next(clock::time_point now, bool woken, std::uint64_t taken) noexcept {
  if (active_) {
    const auto slept = now - since_;
    if (taken < batch_ / 2 || taken == 0) {  // arrivals slowed down: be woken again
      active_ = false;
      last_wake_ = now;
      return false;
    }
    return plan(now, slept, taken);
  }
  if (!woken || taken < batch_ || nap_spans_ < batch_ / 2) return false;
  const auto since_last = now - last_wake_;
  last_wake_ = now;
  if (since_last >= longest_) return false;  // slow enough: being woken is cheap
  return plan(now, since_last, taken);
}

bool batch_pacer::plan(clock::time_point now, clock::duration took, std::uint64_t taken) noexcept {
  // took / taken per span, times the spans we want per nap.
  const auto per_span = took / static_cast<std::int64_t>(taken > 0 ? taken : 1);
  clock::duration nap = per_span * static_cast<std::int64_t>(nap_spans_);
  nap = std::clamp<clock::duration>(nap, std::chrono::microseconds(20), longest_);
  active_ = true;
  since_ = now;
  until_ = now + nap;
  return true;
}

}  // namespace ctxflow::sdk::detail
