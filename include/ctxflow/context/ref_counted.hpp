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

namespace ctxflow::detail {

/// Base of every object stored in a context. Immutable after construction except the count.
///
/// Thread safety: the count may be changed from any thread; the object is never written after
/// it is published.
class ref_counted {
 public:
  ref_counted() noexcept = default;
  ref_counted(const ref_counted&) = delete;
  ref_counted& operator=(const ref_counted&) = delete;

  void add_ref() const noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }

  void release() const noexcept {
    // A count of 1 means the caller holds the only reference, and nobody can take another
    // without one, so the object is destroyed without the read-modify-write: short-lived
    // objects (an extracted context, an ended span, a trace_state) cost no locked instruction.
    // The acquire load pairs with the release half of the other owners' decrements, as the
    // acq_rel decrement does: the last owner sees every write they made before destroying.
    if (refs_.load(std::memory_order_acquire) == 1 ||
        refs_.fetch_sub(1, std::memory_order_acq_rel) == 1)
      destroy();
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
