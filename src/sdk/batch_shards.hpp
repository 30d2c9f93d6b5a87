// SPDX-License-Identifier: Apache-2.0
// Private: the rings of one batch span processor, one per producing thread ("shards"), and
// their registry (docs/design/sdk.md, section 2).
//
// A shard is a span_ring plus what its producer keeps for the capacity counter and what its
// lifetime needs. It has two owners: the producing thread's cache (batch_span_processor.cpp),
// which lets go when the thread exits or evicts it (abandon), and the processor, which lets go
// when the export thread retires it (empty and abandoned) or when the processor is destroyed.
// The last owner to let go deletes it.
//
// The registry is the processor's list of shards, guarded by a mutex; producers touch it only
// when they make a shard. The export thread works on its own copy, refreshed when the list's
// version changed.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

#include "sdk/batch_admission.hpp"
#include "sdk/span_ring.hpp"

namespace ctxflow::sdk::detail {

class span_recycler;

struct shard {
  explicit shard(std::uint64_t slots) noexcept : ring(slots) {}

  span_ring ring;
  alignas(64) batch_admission::producer_run run;  // producer only
  // Set once by the producing thread when it stops using the shard; from then on only the
  // export thread and shutdown touch the slots.
  alignas(64) std::atomic<bool> abandoned{false};
  std::atomic<int> owners{2};  // the thread's cache and the processor
  std::uint64_t idle_mark = 0;  // export thread only: `reclaimed` at the last tending round

  /// The producing thread is done with the shard (release: every push happens-before the
  /// export thread's acquire of `abandoned`); drops the thread's ownership.
  static void abandon(shard* sh) noexcept {
    sh->abandoned.store(true, std::memory_order_release);
    drop_owner(sh);
  }
  /// Drops one ownership; the last one deletes (acq_rel: it sees the other's last accesses).
  static void drop_owner(shard* sh) noexcept {
    if (sh->owners.fetch_sub(1, std::memory_order_acq_rel) == 1) delete sh;
  }
};

class shard_registry {
 public:
  explicit shard_registry(batch_admission& admission) noexcept : admission_(admission) {}
  /// Frees every slot array and drops the processor's ownership of every shard; a thread's
  /// cache may still hold one, but never pushes to it again. Release the spans first.
  ~shard_registry();
  shard_registry(const shard_registry&) = delete;
  shard_registry& operator=(const shard_registry&) = delete;

  /// A new shard of `slots` slots, registered; null when out of memory.
  shard* make(std::uint64_t slots) noexcept;

  // ---- export thread ----

  /// The export thread's copy of the list, refreshed if shards came or went.
  std::vector<shard*>& refreshed() noexcept;
  /// The export thread's copy as last refreshed.
  std::vector<shard*>& local() noexcept { return local_; }
  /// Removes an empty abandoned shard (export thread; the caller erases it from local()).
  void retire(shard* sh) noexcept;

  // ---- any thread ----

  /// Spans accepted over the processor's life and spans queued now.
  void count(std::uint64_t& accepted, std::uint64_t& queued) const noexcept;
  /// The last release, once no export thread takes from the shards any more: marks what
  /// producers queued after its last pass as taken, releases every span still held (in a
  /// return_scope of `recycler`) and closes the shards; returns how many spans were queued.
  /// Once closed it does nothing: only a ring's own producer touches the ring (take_late).
  std::uint64_t release_all(span_recycler& recycler) noexcept;

  // ---- a producer that saw the shutdown after its push (rare; docs/design/sdk.md §7) ----

  /// If the shards are closed, the last release is over and cannot have seen what the
  /// producer of `sh` queued since: marks it taken and claims it. All but one of the claimed
  /// spans are released here; the last one is stored in `last` (else null) for the caller to
  /// release once it is done with the processor, because that release may destroy it. Returns
  /// how many spans were queued (0 if not closed: the last release, still to come, finds them).
  std::uint64_t take_late(shard& sh, recording_span*& last) noexcept;

 private:
  batch_admission& admission_;
  mutable std::mutex mu_;
  std::vector<shard*> shards_;           // guarded by mu_
  std::uint64_t retired_accepted_ = 0;   // guarded by mu_: accepted by removed shards
  bool closed_ = false;                  // guarded by mu_: the last release is over
  std::atomic<std::uint64_t> version_{0};
  // Export thread only.
  std::vector<shard*> local_;
  std::uint64_t seen_version_ = 0;
};

}  // namespace ctxflow::sdk::detail
