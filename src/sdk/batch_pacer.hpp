// SPDX-License-Identifier: Apache-2.0
// Private: the export thread's pacing policy (docs/design/sdk.md, section 4).
//
// While spans arrive fast (full batches in quick succession), waking the export thread for every
// batch costs the producing thread a system call (and, on a virtual machine, an inter-processor
// interrupt) per batch. Instead the export thread then sleeps for a short period sized from the
// measured arrival rate, so that at most a quarter of the queue's headroom (and at most four
// batches) arrives while it sleeps, and producers do not wake it. It goes back to being woken as
// soon as a period brings less than half a batch, and never paces when a quarter of the headroom
// is less than half a batch (small queues). A nap lasts between 20 µs and min(schedule delay,
// 20 ms).
//
// The policy only decides; the export loop measures, sleeps and tells producers (its `pacing`
// flag). Not thread-safe: the export thread owns it.
#pragma once

#include <chrono>
#include <cstdint>

namespace ctxflow::sdk::detail {

class batch_pacer {
 public:
  using clock = std::chrono::steady_clock;

  batch_pacer(std::uint64_t queue_capacity, std::uint64_t batch_size,
              std::chrono::milliseconds schedule_delay) noexcept;

  /// After an export round at `now` that took `taken` spans; `woken`: a producer woke the loop
  /// (rather than its timer). True: sleep until until() without being woken (pacing); false:
  /// wait to be woken as usual.
  bool next(clock::time_point now, bool woken, std::uint64_t taken) noexcept;

  /// True while pacing (the last next() returned true).
  bool active() const noexcept { return active_; }
  /// The end of the current nap (meaningful while active()).
  clock::time_point until() const noexcept { return until_; }
  /// Spans that may arrive during one nap.
  std::uint64_t nap_spans() const noexcept { return nap_spans_; }
  /// The longest nap, and the longest gap between two wake-ups that still starts pacing.
  clock::duration longest() const noexcept { return longest_; }

 private:
  bool plan(clock::time_point now, clock::duration took, std::uint64_t taken) noexcept;

  const std::uint64_t batch_;
  const std::uint64_t nap_spans_;  // a quarter of the headroom, at most four batches
  const clock::duration longest_;
  bool active_ = false;
  clock::time_point since_{};
  clock::time_point until_{};
  clock::time_point last_wake_{};
};

}  // namespace ctxflow::sdk::detail
