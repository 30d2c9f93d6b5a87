// SPDX-License-Identifier: Apache-2.0
// in_memory_exporter: keeps copies of exported spans in memory so that tests (and the
// ctxflow::testing span recorder) can read them back. The spans live in a shared
// in_memory_store, so a test keeps reading after the exporter itself was handed to a processor.
// Optionally bounded: a full store keeps the most recent spans and counts the evicted ones.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "ctxflow/export.hpp"
#include "ctxflow/sdk/span_data.hpp"
#include "ctxflow/sdk/span_exporter.hpp"

namespace ctxflow::exporters {

/// The storage behind an in_memory_exporter: an ordered list of span_data copies, in export
/// order (for a simple processor, the order in which spans ended).
///
/// Contract: `capacity` 0 means unbounded. With a capacity, adding to a full store evicts the
/// oldest span and counts it in dropped(); one `exporters.memory.overflow` warning is reported
/// the first time that happens.
///
/// Thread safety: distinct objects: safe. Shared objects: safe; every member may be called
/// concurrently with any other.
class CTXFLOW_API in_memory_store {
 public:
  explicit in_memory_store(std::size_t capacity = 0) noexcept : capacity_(capacity) {}
  in_memory_store(const in_memory_store&) = delete;
  in_memory_store& operator=(const in_memory_store&) = delete;

  /// Copies of every stored span, oldest first.
  std::vector<sdk::span_data> spans() const;
  /// How many spans are stored.
  std::size_t size() const noexcept;
  /// Removes every stored span (the dropped count stays).
  void clear() noexcept;
  /// The bound given at construction; 0 means unbounded.
  std::size_t capacity() const noexcept { return capacity_; }
  /// How many spans were evicted because the store was full.
  std::uint64_t dropped() const noexcept;

  /// Blocks until at least `count` spans are stored or `timeout` passes. True when reached.
  /// Useful with a batch processor, whose exports happen on another thread.
  bool wait_for(std::size_t count, std::chrono::milliseconds timeout) const;

  /// Appends copies of `batch`. False (nothing stored) when copying runs out of memory.
  bool add(std::span<const sdk::span_data* const> batch) noexcept;

 private:
  const std::size_t capacity_;
  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  std::deque<sdk::span_data> spans_;  // guarded by mu_
  std::uint64_t dropped_ = 0;         // guarded by mu_
  bool overflow_reported_ = false;    // guarded by mu_
};

/// A span_exporter that stores copies of every exported span in an in_memory_store.
///
/// Contract: export_spans succeeds until shutdown(); afterwards it fails (R7.24) and stores
/// nothing. The store outlives the exporter for as long as someone holds store().
///
/// Thread safety: distinct objects: safe. Shared objects: safe (the SDK never exports
/// concurrently on one exporter, but readers of the store may run at any time).
/// Errors: out of memory while copying makes export_spans return failure.
///
/// Example:
/// ```
/// auto exporter = std::make_unique<ctxflow::exporters::in_memory_exporter>();
/// auto store = exporter->store();          // keep this
/// processors.push_back(make_simple_processor(std::move(exporter)));
/// ...
/// for (const auto& s : store->spans()) std::puts(s.name.c_str());
/// ```
class CTXFLOW_API in_memory_exporter final : public sdk::span_exporter {
 public:
  /// An exporter with a new store of the given capacity (0: unbounded).
  explicit in_memory_exporter(std::size_t capacity = 0);
  /// An exporter writing into an existing store; a null store is replaced by a new unbounded one.
  explicit in_memory_exporter(std::shared_ptr<in_memory_store> store);

  /// The shared store; valid after the exporter is gone.
  const std::shared_ptr<in_memory_store>& store() const noexcept { return store_; }
  /// Copies of every stored span, oldest first (same as store()->spans()).
  std::vector<sdk::span_data> spans() const { return store_->spans(); }
  /// Removes every stored span.
  void clear() noexcept { store_->clear(); }

  sdk::export_result export_spans(std::span<const sdk::span_data* const> batch) noexcept override;
  bool shutdown(std::chrono::milliseconds timeout) noexcept override;

 private:
  std::shared_ptr<in_memory_store> store_;
  std::atomic<bool> shut_down_{false};
};

}  // namespace ctxflow::exporters
