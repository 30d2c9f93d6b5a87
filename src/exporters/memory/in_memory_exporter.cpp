// SPDX-License-Identifier: Apache-2.0
// in_memory_store and in_memory_exporter.
#include "ctxflow/exporters/in_memory_exporter.hpp"

#include <new>
#include <utility>

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/macros.hpp"

namespace ctxflow::exporters {

std::vector<sdk::span_data> in_memory_store::spans() const {
  std::lock_guard lock(mu_);
  return {spans_.begin(), spans_.end()};
}

std::size_t in_memory_store::size() const noexcept {
  std::lock_guard lock(mu_);
  return spans_.size();
}

void in_memory_store::clear() noexcept {
  std::lock_guard lock(mu_);
  spans_.clear();
}

std::uint64_t in_memory_store::dropped() const noexcept {
  std::lock_guard lock(mu_);
  return dropped_;
}

bool in_memory_store::wait_for(std::size_t count, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return changed_.wait_for(lock, timeout, [&] { return spans_.size() >= count; });
}

bool in_memory_store::add(std::span<const sdk::span_data* const> batch) noexcept {
  // Copy outside the lock: copying allocates, and readers should not wait for it.
  std::vector<sdk::span_data> copies;
  CTXFLOW_TRY {
    copies.reserve(batch.size());
    for (const sdk::span_data* s : batch)
      if (s) copies.push_back(*s);
  } CTXFLOW_CATCH_ALL {
    report(severity::warning, "exporters.memory.alloc_failed",
           "in_memory_exporter: out of memory while copying a batch; the batch was not stored");
    return false;
  }
  std::uint64_t evicted = 0;
  bool first_overflow = false;
  {
    std::lock_guard lock(mu_);
    CTXFLOW_TRY {
      for (sdk::span_data& s : copies) {
        if (capacity_ != 0 && spans_.size() >= capacity_) {
          spans_.pop_front();
          ++evicted;
        }
        spans_.push_back(std::move(s));
      }
    } CTXFLOW_CATCH_ALL {
      // A deque growth failure leaves the spans stored so far in place.
    }
    dropped_ += evicted;
    if (evicted != 0 && !overflow_reported_) first_overflow = overflow_reported_ = true;
  }
  changed_.notify_all();
  if (first_overflow)
    reportf(severity::warning, "exporters.memory.overflow",
            "in_memory_exporter: store capacity %zu reached; the oldest spans are evicted "
            "(see in_memory_store::dropped())",
            capacity_);
  return true;
}

in_memory_exporter::in_memory_exporter(std::size_t capacity)
    : store_(std::make_shared<in_memory_store>(capacity)) {}

in_memory_exporter::in_memory_exporter(std::shared_ptr<in_memory_store> store)
    : store_(store ? std::move(store) : std::make_shared<in_memory_store>()) {}

sdk::export_result in_memory_exporter::export_spans(
    std::span<const sdk::span_data* const> batch) noexcept {
  if (shut_down_.load(std::memory_order_acquire)) return sdk::export_result::failure;
  return store_->add(batch) ? sdk::export_result::success : sdk::export_result::failure;
}

bool in_memory_exporter::shutdown(std::chrono::milliseconds timeout) noexcept {
  (void)timeout;
  shut_down_.store(true, std::memory_order_release);
  return true;
}

}  // namespace ctxflow::exporters
