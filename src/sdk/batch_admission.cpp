// SPDX-License-Identifier: Apache-2.0
// The batch processor's queue capacity (see batch_admission.hpp).
#include "sdk/batch_admission.hpp"

namespace ctxflow::sdk::detail {

batch_admission::batch_admission(std::uint64_t capacity, std::uint64_t batch) noexcept
    : capacity_(capacity),
      batch_(batch),
      chunk_(std::max<std::uint64_t>(1,
                                     std::min<std::uint64_t>({max_chunk, batch, capacity / 32}))),
      half_(static_cast<std::int64_t>(capacity / 2)) {}

batch_admission::verdict batch_admission::admit_counted(producer_run& run) noexcept {
  const std::uint64_t u = run.unpublished;
  const auto add = static_cast<std::int64_t>(u + 1);
  // seq_cst: pairs with the export thread leaving its paced mode (see batch_export_loop::wake).
  const std::int64_t before = queued_.fetch_add(add, std::memory_order_seq_cst);
  run.unpublished = 0;
  run.seen = before + add;
  // The runs of all producers together stay under capacity / 32.
  const std::uint64_t n = producers_.load(std::memory_order_relaxed);
  run.length = std::max<std::uint64_t>(1, chunk_ / (n > 0 ? n : 1));
  // `before` counts only spans really queued, so `before + u` is a lower bound of the queue
  // without this span: when it has reached capacity, the queue is full.
  if (before + static_cast<std::int64_t>(u) >= static_cast<std::int64_t>(capacity_)) {
    queued_.fetch_sub(1, std::memory_order_relaxed);
    return verdict::full;
  }
  const std::int64_t after = before + add;
  const auto b = static_cast<std::int64_t>(batch_);
  if (after < b || (before >= 0 && before / b == after / b)) return verdict::queued;
  return after >= static_cast<std::int64_t>(capacity_ - capacity_ / 4) ? verdict::queued_wake_now
                                                                        : verdict::queued_wake;
}

}  // namespace ctxflow::sdk::detail
