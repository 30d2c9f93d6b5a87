// SPDX-License-Identifier: Apache-2.0
// Context nodes, keys, attach/detach and the attach-stack bookkeeping behind token checks.
#include "ctxflow/context/context.hpp"

#if CTXFLOW_UNCAUGHT_FROM_EH_GLOBALS
#include <cxxabi.h>
#endif

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <typeinfo>
#include <utility>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define CTXFLOW_NODE_CACHE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#define CTXFLOW_NODE_CACHE_ASAN 1
#endif
#endif

#include "context/state.hpp"
#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/context/scope.hpp"
#include "base/per_thread.hpp"

namespace ctxflow {
namespace detail {

namespace {

// A few free node blocks per thread, all of the size of a node with cached_entries entries, so
// that the context of a current span (made at start_as_current_span, freed at its end) and of a
// context_var set skip the allocator: a free-list pop and push instead of malloc and free. A
// block freed on another thread joins that thread's cache. A per-thread slot
// (base/per_thread.hpp): no thread-local guard on the fast path; the drain armed on a thread's
// first cached block frees the blocks at thread exit, after which blocks are freed directly.
constexpr std::size_t cached_node_size =
    sizeof(context_impl) + context_impl::cached_entries * sizeof(context_entry);

struct node_cache {
  static constexpr std::uint32_t capacity = 16;
  void* blocks[capacity];
  std::uint32_t count;
};

// Under AddressSanitizer a cached block stays poisoned, so a use after free is still caught.
#if defined(CTXFLOW_NODE_CACHE_ASAN)
void poison(void* p) noexcept { ASAN_POISON_MEMORY_REGION(p, cached_node_size); }
void unpoison(void* p) noexcept { ASAN_UNPOISON_MEMORY_REGION(p, cached_node_size); }
#else
void poison(void*) noexcept {}
void unpoison(void*) noexcept {}
#endif

void drain_nodes(node_cache& c) noexcept {
  while (c.count > 0) {
    void* b = c.blocks[--c.count];
    unpoison(b);
    ::operator delete(b);
  }
}
using cached_nodes = internal::per_thread<node_cache, &drain_nodes>;

void* take_node_block() noexcept {
  node_cache& c = cached_nodes::slot();
  if (c.count > 0) [[likely]] {
    void* b = c.blocks[--c.count];
    unpoison(b);
    return b;
  }
  return ::operator new(cached_node_size, std::nothrow);
}

void give_node_block(void* b) noexcept {
  node_cache& c = cached_nodes::slot();
  // arm(): false once the thread's drain has run (the thread is exiting).
  if (c.count < node_cache::capacity && cached_nodes::arm()) [[likely]] {
    poison(b);
    c.blocks[c.count++] = b;
    return;
  }
  ::operator delete(b);
}

}  // namespace

context_impl::~context_impl() {
  if (span_) span_->release();
  if (baggage_) baggage_->release();
  context_entry* e = reinterpret_cast<context_entry*>(this + 1);
  for (std::uint32_t i = 0; i < size_; ++i) e[i].value->release();
}

void context_impl::destroy() const noexcept {
  auto* self = const_cast<context_impl*>(this);
  if (self->storage_ == storage::cached) {
    self->~context_impl();
    give_node_block(self);
    return;
  }
  if (self->storage_ == storage::heap) {
    self->~context_impl();
    ::operator delete(static_cast<void*>(self));
    return;
  }
  // The memory belongs to the span object: destroy everything else, then drop the span
  // reference as the very last step, since it may free the block this node lives in.
  const ref_counted* span = std::exchange(self->span_, nullptr);
  self->~context_impl();
  span->release();
}

context_impl* context_impl::make(const context_impl* base, slot which, std::uint64_t key_id,
                                 const ref_counted* value) noexcept {
  const std::uint32_t base_size = base ? base->size_ : 0;
  const context_entry* old = base ? base->entries() : nullptr;
  // Count the entries of the new node.
  std::uint32_t n = base_size;
  bool present = false;
  if (which == slot::entry) {
    for (std::uint32_t i = 0; i < base_size; ++i) present |= old[i].key_id == key_id;
    if (present && !value) --n;
    if (!present && value) ++n;
  }
  const bool cached = n <= cached_entries;
  void* mem = cached ? take_node_block()
                     : ::operator new(sizeof(context_impl) + n * sizeof(context_entry),
                                      std::nothrow);
  if (!mem) return nullptr;
  auto* node = new (mem) context_impl();
  if (cached) node->storage_ = storage::cached;
  node->span_ = base ? base->span_ : nullptr;
  node->baggage_ = base ? base->baggage_ : nullptr;
  if (which == slot::span) node->span_ = value;
  if (which == slot::baggage) node->baggage_ = value;
  if (node->span_) node->span_->add_ref();
  if (node->baggage_) node->baggage_->add_ref();

  // Merge the sorted entries with the change, keeping key order.
  auto* out = reinterpret_cast<context_entry*>(node + 1);
  std::uint32_t k = 0;
  bool placed = which != slot::entry || !value;
  for (std::uint32_t i = 0; i < base_size; ++i) {
    if (which == slot::entry && old[i].key_id == key_id) {
      if (value) {
        out[k++] = {key_id, value};
        placed = true;
      }
      continue;
    }
    if (!placed && old[i].key_id > key_id) {
      out[k++] = {key_id, value};
      placed = true;
    }
    out[k++] = old[i];
  }
  if (!placed) out[k++] = {key_id, value};
  for (std::uint32_t i = 0; i < k; ++i) out[i].value->add_ref();
  node->size_ = k;
  return node;
}

context_impl* context_impl::make_with_span(void* block, const context_impl* base,
                                           std::size_t object_size, span_factory construct,
                                           void* arg) noexcept {
  static_assert(alignof(context_impl) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);
  const std::uint32_t n = base ? base->size_ : 0;
  void* mem = block;
  const std::size_t node_offset = span_node_offset(object_size);
  auto* node = new (static_cast<char*>(mem) + node_offset) context_impl();
  node->span_ = construct(mem, arg);  // adopted: the object starts with one reference
  node->storage_ = storage::span_block;
  if (base) {
    node->baggage_ = base->baggage_;
    if (node->baggage_) node->baggage_->add_ref();
    const context_entry* old = base->entries();
    auto* out = reinterpret_cast<context_entry*>(node + 1);
    for (std::uint32_t i = 0; i < n; ++i) {
      out[i] = old[i];
      out[i].value->add_ref();
    }
    node->size_ = n;
  }
  return node;
}

bool attach_stack::grow() noexcept {
  const std::uint32_t cap = heap_ ? capacity_ * 2 : inline_capacity * 4;
  auto* block = static_cast<attach_record*>(std::malloc(cap * sizeof(attach_record)));
  if (!block) return false;
  std::memcpy(static_cast<void*>(block), data(), size_ * sizeof(attach_record));
  std::free(heap_);
  heap_ = block;
  capacity_ = cap;
  return true;
}

void attach_stack::shrink_to_inline() noexcept {
  std::memcpy(static_cast<void*>(inline_), heap_, size_ * sizeof(attach_record));
  std::free(heap_);
  heap_ = nullptr;
  capacity_ = 0;
}

std::uint64_t next_unit_generation() noexcept {
  return unit_generation_counter().fetch_add(1, std::memory_order_relaxed) + 1;
}

const void* thread_eh_globals() noexcept {
#if CTXFLOW_UNCAUGHT_FROM_EH_GLOBALS
  return abi::__cxa_get_globals();
#else
  return nullptr;
#endif
}

void settle_deferred(exec_unit& u, int uncaught_now, const std::exception_ptr* error) noexcept {
  // Oldest first: the list is newest first, so reverse it. Settling may end spans and run
  // processors; records made meanwhile go to a fresh list.
  deferred_end* oldest = nullptr;
  for (deferred_end* r = std::exchange(u.deferred, nullptr); r != nullptr;) {
    deferred_end* next = r->next;
    r->next = oldest;
    oldest = r;
    r = next;
  }
  deferred_end* kept = nullptr;  // newest first
  for (deferred_end* r = oldest; r != nullptr;) {
    deferred_end* next = r->next;
    if (r->uncaught > uncaught_now) {
      const bool this_one = error != nullptr && r->uncaught == uncaught_now + 1;
      r->settle(r, this_one ? error : nullptr);
    } else {
      r->next = kept;
      kept = r;
    }
    r = next;
  }
  if (kept == nullptr) return;
  // Kept records are older than any made while settling: they go after them.
  deferred_end** tail = &u.deferred;
  while (*tail != nullptr) tail = &(*tail)->next;
  *tail = kept;
}

void finish(exec_unit& u) noexcept {
  if (u.deferred) settle_deferred(u, -1, nullptr);
  if (!u.stack.empty()) {
    if (strict_mode()) {
      const attach_record* r = u.stack.data();
      for (std::uint32_t i = 0; i < u.stack.size(); ++i) {
        char msg[160];
        int n = std::snprintf(msg, sizeof msg,
                              "a scope attached in this %s was still attached when it ended "
                              "(%u of %u leaked)",
                              u.kind, i + 1, u.stack.size());
        report(severity::warning, "context.scope.leaked",
               std::string_view(msg, n > 0 ? static_cast<std::size_t>(n) : 0), r[i].where);
      }
    }
    u.stack.truncate(0);
  }
  u.parked.drop();
}

void report_scope_source_changed(const std::source_location& where) noexcept {
  report(severity::error, "context.scope.source_changed",
         "the context a scope borrowed was assigned while the scope was open; it must outlive "
         "the scope unchanged (pass an rvalue to make the scope own it)",
         where);
}

#if CTXFLOW_COUNT_REFCOUNT_OPS
void note_refcount_rmw(const ref_counted* object) noexcept {
  refcount_rmw_counts& c = refcount_rmw_counters();
  ++c.all;
  if (typeid(*object) == typeid(context_impl)) ++c.context_nodes;
}

refcount_rmw_counts refcount_rmws() noexcept { return refcount_rmw_counters(); }
#endif

}  // namespace detail

context_key::context_key(std::string_view name) noexcept
    : id_(detail::key_counter().fetch_add(1, std::memory_order_relaxed) + 1), name_(name) {}

namespace {
// A new context from `base` with the change; on allocation failure, `base` itself.
context with_change(const detail::context_impl* base, detail::context_impl::slot which,
                    std::uint64_t key_id, const detail::ref_counted* value) noexcept {
  detail::context_impl* node = detail::context_impl::make(base, which, key_id, value);
  if (!node) {
    report(severity::error, "context.alloc_failed", "allocation of a context node failed");
    return context_view(base).to_context();
  }
  return context::adopt(node);
}
}  // namespace

context context_view::with_value(const context_key& key,
                                 const detail::ref_counted* value) const noexcept {
  if (!value && !find(key)) return to_context();
  return with_change(impl_, detail::context_impl::slot::entry, key.id(), value);
}

context context_view::with_span_slot(const detail::ref_counted* span) const noexcept {
  if (span == span_slot()) return to_context();
  return with_change(impl_, detail::context_impl::slot::span, 0, span);
}

context context_view::with_baggage_slot(const detail::ref_counted* baggage) const noexcept {
  if (baggage == baggage_slot()) return to_context();
  return with_change(impl_, detail::context_impl::slot::baggage, 0, baggage);
}

context context::with_value(const context_key& key, const detail::ref_counted* value) const noexcept {
  if (!value && !find(key)) return *this;
  return with_change(impl_, detail::context_impl::slot::entry, key.id(), value);
}

context context::with_span_slot(const detail::ref_counted* span) const noexcept {
  if (span == span_slot()) return *this;
  return with_change(impl_, detail::context_impl::slot::span, 0, span);
}

context context::with_baggage_slot(const detail::ref_counted* baggage) const noexcept {
  if (baggage == baggage_slot()) return *this;
  return with_change(impl_, detail::context_impl::slot::baggage, 0, baggage);
}

namespace {
/// Ends a thread's own unit when the thread exits: a thread that leaves attachments behind must
/// not leak their contexts. Armed on the thread's first attach only (base/per_thread.hpp),
/// so the hot path keeps its constant-initialised, trivially destructible thread-locals.
void end_thread_unit() noexcept {
  detail::exec_unit& u = detail::tls_thread_unit;
  if (!u.stack.empty() && strict_mode()) {
    reportf(severity::warning, "context.scope.leaked",
            "a thread exited with %u attachment(s) still on its own unit", u.stack.size());
  }
  u.stack.truncate(0);
  if (detail::tls_unit == nullptr) std::exchange(detail::tls_current, detail::slot_ptr()).drop();
}
using thread_unit_cleanup = internal::thread_exit_hook<&end_thread_unit>;
}  // namespace

context_token attach_slow(detail::slot_ptr ctx, const std::source_location& where) noexcept {
  detail::exec_unit* u = detail::current_unit();
  if (u == &detail::tls_thread_unit && u->generation == 0) thread_unit_cleanup::arm();
  if (u->generation == 0) u->generation = detail::next_unit_generation();
  const std::uint64_t serial = ++u->next_serial;
  if (!u->stack.push({serial, where})) {
    ctx.drop();
    report(severity::error, "context.alloc_failed",
           "attach: the attach stack could not grow; the current context is unchanged", where);
    return {};
  }
  context_token t;
  t.unit_ = u;
  t.generation_ = u->generation;
  t.serial_ = serial;
  t.where_ = where;
  t.prev_ = detail::tls_current;
  detail::tls_current = ctx;
  return t;
}

detach_result detach_slow(context_token& token) noexcept {
  if (!token.valid()) {
    report(severity::warning, "context.detach.unknown_token",
           "detach of an empty or already used token; the current context is unchanged");
    return detach_result::unknown_token;
  }
  detail::exec_unit* u = detail::current_unit();
  if (token.unit_ != u || token.generation_ != u->generation) {
    token.reset_storage();
    constexpr std::string_view msg =
        "detach of a token attached on another thread or task; the current context is unchanged";
    if (strict_mode())
      report(severity::warning, "context.detach.unknown_token", msg, token.where_);
    else
      report(severity::warning, "context.detach.unknown_token", msg);
    return detach_result::unknown_token;
  }
  detail::attach_record* records = u->stack.data();
  std::uint32_t i = u->stack.size();
  while (i > 0 && records[i - 1].serial != token.serial_) --i;
  if (i == 0) {
    token.reset_storage();
    report(severity::warning, "context.detach.unknown_token",
           "detach of a token that was already detached or unwound; the current context is "
           "unchanged");
    return detach_result::unknown_token;
  }
  const std::uint32_t index = i - 1;
  const std::uint32_t unwound = u->stack.size() - index - 1;
  const std::source_location where = records[index].where;
  u->stack.truncate(index);
  detail::slot_ptr old = detail::tls_current;
  detail::tls_current = std::exchange(token.prev_, detail::slot_ptr());
  token.serial_ = 0;
  old.drop();
  char msg[200];
  int n = std::snprintf(msg, sizeof msg,
                        "detach out of order: %u later attachment(s) of this %s were unwound; "
                        "the context from before this token's attach is current",
                        unwound, u->kind);
  report(severity::warning, "context.detach.out_of_order",
         std::string_view(msg, n > 0 ? static_cast<std::size_t>(n) : 0), where);
  return detach_result::out_of_order;
}

}  // namespace ctxflow
