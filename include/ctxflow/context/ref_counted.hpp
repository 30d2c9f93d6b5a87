// SPDX-License-Identifier: Apache-2.0
// Intrusive reference counting for the immutable objects a context holds (the context itself,
// the active span, baggage, context_var values). One atomic counter per object, no control
// block: copying a context or a span handle is one relaxed increment.
//
// Public: code that stores its own objects in a context (context_var values, a tracing
// library's span objects) derives them from ctxflow::detail::ref_counted and shares them through
// ref_ptr. The namespace is kept for compatibility; the interface is stable.
#pragma once

#include <atomic>
#include <cstdint>
#include <new>
#include <utility>

#include "ctxflow/config.hpp"
#include "ctxflow/export.hpp"

namespace ctxflow::detail {

class ref_counted;

#if CTXFLOW_COUNT_REFCOUNT_OPS
/// Counting build (CMake option CTXFLOW_COUNT_REFCOUNT_OPS): every atomic read-modify-write on
/// a reference count made by this thread, and those of them on context nodes. Tests read them
/// to prove which operations take no locked instruction.
struct refcount_rmw_counts {
  std::uint64_t all = 0;
  std::uint64_t context_nodes = 0;
};
/// This thread's counts since it started.
CTXFLOW_API refcount_rmw_counts refcount_rmws() noexcept;
/// Counts one read-modify-write on `object`'s reference count.
CTXFLOW_API void note_refcount_rmw(const ref_counted* object) noexcept;
#endif

/// Base of every object stored in a context. Immutable after construction except the count.
///
/// Thread safety: the count may be changed from any thread; the object is never written after
/// it is published.
class ref_counted {
 public:
  ref_counted() noexcept = default;
  ref_counted(const ref_counted&) = delete;
  ref_counted& operator=(const ref_counted&) = delete;

  void add_ref() const noexcept {
#if CTXFLOW_COUNT_REFCOUNT_OPS
    note_refcount_rmw(this);
#endif
    refs_.fetch_add(1, std::memory_order_relaxed);
  }

  void release() const noexcept {
    // A count of 1 means the caller holds the only reference, and nobody can take another
    // without one, so the object is destroyed without the read-modify-write: short-lived
    // objects (an extracted context, an ended span, a trace_state) cost no locked instruction.
    // The acquire load pairs with the release half of the other owners' decrements, as the
    // acq_rel decrement does: the last owner sees every write they made before destroying.
    if (refs_.load(std::memory_order_acquire) == 1) {
      destroy();
      return;
    }
#if CTXFLOW_COUNT_REFCOUNT_OPS
    note_refcount_rmw(this);
#endif
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) destroy();
  }

  std::uint32_t use_count() const noexcept { return refs_.load(std::memory_order_relaxed); }

 protected:
  virtual ~ref_counted() = default;
  /// Frees the object. Overridden by objects that own trailing storage.
  virtual void destroy() const noexcept { delete this; }

 private:
  // States: >= 1 while owned; inside destroy() 1 (sole owner) or 0 (last of several).
  mutable std::atomic<std::uint32_t> refs_{1};
};

/// Owning smart pointer over a ref_counted object. Starts owning the single reference that
/// a freshly constructed object carries.
template <class T>
class ref_ptr {
 public:
  constexpr ref_ptr() noexcept = default;
  constexpr ref_ptr(std::nullptr_t) noexcept {}
  /// Adopts one reference that the caller already owns.
  static ref_ptr adopt(T* p) noexcept {
    ref_ptr r;
    r.p_ = p;
    return r;
  }
  /// Shares: takes a new reference.
  static ref_ptr share(T* p) noexcept {
    if (p) p->add_ref();
    return adopt(p);
  }
  ref_ptr(const ref_ptr& o) noexcept : p_(o.p_) {
    if (p_) p_->add_ref();
  }
  ref_ptr(ref_ptr&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  template <class U>
  ref_ptr(ref_ptr<U> o) noexcept : p_(o.release()) {}
  ref_ptr& operator=(ref_ptr o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  ~ref_ptr() {
    if (p_) p_->release();
  }

  T* get() const noexcept { return p_; }
  T* operator->() const noexcept { return p_; }
  T& operator*() const noexcept { return *p_; }
  explicit operator bool() const noexcept { return p_ != nullptr; }
  /// Gives up ownership without releasing.
  [[nodiscard]] T* release() noexcept { return std::exchange(p_, nullptr); }
  friend bool operator==(const ref_ptr& a, const ref_ptr& b) noexcept { return a.p_ == b.p_; }

 private:
  T* p_ = nullptr;
};

/// Allocates a ref_counted object without throwing; a null result means allocation failed.
template <class T, class... Args>
ref_ptr<T> make_ref(Args&&... args) noexcept {
  static_assert(std::is_nothrow_constructible_v<T, Args&&...>,
                "objects stored in a context must be nothrow-constructible from these arguments");
  return ref_ptr<T>::adopt(new (std::nothrow) T(std::forward<Args>(args)...));
}

}  // namespace ctxflow::detail
