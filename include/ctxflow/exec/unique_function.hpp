// SPDX-License-Identifier: Apache-2.0
// unique_function<void()>: a move-only type-erased callable, the job type of ctxflow's
// executors. Small callables (up to three pointers) are stored inline, larger ones on the heap.
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace ctxflow::exec {

/// Move-only `void()` callable.
///
/// Thread safety: distinct objects: safe. Shared objects: unsafe.
class unique_function {
 public:
  unique_function() noexcept = default;

  template <class Fn>
    requires(!std::is_same_v<std::decay_t<Fn>, unique_function> &&
             std::is_invocable_v<std::decay_t<Fn>&>)
  unique_function(Fn&& fn) {  // NOLINT(google-explicit-constructor)
    using F = std::decay_t<Fn>;
    if constexpr (sizeof(F) <= sizeof(storage_) && alignof(F) <= alignof(std::max_align_t) &&
                  std::is_nothrow_move_constructible_v<F>) {
      ::new (static_cast<void*>(&storage_)) F(std::forward<Fn>(fn));
      ops_ = &inline_ops<F>;
    } else {
      heap_ = new F(std::forward<Fn>(fn));
      ops_ = &heap_ops<F>;
    }
  }

  unique_function(unique_function&& o) noexcept : ops_(o.ops_) {
    if (ops_) ops_->move(o, *this);
    o.ops_ = nullptr;
  }
  unique_function& operator=(unique_function&& o) noexcept {
    if (this != &o) {
      reset();
      ops_ = o.ops_;
      if (ops_) ops_->move(o, *this);
      o.ops_ = nullptr;
    }
    return *this;
  }
  unique_function(const unique_function&) = delete;
  unique_function& operator=(const unique_function&) = delete;
  ~unique_function() { reset(); }

  explicit operator bool() const noexcept { return ops_ != nullptr; }
  /// Calls the stored callable. Exceptions from it pass through.
  void operator()() { ops_->call(*this); }

  void reset() noexcept {
    if (ops_) ops_->destroy(*this);
    ops_ = nullptr;
  }

 private:
  struct ops {
    void (*call)(unique_function&);
    void (*move)(unique_function& from, unique_function& to) noexcept;
    void (*destroy)(unique_function&) noexcept;
  };

  template <class F>
  static void inline_call(unique_function& self) {
    (*std::launder(reinterpret_cast<F*>(&self.storage_)))();
  }
  template <class F>
  static void inline_move(unique_function& from, unique_function& to) noexcept {
    F* src = std::launder(reinterpret_cast<F*>(&from.storage_));
    ::new (static_cast<void*>(&to.storage_)) F(std::move(*src));
    src->~F();
  }
  template <class F>
  static void inline_destroy(unique_function& self) noexcept {
    std::launder(reinterpret_cast<F*>(&self.storage_))->~F();
  }
  template <class F>
  static void heap_call(unique_function& self) {
    (*static_cast<F*>(self.heap_))();
  }
  static void heap_move(unique_function& from, unique_function& to) noexcept {
    to.heap_ = std::exchange(from.heap_, nullptr);
  }
  template <class F>
  static void heap_destroy(unique_function& self) noexcept {
    delete static_cast<F*>(self.heap_);
  }
  template <class F>
  static constexpr ops inline_ops{&inline_call<F>, &inline_move<F>, &inline_destroy<F>};
  template <class F>
  static constexpr ops heap_ops{&heap_call<F>, &heap_move, &heap_destroy<F>};

  const ops* ops_ = nullptr;
  union {
    alignas(std::max_align_t) unsigned char storage_[3 * sizeof(void*)];
    void* heap_;
  };
};

}  // namespace ctxflow::exec
