// SPDX-License-Identifier: Apache-2.0
// The immutable node behind ctxflow::context, and the per-thread state that makes one of them
// current. Private to the context module: other modules and third-party runtimes use the public
// ctxflow/context/execution_unit.hpp, which is built on it. See docs/design/context.md,
// "Representation" and "Execution units".
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <source_location>

#include "ctxflow/context/ref_counted.hpp"
#include "ctxflow/export.hpp"

namespace ctxflow::detail {

/// One key/value pair of a context. Values are ref_counted objects (see context_var).
struct context_entry {
  std::uint64_t key_id;
  const ref_counted* value;  // owned reference
};

/// Immutable context node: two dedicated slots plus a sorted array of entries stored right after
/// the object in the same allocation. A write builds a new node (one allocation).
class context_impl final : public ref_counted {
 public:
  const ref_counted* span() const noexcept { return span_; }
  const ref_counted* baggage() const noexcept { return baggage_; }
  std::uint32_t size() const noexcept { return size_; }
  const context_entry* entries() const noexcept {
    return reinterpret_cast<const context_entry*>(this + 1);
  }
  const ref_counted* find(std::uint64_t key_id) const noexcept {
    const context_entry* e = entries();
    for (std::uint32_t i = 0; i < size_; ++i) {
      if (e[i].key_id == key_id) return e[i].value;
      if (e[i].key_id > key_id) break;
    }
    return nullptr;
  }

  /// Builds a node from `base` (may be null) with the given changes. `which` selects what
  /// changes: the span slot, the baggage slot, or the entry for `key_id` (null value erases).
  /// Returns null when allocation fails. `value` is shared, not adopted.
  enum class slot : std::uint8_t { span, baggage, entry };
  CTXFLOW_API static context_impl* make(const context_impl* base, slot which, std::uint64_t key_id,
                                        const ref_counted* value) noexcept;

  /// Builds the object `construct` returns (its initial reference adopted, not shared).
  using span_factory = const ref_counted* (*)(void* storage, void* arg) noexcept;

  /// Where the node starts in a block made by make_with_span().
  static constexpr std::size_t span_node_offset(std::size_t object_size) noexcept {
    return (object_size + alignof(context_impl) - 1) / alignof(context_impl) * alignof(context_impl);
  }
  /// The size of the block make_with_span() needs for an object of `object_size` bytes over a
  /// base context with `base_entries` entries.
  static constexpr std::size_t span_block_size(std::uint32_t base_entries,
                                               std::size_t object_size) noexcept {
    return span_node_offset(object_size) + sizeof(context_impl) +
           std::size_t{base_entries} * sizeof(context_entry);
  }

  /// Like make(base, slot::span, 0, s) for a span object built in the same block as the node,
  /// so that storing a fresh span costs one allocation instead of two. `block` holds
  /// span_block_size(base entries, object_size) bytes, aligned for any type `::operator new`
  /// serves; the object comes first, then the node and its entries. `construct(block, arg)`
  /// builds the object at the start of the block and returns it (never null); the node adopts
  /// that reference. Never fails: the caller has done the allocation.
  ///
  /// Lifetime: the block belongs to the object, whose destroy() frees it (the block's start is
  /// the object's own address). The node keeps the object alive and releases it last, so the
  /// block outlives the node; later contexts that share the span keep the block alive too.
  CTXFLOW_API static context_impl* make_with_span(void* block, const context_impl* base,
                                                  std::size_t object_size,
                                                  span_factory construct, void* arg) noexcept;

  /// Nodes with at most this many entries come from a small per-thread cache of blocks of one
  /// size, so the node of a current span or of a context_var set is made and freed without the
  /// allocator in steady state.
  static constexpr std::uint32_t cached_entries = 2;

 private:
  /// Where the node's memory comes from, and so how destroy() gives it back.
  enum class storage : std::uint8_t {
    heap,        // ::operator new of its exact size
    cached,      // a block of the per-thread node cache
    span_block,  // the block of its span object (make_with_span)
  };

  context_impl() noexcept = default;
  ~context_impl() override;
  void destroy() const noexcept override;

  const ref_counted* span_ = nullptr;     // owned reference or null
  const ref_counted* baggage_ = nullptr;  // owned reference or null
  std::uint32_t size_ = 0;
  storage storage_ = storage::heap;
};

/// The pointer to a context node that the current-context slot, a parked unit and a token's
/// saved context hold, with a tag in its low bit that says whether the holder owns a reference
/// (nodes are at least 8-byte aligned). An *owned* pointer holds one reference, released when
/// the pointer is dropped. A *borrowed* pointer holds none: a `scope` made from a context it does
/// not own puts one in the slot, and the scope guarantees the node outlives it (the borrowed
/// context must outlive the scope; see scope). Whatever moves a slot_ptr moves the tag with
/// it; whatever takes a reference from one (context::current(), a checkpoint) adds a reference
/// to get(), whatever drops one calls drop(), which skips borrowed pointers.
///
/// Trivially destructible and constant-initialisable, so the thread's slot stays one plain
/// thread-local (C2).
class slot_ptr {
 public:
  constexpr slot_ptr() noexcept = default;
  /// Takes over one reference the caller owns (null allowed).
  static slot_ptr make_owned(context_impl* p) noexcept {
    slot_ptr s;
    s.bits_ = reinterpret_cast<std::uintptr_t>(p);
    return s;
  }
  /// Refers to `p` without a reference; the caller guarantees `p` outlives every copy.
  static slot_ptr make_borrowed(const context_impl* p) noexcept {
    slot_ptr s;
    s.bits_ = p ? (reinterpret_cast<std::uintptr_t>(p) | borrowed_bit) : 0;
    return s;
  }
  /// The node, or null for the empty context.
  context_impl* get() const noexcept {
    return reinterpret_cast<context_impl*>(bits_ & ~borrowed_bit);
  }
  bool is_borrowed() const noexcept { return (bits_ & borrowed_bit) != 0; }
  /// Releases the reference when it is owned; leaves the pointer empty.
  void drop() noexcept {
    const std::uintptr_t b = bits_;
    bits_ = 0;
    if (b != 0 && (b & borrowed_bit) == 0) reinterpret_cast<context_impl*>(b)->release();
  }
  friend bool operator==(slot_ptr a, slot_ptr b) noexcept { return a.bits_ == b.bits_; }

 private:
  static constexpr std::uintptr_t borrowed_bit = 1;
  std::uintptr_t bits_ = 0;
};

/// The base of the object a context's span slot holds (trace::span_object). It lets the task
/// machinery, which sits below the trace API, tell the active span that a spawned task ended
/// with an exception.
class span_slot_object : public ref_counted {
 public:
  /// A spawned task whose current span this is ended with `error` (coro::spawn). The trace API
  /// records it on a span that is still recording; the default ignores it.
  virtual void on_task_exception(const std::exception_ptr& error) noexcept { (void)error; }
};

/// Work a task's unit holds for its exception path: a span whose scope was left by unwinding,
/// when the exception itself could not be obtained (trace::scoped_span). The task settles it
/// once it knows more: in its unhandled-exception path, or as "caught" at its next suspension,
/// start of an inline child, span scope or end. See docs/design/context.md, "Exceptions in tasks".
struct deferred_end {
  deferred_end* next = nullptr;
  /// std::uncaught_exceptions() on the task's thread when the record was made.
  int uncaught = 0;
  /// Finishes the work and frees the record. `error`: the exception that left the scope, or
  /// null when it is not known (it was caught inside the task).
  void (*settle)(deferred_end* self, const std::exception_ptr* error) noexcept = nullptr;
};

/// One record of an attach stack: the token's serial and where it was attached.
struct attach_record {
  std::uint64_t serial;
  std::source_location where;
};

/// A growable stack of attach records: 8 inline, then the heap. Trivially destructible so that
/// a thread's unit can be a constant-initialised thread_local; the heap block is freed as soon
/// as the stack shrinks back to its inline capacity.
class attach_stack {
 public:
  static constexpr std::uint32_t inline_capacity = 8;

  constexpr attach_stack() noexcept = default;
  std::uint32_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  attach_record* data() noexcept { return heap_ ? heap_ : inline_; }
  const attach_record* data() const noexcept { return heap_ ? heap_ : inline_; }
  attach_record& top() noexcept { return data()[size_ - 1]; }

  bool push(const attach_record& r) noexcept {
    if (size_ == (heap_ ? capacity_ : inline_capacity) && !grow()) return false;
    data()[size_++] = r;
    return true;
  }
  /// Shrinks to `n` entries.
  void truncate(std::uint32_t n) noexcept {
    size_ = n;
    if (heap_ && n <= inline_capacity) shrink_to_inline();
  }

 private:
  CTXFLOW_API bool grow() noexcept;
  CTXFLOW_API void shrink_to_inline() noexcept;

  attach_record inline_[inline_capacity]{};
  attach_record* heap_ = nullptr;
  std::uint32_t size_ = 0;
  std::uint32_t capacity_ = 0;
};

/// An execution unit (R1.4): a thread, a task, or one run of a bound callable. It owns an
/// attach stack (for token checks) and, while it is not running, its current context.
///
/// Thread safety: used by one thread at a time; the hand-over between threads happens through
/// the executor's own synchronisation (the queue push/pop gives the happens-before).
struct exec_unit {
  slot_ptr parked;                        // the unit's context while it is not running
  exec_unit* resumer_unit = nullptr;      // the unit that was running before enter()
  slot_ptr resumer_ctx;                   // the resumer's; kept here while we run
  std::uint64_t generation = 0;           // 0: not yet assigned (a thread's unit)
  std::uint64_t next_serial = 0;
  attach_stack stack;
  const char* kind = "thread";            // for diagnostics: "thread", "task", "bound call"
  // Exceptions in span scopes (trace::scoped_span, the task promise; docs/design/context.md):
  const void* eh_globals = nullptr;       // the running thread's; see uncaught_exceptions()
  deferred_end* deferred = nullptr;       // owned, newest first: scopes left by unwinding
  int uncaught_base = 0;                  // std::uncaught_exceptions() when this step began
  std::uint32_t unwind_watchers = 0;      // live scopes that compare against uncaught_base
  bool task = false;                      // a coroutine task's unit (may hop threads)
};

/// The current context of this thread: one trivially destructible pointer (C2), owned or
/// borrowed (slot_ptr). Empty means the empty context. Read it through current_impl().
extern CTXFLOW_API thread_local constinit slot_ptr tls_current;
/// The execution unit running on this thread; null means the thread's own unit.
extern CTXFLOW_API thread_local constinit exec_unit* tls_unit;
/// This thread's own unit.
extern CTXFLOW_API thread_local constinit exec_unit tls_thread_unit;

/// The current context's node (null: the empty context); no reference is taken.
inline context_impl* current_impl() noexcept { return tls_current.get(); }

inline exec_unit* current_unit() noexcept {
  exec_unit* u = tls_unit;
  return u ? u : &tls_thread_unit;
}

/// Makes `u` the running unit on this thread: its parked context becomes current and the
/// thread's previous unit and context are kept in `u` until leave(). A pointer swap, no
/// reference counting.
inline void enter(exec_unit& u) noexcept {
  // The unit may have run on another thread last time: take this thread's cached pointer from
  // the resumer, which runs here (or null, looked up on first use).
  exec_unit* resumer = tls_unit;
  u.eh_globals = (resumer ? resumer : &tls_thread_unit)->eh_globals;
  u.resumer_unit = resumer;
  u.resumer_ctx = tls_current;
  tls_unit = &u;
  tls_current = u.parked;
  u.parked = slot_ptr();
}

/// Parks the running unit `u` and puts back what enter() saved.
inline void leave(exec_unit& u) noexcept {
  u.parked = tls_current;
  tls_current = u.resumer_ctx;
  tls_unit = u.resumer_unit;
  u.resumer_ctx = slot_ptr();
  u.resumer_unit = nullptr;
}

/// Gives a fresh unit its generation (used to tell tokens of a reused address apart).
CTXFLOW_API std::uint64_t next_unit_generation() noexcept;

/// Ends a parked unit: settles deferred records as caught, reports attachments it leaked
/// (strict mode), then releases its context.
CTXFLOW_API void finish(exec_unit& u) noexcept;

/// The running thread's exception-handling globals (Itanium C++ ABI `__cxa_eh_globals`), or
/// null where that layout is not known to hold.
CTXFLOW_API const void* thread_eh_globals() noexcept;

#if defined(__GLIBCXX__)
#define CTXFLOW_UNCAUGHT_FROM_EH_GLOBALS 1
#else
#define CTXFLOW_UNCAUGHT_FROM_EH_GLOBALS 0
#endif

/// std::uncaught_exceptions() of the running thread, where `u` is the running unit. The count
/// is read through a pointer to the thread's exception-handling globals that the units cache
/// (the thread's own unit keeps it; enter() hands it to a unit entered on this thread, since a
/// task's unit moves between threads), which saves the C++ runtime's thread-local lookup on
/// every span scope and task resume.
inline int uncaught_exceptions(exec_unit& u) noexcept {
#if CTXFLOW_UNCAUGHT_FROM_EH_GLOBALS
  // Itanium C++ ABI: { __cxa_exception* caughtExceptions; unsigned int uncaughtExceptions; }
  struct eh_globals_prefix {
    void* caught_exceptions;
    unsigned int uncaught_exceptions;
  };
  const void* g = u.eh_globals;
  if (g == nullptr) [[unlikely]] {
    g = thread_eh_globals();
    u.eh_globals = g;
    tls_thread_unit.eh_globals = g;
  }
  return static_cast<int>(static_cast<const eh_globals_prefix*>(g)->uncaught_exceptions);
#else
  (void)u;
  return std::uncaught_exceptions();
#endif
}

/// Settles `u`'s deferred records made at a deeper unwinding level than `uncaught_now` (their
/// exception has been caught since), oldest first; those made at level `uncaught_now + 1` get
/// `error` when it is given (it is the exception being handled), the others are settled as
/// caught. Records at or above `uncaught_now` stay. `uncaught_now` -1 settles every record.
CTXFLOW_API void settle_deferred(exec_unit& u, int uncaught_now,
                                 const std::exception_ptr* error) noexcept;

/// Tells the span current on this thread that the spawned task running here ended with `error`.
inline void notify_span_of_task_exception(const std::exception_ptr& error) noexcept {
  const context_impl* c = current_impl();
  const ref_counted* s = c ? c->span() : nullptr;
  if (s == nullptr) return;
  auto* object = const_cast<span_slot_object*>(static_cast<const span_slot_object*>(s));
  object->on_task_exception(error);
}

}  // namespace ctxflow::detail
