// SPDX-License-Identifier: Apache-2.0
// Private: a per-thread slot with a closed flag and a cleanup that runs once at thread exit.
//
// The shape that recurs wherever a module keeps a per-thread cache (a free list, a span pool's
// home, the batch processor's rings, a provider lease, a thread's own execution unit):
//
//   - the slot is a constant-initialised, trivially destructible thread_local, so reading it on
//     the fast path is one thread-local access, with no guard and no init-function call;
//   - a cleanup registered on the thread's first slow-path use (arm()) runs once at thread exit;
//   - a closed flag, set just before that cleanup runs, tells code that runs later on the same
//     thread (another thread-local's destructor) not to fill the slot again.
//
// Header-only and free of ctxflow modules, so that the lowest module can use it.
//
//   void drain(my_cache& c) noexcept;                   // frees what the slot holds
//   using cache = internal::per_thread<my_cache, &drain>;
//   my_cache& c = cache::slot();                        // fast path
//   if (cache::arm()) { /* may keep things in c */ }   // slow path, before filling the slot
#pragma once

#include <type_traits>

namespace ctxflow::internal {

/// Runs `Cleanup()` (a `void() noexcept` function) once when a thread exits, if that thread
/// called arm(). After its first call on a thread, arm() costs a thread-local guard check:
/// call it on slow paths only.
template <auto Cleanup>
class thread_exit_hook {
 public:
  static void arm() noexcept {
    static thread_local guard g;  // constructed on the thread's first call, destroyed at exit
    (void)g;
  }

 private:
  struct guard {
    guard() noexcept {}
    ~guard() { Cleanup(); }
    guard(const guard&) = delete;
    guard& operator=(const guard&) = delete;
  };
};

/// One `T` per thread, value-initialised at compile time, plus a closed flag and a cleanup
/// `Cleanup(T&)` (a `void(T&) noexcept` function) that runs once at thread exit when the thread
/// armed it. `T` must be trivially destructible and constant-initialisable, so that slot() is a
/// plain thread-local access. Each (T, Cleanup) pair is its own slot; a cleanup with internal
/// linkage keeps the slot private to its file.
template <class T, auto Cleanup>
class per_thread {
  static_assert(std::is_trivially_destructible_v<T>,
                "a per-thread slot must be trivially destructible (its cleanup frees what it holds)");

 public:
  /// This thread's slot.
  static T& slot() noexcept { return cell_.value; }

  /// True once this thread's cleanup has started: the slot must not take new resources.
  static bool closed() noexcept { return cell_.closed; }

  /// Makes sure the cleanup runs at this thread's exit. False once the thread is exiting (the
  /// cleanup has started): the caller must then not keep anything in the slot.
  static bool arm() noexcept {
    cell& c = cell_;
    if (c.armed) return !c.closed;
    c.armed = true;
    thread_exit_hook<&run_cleanup>::arm();
    return true;
  }

 private:
  struct cell {
    T value{};
    bool armed = false;   // the exit hook is registered
    bool closed = false;  // the exit hook has started
  };

  static void run_cleanup() noexcept {
    cell_.closed = true;
    Cleanup(cell_.value);
  }

  static inline thread_local constinit cell cell_{};
};

}  // namespace ctxflow::internal
