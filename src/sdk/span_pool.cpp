// SPDX-License-Identifier: Apache-2.0
// Per-thread recycling of recording_span objects (see span_pool.hpp).
#include "sdk/span_pool.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <new>
#include <utility>

#include "ctxflow/sdk/recording_span.hpp"
#include "base/per_thread.hpp"
#include "sdk/prefetch.hpp"
#include "sdk/span_returns.hpp"

namespace ctxflow::sdk::detail {

namespace {
// The return stack's value once the home thread has exited.
constexpr std::uintptr_t closed_mark = 1;

// A block: the recording_span object, then its span_data, then the reference to its provider.
// The span_data and the reference are separate objects in the same allocation, so rebuilding the
// span object for reuse leaves them (and the data's buffers) alone.
using provider_ref_t = std::shared_ptr<const void>;
constexpr std::size_t round_up(std::size_t n, std::size_t a) { return (n + a - 1) / a * a; }
constexpr std::size_t data_offset = round_up(sizeof(recording_span), alignof(span_data));
constexpr std::size_t ref_offset =
    round_up(data_offset + sizeof(span_data), alignof(provider_ref_t));
constexpr std::size_t block_size = ref_offset + sizeof(provider_ref_t);
static_assert(alignof(recording_span) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);
static_assert(alignof(span_data) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);
static_assert(alignof(provider_ref_t) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);

// Readies a retired span's data for a new span. Buffer capacity stays; so do the scope and
// resource, which start_span replaces only when the tracer differs (and the block's provider
// reference, replaced only when the provider differs).
void reset_data(span_data& d) noexcept {
  d.parent_span_id = trace::span_id{};
  d.parent_is_remote = false;
  d.name.clear();
  d.kind = trace::span_kind::internal;
  d.start_time_unix_nano = 0;
  d.end_time_unix_nano = 0;
  d.attributes.clear();
  d.dropped_attributes_count = 0;
  d.events.clear();
  d.dropped_events_count = 0;
  d.links.clear();
  d.dropped_links_count = 0;
  d.status.code = trace::status_code::unset;
  d.status.message.clear();
}
}  // namespace

struct span_home {
  // Spans released by other threads: refcount 0, still constructed, linked through
  // next_returned_. 0: empty; closed_mark: the home thread has exited.
  alignas(64) std::atomic<std::uintptr_t> returned{0};
  // After closing: spans still out (the home thread adds its count, each late release
  // subtracts one); whoever brings it to zero deletes the home.
  std::atomic<std::int64_t> outstanding{0};
  // Home thread only: retired spans (refcount 0, constructed, linked through next_returned_)
  // waiting for reuse. They keep their span_data and their provider reference, so the data's
  // buffers, its scope and resource, and the provider reference are reused too.
  alignas(64) recording_span* free_head = nullptr;
  std::size_t free_count = 0;
  std::int64_t live = 0;  // spans allocated for this home and not yet freed
  // The free list's bound: as many blocks as the thread recently had out at once, so that a
  // thread whose spans wait in a deep queue reuses them instead of freeing them at the bottom of
  // each wave and allocating them again at the top. Raised to `live` when a new block is
  // allocated (every block out may come back at once); lowered by trim_free_list, so a burst
  // does not pin its memory while the thread goes on making spans; always within
  // [min_kept_blocks, max_kept_blocks].
  std::size_t keep = span_pool::min_kept_blocks;
  // The smallest free_count since the last trim: that many blocks were not needed all along.
  std::size_t min_free = 0;
  // The most spans out at once in the period before the last trim (live - min_free then).
  std::size_t needed_before = span_pool::min_kept_blocks;
  std::uint32_t until_trim = span_pool::trim_period;  // reuses left before the next trim
};

namespace {

void close_home_at_exit(span_home*& slot) noexcept;
// The calling thread's home (reading it costs one TLS load). Closed at thread exit: later spans
// of the thread are unpooled.
using home_slot = internal::per_thread<span_home*, &close_home_at_exit>;

void free_span(span_home& h, recording_span* s) noexcept {
  span_pool::free_block(s);
  --h.live;
}

// Frees retired spans from the top of the free list until `n` are left. Freeing one may release
// others of this home (through the provider it keeps alive); the loop reads the list afresh.
void free_down_to(span_home& h, std::size_t n) noexcept {
  while (h.free_count > n) {
    recording_span* s = h.free_head;
    h.free_head = span_pool::link(s);
    --h.free_count;
    free_span(h, s);
  }
}

void retire(span_home& h, recording_span* s) noexcept {
  if (h.free_count >= h.keep) {
    free_span(h, s);
    return;
  }
  span_pool::link(s) = h.free_head;
  h.free_head = s;
  ++h.free_count;
}

void retire_all(span_home& h, std::uintptr_t list) noexcept {
  while (list != 0 && list != closed_mark) {
    auto* s = reinterpret_cast<recording_span*>(list);
    list = reinterpret_cast<std::uintptr_t>(span_pool::link(s));
    retire(h, s);
  }
}

// Every trim_period reuses: the blocks that stayed on the free list through the whole period
// (min_free of them) were not needed in it, so the period needed live - min_free (the most spans
// out at once). The bound comes down to what this period or the one before needed, and the
// surplus is freed. Two periods, because a wave of spans that straddles the end of a period is
// only partly in it; the one before holds the previous wave whole as long as a wave is at most a
// period long (a wave deeper than max_kept_blocks is not kept anyway).
[[gnu::noinline, gnu::cold]] void trim_free_list(span_home& h) noexcept {
  h.until_trim = span_pool::trim_period;
  const auto needed = static_cast<std::size_t>(h.live) - h.min_free;
  h.keep = std::clamp(std::max(needed, h.needed_before), span_pool::min_kept_blocks,
                      span_pool::max_kept_blocks);
  h.needed_before = needed;
  free_down_to(h, h.keep);
  h.min_free = h.free_count;
}

void close_home(span_home* h) noexcept {
  // acq_rel: acquire the spans pushed so far; release our writes to the home to late releasers.
  retire_all(*h, h->returned.exchange(closed_mark, std::memory_order_acq_rel));
  // Destroying a span may release others of this home (through the provider it keeps alive);
  // those see the closed mark and settle through `outstanding`, never touching the free list.
  free_down_to(*h, 0);
  const std::int64_t live = h->live;
  // acq_rel: the last one to touch `outstanding` sees every other access to the home.
  if (h->outstanding.fetch_add(live, std::memory_order_acq_rel) + live == 0) delete h;
}

// Spans this thread is returning to one other home, pushed together by flush_returns (only
// between begin_returns and end_returns; see span_pool::return_batch).
struct pending_returns {
  bool active = false;
  span_home* home = nullptr;
  recording_span* head = nullptr;
  recording_span* tail = nullptr;
};
thread_local constinit pending_returns tls_pending{};

// Pushes the list head..tail onto h's return stack; false if h is closed (nothing pushed).
bool push_returns(span_home& h, recording_span* head, recording_span* tail) noexcept {
  std::uintptr_t top = h.returned.load(std::memory_order_relaxed);
  for (;;) {
    if (top == closed_mark) return false;
    span_pool::link(tail) = reinterpret_cast<recording_span*>(top);
    // release: the spans' final state and the links are visible to the home thread's exchange.
    if (h.returned.compare_exchange_weak(top, reinterpret_cast<std::uintptr_t>(head),
                                         std::memory_order_release, std::memory_order_relaxed))
      return true;
  }
}

// Frees a span of a closed home; the last one out deletes the home.
void free_orphan(span_home* h, recording_span* s) noexcept {
  span_pool::free_block(s);
  // acq_rel: see span_home::outstanding.
  if (h->outstanding.fetch_sub(1, std::memory_order_acq_rel) == 1) delete h;
}

void flush_pending() noexcept {
  pending_returns& p = tls_pending;
  if (p.head == nullptr) return;
  span_home* h = p.home;
  recording_span* s = p.head;
  const recording_span* last = p.tail;
  p.home = nullptr;
  p.head = p.tail = nullptr;
  if (push_returns(*h, s, const_cast<recording_span*>(last))) return;
  for (;;) {  // closed meanwhile: free them here
    const bool at_end = s == last;
    recording_span* next = span_pool::link(s);
    free_orphan(h, s);
    if (at_end) break;
    s = next;
  }
}

void close_home_at_exit(span_home*& slot) noexcept {
  if (span_home* h = std::exchange(slot, nullptr)) close_home(h);
}

span_home* create_home() noexcept {
  if (!home_slot::arm()) return nullptr;  // the thread is exiting: unpooled
  auto* h = new (std::nothrow) span_home;
  if (h == nullptr) return nullptr;
  home_slot::slot() = h;
  return h;
}

// The batch processor's view of the pool (span_returns.hpp).
class pool_recycler final : public span_recycler {
 public:
  const span_data* data_of(const recording_span* s) const noexcept override {
    return span_pool::data_of(s);
  }
  void begin_returns() noexcept override { span_pool::begin_returns(); }
  void end_returns() noexcept override { span_pool::end_returns(); }
};

}  // namespace

recording_span* span_pool::make(const trace::span_context& sc,
                                const tracer_core* tracer) noexcept {
  span_home* h = home_slot::slot();
  if (h == nullptr) [[unlikely]] {
    if (!home_slot::closed()) h = create_home();
  }
  if (h != nullptr) {
    if (h->free_head == nullptr && h->returned.load(std::memory_order_relaxed) != 0) {
      // acquire: the releasing threads' writes (and the spans' final state) are visible.
      retire_all(*h, h->returned.exchange(0, std::memory_order_acquire));
    }
    if (recording_span* old = h->free_head) {
      h->free_head = link(old);
      // The block two spans ahead may come from a core that exported it (docs/design/sdk.md
      // 9.5): start taking its lines back now, so the rebuild does not wait for them.
      if (recording_span* next = h->free_head) {
        if (recording_span* after = link(next)) prefetch_for_write(after, block_size);
      }
      const std::size_t left = --h->free_count;
      if (left < h->min_free) [[unlikely]]
        h->min_free = left;
      if (--h->until_trim == 0) [[unlikely]]
        trim_free_list(*h);
      span_data* d = old->data_;
      destroy_in_place(old);
      reset_data(*d);
      auto* s = new (static_cast<void*>(old)) recording_span(sc, tracer, *d);
      s->home_ = h;
      return s;
    }
  }
  void* b = ::operator new(block_size, std::nothrow);
  if (b == nullptr) return nullptr;
  auto* d = new (static_cast<char*>(b) + data_offset) span_data();
  new (static_cast<char*>(b) + ref_offset) provider_ref_t();
  auto* s = new (b) recording_span(sc, tracer, *d);
  s->home_ = h;
  if (h != nullptr) {
    // Every block out may come back before the next is needed: make room for all of them.
    const auto live = static_cast<std::size_t>(++h->live);
    if (live > h->keep) h->keep = std::min(live, max_kept_blocks);
  }
  return s;
}

void span_pool::recycle(recording_span* s) noexcept {
  span_home* h = s->home_;
  if (h == nullptr) {
    free_block(s);
    return;
  }
  if (h == home_slot::slot()) {  // released on its home thread: straight to the free list
    retire(*h, s);
    return;
  }
  pending_returns& p = tls_pending;
  if (p.active) {  // collect runs of spans of one home, pushed with one CAS
    if (p.home != h) flush_pending();
    p.home = h;
    link(s) = nullptr;
    if (p.head == nullptr)
      p.head = s;
    else
      link(p.tail) = s;
    p.tail = s;
    return;
  }
  if (!push_returns(*h, s, s)) free_orphan(h, s);
}

void span_pool::begin_returns() noexcept { tls_pending.active = true; }

void span_pool::end_returns() noexcept {
  // Freeing spans of a closed home can release more spans (through the provider they keep
  // alive), which collect again.
  while (tls_pending.head != nullptr) flush_pending();
  tls_pending.active = false;
}

void span_pool::free_block(recording_span* s) noexcept {
  span_data* d = s->data_;
  // Moved out first: the provider goes last, after the span and its data (destroying it may
  // release other spans, through its processors, which may come back to this pool).
  provider_ref_t keep = std::move(provider_ref(s));
  std::destroy_at(&provider_ref(s));
  destroy_in_place(s);
  d->~span_data();
  ::operator delete(static_cast<void*>(s));
}

void span_pool::destroy_in_place(recording_span* s) noexcept { s->~recording_span(); }

const span_data* span_pool::data_of(const recording_span* s) noexcept {
  return reinterpret_cast<const span_data*>(reinterpret_cast<const char*>(s) + data_offset);
}

recording_span*& span_pool::link(recording_span* s) noexcept { return s->next_returned_; }

std::shared_ptr<const void>& span_pool::provider_ref(recording_span* s) noexcept {
  return *std::launder(reinterpret_cast<provider_ref_t*>(reinterpret_cast<char*>(s) + ref_offset));
}

span_recycler& span_pool::recycler() noexcept {
  static constinit pool_recycler r;
  return r;
}

std::size_t span_pool::free_blocks() noexcept {
  const span_home* h = home_slot::slot();
  return h ? h->free_count : 0;
}

}  // namespace ctxflow::sdk::detail
