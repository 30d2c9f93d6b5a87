// SPDX-License-Identifier: Apache-2.0
// The rings of one batch span processor and their registry (see batch_shards.hpp).
#include "sdk/batch_shards.hpp"

#include <new>

#include "ctxflow/macros.hpp"
#include "sdk/span_returns.hpp"

namespace ctxflow::sdk::detail {

shard_registry::~shard_registry() {
  for (shard* sh : shards_) {
    sh->ring.free_slots();
    shard::drop_owner(sh);
  }
}

shard* shard_registry::make(std::uint64_t slots) noexcept {
  auto* sh = new (std::nothrow) shard(slots);
  if (sh == nullptr) return nullptr;
  if (!sh->ring.valid()) {
    delete sh;
    return nullptr;
  }
  {
    std::lock_guard lock(mu_);
    bool added = false;
    CTXFLOW_TRY {
      shards_.push_back(sh);
      added = true;
    } CTXFLOW_CATCH_ALL {
    }
    if (!added) {
      delete sh;
      return nullptr;
    }
    version_.fetch_add(1, std::memory_order_release);
  }
  admission_.add_producer();
  return sh;
}

std::vector<shard*>& shard_registry::refreshed() noexcept {
  const std::uint64_t v = version_.load(std::memory_order_acquire);
  if (v == seen_version_) return local_;
  std::lock_guard lock(mu_);
  seen_version_ = version_.load(std::memory_order_relaxed);
  CTXFLOW_TRY {
    local_ = shards_;
  } CTXFLOW_CATCH_ALL {
    seen_version_ = 0;  // try again next time
  }
  return local_;
}

void shard_registry::retire(shard* sh) noexcept {
  // The thread's last run, never added (the acquire of `abandoned` made it visible).
  admission_.settle(sh->run);
  {
    std::lock_guard lock(mu_);
    std::erase(shards_, sh);
    retired_accepted_ += sh->ring.tail();
  }
  admission_.remove_producer();
  shard::drop_owner(sh);
}

void shard_registry::count(std::uint64_t& accepted, std::uint64_t& queued) const noexcept {
  std::lock_guard lock(mu_);
  accepted = retired_accepted_;
  queued = 0;
  for (const shard* sh : shards_) {
    const std::uint64_t t = sh->ring.tail();
    const std::uint64_t k = sh->ring.taken();
    accepted += t;
    queued += t > k ? t - k : 0;
  }
}

std::uint64_t shard_registry::release_all(span_recycler& recycler) noexcept {
  std::uint64_t late = 0;
  return_scope returns(recycler);
  std::lock_guard lock(mu_);
  // Closed: a span queued since belongs to its producer, which may still be on its way to
  // take_late and relies on the span to keep the processor alive until then.
  if (closed_) return 0;
  closed_ = true;
  for (shard* sh : shards_) {
    late += sh->ring.skip_queued();
    release_foreign(sh->ring, sh->ring.done_relaxed());
  }
  return late;
}

std::uint64_t shard_registry::take_late(shard& sh, recording_span*& last) noexcept {
  last = nullptr;
  std::lock_guard lock(mu_);
  if (!closed_) return 0;
  // The producer acts as the ring's consumer now: the export thread is gone, and mu_ keeps
  // out any other caller. Normally one span (each late on_end takes its own).
  const std::uint64_t late = sh.ring.skip_queued();
  auto claim = [&](recording_span* const* spans, std::uint64_t n) noexcept {
    for (std::uint64_t i = 0; i < n; ++i) {
      // Not the last reference to the provider: `last` still holds one.
      if (last != nullptr) last->release();
      last = spans[i];
    }
  };
  sh.ring.reclaim(sh.ring.done_relaxed(), claim);
  return late;
}

}  // namespace ctxflow::sdk::detail
