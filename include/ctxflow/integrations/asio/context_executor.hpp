// SPDX-License-Identifier: Apache-2.0
// context_executor<Executor>: an Asio executor that wraps another one and runs everything it
// executes inside one execution unit (a per-spawn context cell). It is what
// ctxflow::integrations::asio::co_spawn runs an awaitable on: every handler and continuation of the
// coroutine enters the cell's unit, so the coroutine's context survives every co_await, on any
// thread, and the thread's previous context is back afterwards (C5-C7, C9).
// See docs/design/asio.md.
#pragma once

#include <atomic>
#include <thread>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>

#include <boost/asio/execution.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/is_executor.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/require.hpp>
#include <boost/version.hpp>

#include "ctxflow/context/context.hpp"
#include "ctxflow/context/execution_unit.hpp"
#include "ctxflow/integrations/asio/legacy_namespace.hpp"

namespace ctxflow::integrations::asio {

namespace detail {

/// The context cell of one spawned coroutine: an execution unit holding the coroutine's context
/// while it is not running, and the snapshot taken at spawn.
///
/// Thread safety: the unit is used by one thread at a time. One atomic word, `state_`, holds the
/// reference count and a "held" bit (its value is 2 × count + held): a thread takes the unit by
/// setting the bit with a compare-exchange (acquire) and gives it back with one addition
/// (acquire-release) that also clears the bit. `owner_` names the holding thread, so that the
/// holder can tell its own calls apart. The references the holder takes and drops while a piece
/// of the coroutine runs go to `local_refs_`, a plain integer only the holder touches (the held
/// bit orders it like a lock), and are added to `state_` by the same addition that gives the
/// unit back. So the executor copies Asio makes and drops inside a piece (a handful per
/// operation) cost no atomic instruction, and the reference a handler takes for the next piece
/// cancels against the one the running handler gives back.
/// Lifetime: shared by every copy of the executors and handlers that refer to it. The cell is
/// deleted by whoever brings `state_` to zero: no reference left and not held. A copy the
/// holder made (counted in `local_refs_`) may be dropped on another thread before the holder
/// leaves, which takes `state_`'s count below the true one for a while; the held bit keeps that
/// from deleting the cell, and the holder's addition settles it.
class context_cell {
 public:
  explicit context_cell(context snapshot) noexcept
      : snapshot_(snapshot), unit_(std::move(snapshot), "asio coroutine") {}
  context_cell(const context_cell&) = delete;
  context_cell& operator=(const context_cell&) = delete;
  ~context_cell() = default;  // the unit's destructor finishes it

  void add_ref() noexcept {
    if (held_here()) {
      ++local_refs_;
      return;
    }
    state_.fetch_add(2, std::memory_order_relaxed);
  }
  void release() noexcept {
    if (held_here()) {
      --local_refs_;  // never the last one: the holder owns the running handler's reference
      return;
    }
    // acq_rel: the last owner must see every write made by the others before deleting. 2 before
    // means one reference (this one) and not held.
    if (state_.fetch_sub(2, std::memory_order_acq_rel) == 2) delete this;
  }

  ctxflow::execution_unit& unit() noexcept { return unit_; }
  const context& snapshot() const noexcept { return snapshot_; }

  /// Runs `f` as part of this cell's unit on the calling thread, and gives back one reference
  /// (the caller's: the handler's).
  ///
  /// - Already inside the unit (a dispatch from the coroutine itself): calls `f` directly.
  /// - The unit is free: enters it, calls `f`, leaves it (also when `f` throws).
  /// - The unit is held by another thread: waits until it is free, then as above. This happens
  ///   when an operation the coroutine started completes on a second thread before the first
  ///   one has finished leaving the unit; the wait lasts until that thread returns from the
  ///   handler. So the pieces of one coroutine never run at the same time (like a strand).
  /// - The unit is held deeper in this thread's own stack (another unit runs on top of it): `f`
  ///   runs in a unit of its own starting from the spawn snapshot; waiting would never end.
  template <class F>
  void run_and_release(F& f) {
    const void* const me = this_thread_marker();
    if (owner_.load(std::memory_order_relaxed) == me) {
      struct release_guard {
        context_cell* self;
        ~release_guard() { --self->local_refs_; }
      } guard{this};
      if (unit_.running_here()) {
        f();
      } else {
        ctxflow::execution_unit_scope own(snapshot_, "asio handler");
        f();
      }
      return;
    }
    // acquire: see what the previous holder wrote (the parked context, the attach stack).
    std::int64_t cur = state_.load(std::memory_order_relaxed);
    for (unsigned spins = 0;; ++spins) {
      if ((cur & 1) == 0) {
        if (state_.compare_exchange_weak(cur, cur | 1, std::memory_order_acquire,
                                         std::memory_order_relaxed))
          break;
        continue;  // the count changed: try again at once
      }
      if (spins >= 64) std::this_thread::yield();
      cur = state_.load(std::memory_order_relaxed);
    }
    owner_.store(me, std::memory_order_relaxed);
    struct exit_guard {
      context_cell* self;
      ~exit_guard() {
        self->unit_.leave();
        self->exit_and_release();
      }
    };
    unit_.enter();
    exit_guard guard{this};
    f();
  }

 private:
  /// A distinct address per thread.
  static const void* this_thread_marker() noexcept {
    static thread_local const char marker = 0;
    return &marker;
  }
  bool held_here() const noexcept {
    return owner_.load(std::memory_order_relaxed) == this_thread_marker();
  }

  /// The holder leaves: adds its local balance, less the reference of the handler it ran, to the
  /// count and clears the held bit, in one addition (release: the next holder sees the parked
  /// context, the stack and the count). Deletes the cell when that leaves nothing.
  void exit_and_release() noexcept {
    const std::int64_t add = 2 * (local_refs_ - 1) - 1;
    local_refs_ = 0;
    owner_.store(nullptr, std::memory_order_relaxed);
    if (state_.fetch_add(add, std::memory_order_acq_rel) + add == 0) delete this;
  }

  std::atomic<std::int64_t> state_{2};       // 2 × references + held bit; one reference at first
  std::atomic<const void*> owner_{nullptr};  // the holding thread's marker, or null
  std::int64_t local_refs_ = 0;
  const context snapshot_;
  ctxflow::execution_unit unit_;
};

/// An owning pointer to a context_cell (intrusive reference count).
class cell_ptr {
 public:
  cell_ptr() noexcept = default;
  /// Adopts the initial reference of a new cell.
  static cell_ptr adopt(context_cell* c) noexcept {
    cell_ptr p;
    p.cell_ = c;
    return p;
  }
  cell_ptr(const cell_ptr& o) noexcept : cell_(o.cell_) {
    if (cell_) cell_->add_ref();
  }
  cell_ptr(cell_ptr&& o) noexcept : cell_(std::exchange(o.cell_, nullptr)) {}
  cell_ptr& operator=(cell_ptr o) noexcept {
    std::swap(cell_, o.cell_);
    return *this;
  }
  ~cell_ptr() {
    if (cell_) cell_->release();
  }
  context_cell* get() const noexcept { return cell_; }
  context_cell* operator->() const noexcept { return cell_; }
  explicit operator bool() const noexcept { return cell_ != nullptr; }
  /// Gives up the reference to the caller, who must release it.
  context_cell* detach() noexcept { return std::exchange(cell_, nullptr); }
  friend bool operator==(const cell_ptr& a, const cell_ptr& b) noexcept {
    return a.cell_ == b.cell_;
  }

 private:
  context_cell* cell_ = nullptr;
};

/// A new cell whose unit starts from `snapshot`. Errors: allocation failure gives an empty
/// pointer (the executor then runs work without a unit of its own).
inline cell_ptr make_cell(context snapshot) noexcept {
  return cell_ptr::adopt(new (std::nothrow) context_cell(std::move(snapshot)));
}

/// Where a context_executor keeps its inner executor. In general the executor itself;
/// `view()` is what the wrapper forwards to, `get()` the executor as it is.
template <class Executor>
class inner_storage {
 public:
  explicit inner_storage(Executor e) noexcept(std::is_nothrow_move_constructible_v<Executor>)
      : ex_(std::move(e)) {}
  /// From the result of a require or prefer on another storage's view().
  template <class View>
  static inner_storage from_view(View&& v) {
    if constexpr (std::is_same_v<std::decay_t<View>, Executor>) {
      return inner_storage(std::forward<View>(v));
    } else {
      // The other view was untracked (see the io_context storage below); track again.
      return inner_storage(boost::asio::require(std::forward<View>(v),
                                                boost::asio::execution::outstanding_work.tracked));
    }
  }
  const Executor& view() const noexcept { return ex_; }
  const Executor& get() const noexcept { return ex_; }
  friend bool operator==(const inner_storage& a, const inner_storage& b) noexcept {
    return a.ex_ == b.ex_;
  }

 private:
  Executor ex_;
};

#if BOOST_VERSION < 107500 && !defined(BOOST_ASIO_NO_TS_EXECUTORS)
/// Boost 1.74's io_context executor is 16 bytes (the io_context pointer, an empty allocator and
/// the run-time bits), so a wrapper holding it and the cell pointer would be 24 bytes, more than
/// the 16 that `any_io_executor` stores inline: every copy of a coroutine's executor would
/// allocate. This storage keeps the io_context pointer and the two run-time bits (blocking.never,
/// relationship.continuation) in one word, so the wrapper is 16 bytes. Outstanding work is part
/// of the type: a tracked storage counts one unit of the io_context's work for as long as it
/// lives, as the executor it stands for does; its view() is the untracked executor with the same
/// bits (what it runs and how does not depend on tracking), so forwarding costs no atomic
/// instruction.
template <unsigned int Bits>
class inner_storage<boost::asio::io_context::basic_executor_type<std::allocator<void>, Bits>> {
 public:
  using executor_type = boost::asio::io_context::basic_executor_type<std::allocator<void>, Bits>;
  using view_type = boost::asio::io_context::basic_executor_type<std::allocator<void>, 0>;
  static constexpr bool tracked = !std::is_same_v<executor_type, view_type>;

  explicit inner_storage(const executor_type& e) noexcept : word_(encode(e)) { start_work(); }
  template <class View>
    requires std::is_same_v<std::decay_t<View>, view_type> ||
             std::is_same_v<std::decay_t<View>, executor_type>
  static inner_storage from_view(View&& v) noexcept {
    return inner_storage(encode(v), adopt_word{});
  }
  inner_storage(const inner_storage& o) noexcept : word_(o.word_) { start_work(); }
  inner_storage(inner_storage&& o) noexcept
      : word_(tracked ? std::exchange(o.word_, 0) : o.word_) {}
  inner_storage& operator=(inner_storage o) noexcept {
    std::swap(word_, o.word_);
    return *this;
  }
  ~inner_storage() {
    if constexpr (tracked) {
      if (word_ != 0) view().on_work_finished();
    }
  }

  view_type view() const noexcept {
    view_type v = io()->get_executor();
    switch (word_ & bits_mask) {
      case 0:
        return v;
      case never_bit:
        return boost::asio::require(v, boost::asio::execution::blocking.never);
      case continuation_bit:
        return boost::asio::require(v, boost::asio::execution::relationship.continuation);
      default:
        return boost::asio::require(
            boost::asio::require(v, boost::asio::execution::blocking.never),
            boost::asio::execution::relationship.continuation);
    }
  }
  executor_type get() const noexcept {
    if constexpr (tracked) {
      return boost::asio::require(view(), boost::asio::execution::outstanding_work.tracked);
    } else {
      return view();
    }
  }
  friend bool operator==(const inner_storage& a, const inner_storage& b) noexcept {
    return a.word_ == b.word_;
  }

 private:
  struct adopt_word {};
  static constexpr std::uintptr_t never_bit = 1;
  static constexpr std::uintptr_t continuation_bit = 2;
  static constexpr std::uintptr_t bits_mask = 3;
  static_assert(alignof(boost::asio::io_context) > bits_mask);

  inner_storage(std::uintptr_t word, adopt_word) noexcept : word_(word) { start_work(); }

  template <class E>
  static std::uintptr_t encode(const E& e) noexcept {
    std::uintptr_t w = reinterpret_cast<std::uintptr_t>(&e.context());
    if (boost::asio::query(e, boost::asio::execution::blocking) ==
        boost::asio::execution::blocking.never)
      w |= never_bit;
    if (boost::asio::query(e, boost::asio::execution::relationship) ==
        boost::asio::execution::relationship.continuation)
      w |= continuation_bit;
    return w;
  }
  boost::asio::io_context* io() const noexcept {
    return reinterpret_cast<boost::asio::io_context*>(word_ & ~bits_mask);
  }
  void start_work() const noexcept {
    if constexpr (tracked) {
      if (word_ != 0) view().on_work_started();
    }
  }

  std::uintptr_t word_;  // the io_context's address | never_bit | continuation_bit; 0: moved from
};
#endif

/// True for an io_context's executor (any allocator, any properties).
template <class E>
inline constexpr bool is_io_context_executor = false;
template <class Allocator, auto Bits>
inline constexpr bool
    is_io_context_executor<boost::asio::io_context::basic_executor_type<Allocator, Bits>> = true;

/// The function object a context_executor hands to its inner executor: runs `fn` in the cell.
/// Its reference to the cell is given back inside the cell's unit, where it costs no atomic
/// instruction when the function queued another handler of the same coroutine.
template <class Fn>
struct cell_runner {
  cell_ptr cell;
  Fn fn;
  void operator()() {
    if (!cell) {
      std::move(fn)();
      return;
    }
    auto call = [this] { std::move(fn)(); };
    cell.detach()->run_and_release(call);
  }
};

}  // namespace detail

/// An Asio executor that runs every function it is given inside one execution unit (a context
/// cell), delegating the scheduling itself to `Executor`.
///
/// It satisfies the standard executor requirements (`execute`, `query`, `require`, `prefer`
/// forwarded to the inner executor) and, when `Executor` has them, the Networking TS ones
/// (`context`, `on_work_started/finished`, `dispatch`, `post`, `defer`). Every property
/// the inner executor supports is supported; `require`/`prefer` return a context_executor over
/// the inner executor's result, sharing the same cell. Two context_executors are equal when
/// their inner executors are equal and they share the cell.
///
/// Context: a function it runs sees the cell's context (the coroutine's, for co_spawn) and
/// whatever that function leaves current stays in the cell for the next one (C5); the running
/// thread's previous context is back after each function (C7).
/// Thread safety: distinct objects: safe. Shared objects: safe (as the inner executor).
template <class Executor>
class context_executor {
 public:
  using inner_executor_type = Executor;

  /// Wraps `inner`; every function it executes runs in `cell`.
  context_executor(Executor inner, detail::cell_ptr cell) noexcept(
      std::is_nothrow_move_constructible_v<Executor>)
      : inner_(std::move(inner)), cell_(std::move(cell)) {}

  /// Wraps `inner` with a new cell starting from `ctx`.
  context_executor(Executor inner, ctxflow::context ctx) noexcept(
      std::is_nothrow_move_constructible_v<Executor>)
      : inner_(std::move(inner)), cell_(detail::make_cell(std::move(ctx))) {}

  /// Wraps `inner` with a new cell starting from the current context (C4). Only an `Executor`
  /// itself is accepted, so that copying never considers converting the wrapper into its
  /// inner executor type.
  template <class E>
    requires std::is_same_v<std::decay_t<E>, Executor>
  explicit context_executor(E&& inner) noexcept(std::is_nothrow_move_constructible_v<Executor>)
      : inner_(std::forward<E>(inner)), cell_(detail::make_cell(ctxflow::context::current())) {}

  /// The inner executor (a reference to it, or for the compact storage of Boost 1.74's
  /// io_context executor a value made from it).
  decltype(auto) get_inner_executor() const noexcept { return inner_.get(); }
  const detail::cell_ptr& cell() const noexcept { return cell_; }

  /// The context the cell started from (the snapshot taken at spawn).
  ctxflow::context spawn_context() const noexcept {
    return cell_ ? cell_->snapshot() : ctxflow::context();
  }

  // --- standard executor model ---

  // An rvalue wrapper (the temporaries of `prefer(require(ex, ...), ...).execute(f)`) hands its
  // cell reference on instead of taking a new one.
  template <class Fn>
  void execute(Fn&& fn) const& {
    decltype(auto) v = inner_.view();
    if (runs_inline_in_cell(v)) {
      boost::asio::execution::execute(v, std::forward<Fn>(fn));
      return;
    }
    boost::asio::execution::execute(
        v, detail::cell_runner<std::decay_t<Fn>>{cell_, std::forward<Fn>(fn)});
  }
  template <class Fn>
  void execute(Fn&& fn) && {
    decltype(auto) v = inner_.view();
    if (runs_inline_in_cell(v)) {
      boost::asio::execution::execute(v, std::forward<Fn>(fn));
      return;
    }
    boost::asio::execution::execute(
        v, detail::cell_runner<std::decay_t<Fn>>{std::move(cell_), std::forward<Fn>(fn)});
  }

  template <class Property>
    requires boost::asio::can_query<const Executor&, Property>::value
  decltype(auto) query(const Property& p) const
      noexcept(boost::asio::is_nothrow_query<const Executor&, Property>::value) {
    if constexpr (std::is_same_v<Property, boost::asio::execution::outstanding_work_t>) {
      return boost::asio::query(inner_.get(), p);  // part of the type, not of the view
    } else {
      return boost::asio::query(inner_.view(), p);
    }
  }

  template <class Property>
    requires boost::asio::can_require<const Executor&, Property>::value
  auto require(const Property& p) const& noexcept(
      boost::asio::is_nothrow_require<const Executor&, Property>::value) {
    using inner_result =
        std::decay_t<typename boost::asio::require_result<const Executor&, Property>::type>;
    return context_executor<inner_result>(
        detail::inner_storage<inner_result>::from_view(boost::asio::require(inner_.view(), p)),
        cell_);
  }
  template <class Property>
    requires boost::asio::can_require<const Executor&, Property>::value
  auto require(const Property& p) && noexcept(
      boost::asio::is_nothrow_require<const Executor&, Property>::value) {
    using inner_result =
        std::decay_t<typename boost::asio::require_result<const Executor&, Property>::type>;
    return context_executor<inner_result>(
        detail::inner_storage<inner_result>::from_view(boost::asio::require(inner_.view(), p)),
        std::move(cell_));
  }

  template <class Property>
    requires boost::asio::can_prefer<const Executor&, Property>::value
  auto prefer(const Property& p) const& noexcept(
      boost::asio::is_nothrow_prefer<const Executor&, Property>::value) {
    using inner_result =
        std::decay_t<typename boost::asio::prefer_result<const Executor&, Property>::type>;
    return context_executor<inner_result>(
        detail::inner_storage<inner_result>::from_view(boost::asio::prefer(inner_.view(), p)),
        cell_);
  }
  template <class Property>
    requires boost::asio::can_prefer<const Executor&, Property>::value
  auto prefer(const Property& p) && noexcept(
      boost::asio::is_nothrow_prefer<const Executor&, Property>::value) {
    using inner_result =
        std::decay_t<typename boost::asio::prefer_result<const Executor&, Property>::type>;
    return context_executor<inner_result>(
        detail::inner_storage<inner_result>::from_view(boost::asio::prefer(inner_.view(), p)),
        std::move(cell_));
  }

  // --- Networking TS executor model (when the inner executor has it) ---

  decltype(auto) context() const noexcept
    requires requires(const Executor& e) { e.context(); }
  {
    return inner_.view().context();
  }
  void on_work_started() const noexcept
    requires requires(const Executor& e) { e.on_work_started(); }
  {
    inner_.view().on_work_started();
  }
  void on_work_finished() const noexcept
    requires requires(const Executor& e) { e.on_work_finished(); }
  {
    inner_.view().on_work_finished();
  }
  template <class Fn, class Allocator>
    requires requires(const Executor& e, Fn&& f, const Allocator& a) {
      e.dispatch(std::forward<Fn>(f), a);
    }
  void dispatch(Fn&& fn, const Allocator& a) const {
    inner_.view().dispatch(detail::cell_runner<std::decay_t<Fn>>{cell_, std::forward<Fn>(fn)}, a);
  }
  template <class Fn, class Allocator>
    requires requires(const Executor& e, Fn&& f, const Allocator& a) {
      e.post(std::forward<Fn>(f), a);
    }
  void post(Fn&& fn, const Allocator& a) const {
    inner_.view().post(detail::cell_runner<std::decay_t<Fn>>{cell_, std::forward<Fn>(fn)}, a);
  }
  template <class Fn, class Allocator>
    requires requires(const Executor& e, Fn&& f, const Allocator& a) {
      e.defer(std::forward<Fn>(f), a);
    }
  void defer(Fn&& fn, const Allocator& a) const {
    inner_.view().defer(detail::cell_runner<std::decay_t<Fn>>{cell_, std::forward<Fn>(fn)}, a);
  }

  friend bool operator==(const context_executor& a, const context_executor& b) noexcept {
    return a.cell_ == b.cell_ && a.inner_ == b.inner_;
  }
  friend bool operator!=(const context_executor& a, const context_executor& b) noexcept {
    return !(a == b);
  }

 private:
  template <class>
  friend class context_executor;

  // True when execute() can hand the function to `v`, the inner executor's view, as it is: `v`
  // is an io_context's executor without blocking.never, the calling thread is inside that
  // io_context's run() (so the io_context calls the function at once, on this thread), and this
  // thread is running this cell's unit. The function then runs inside the unit, where a
  // cell_runner would have called it directly too, and the cell needs no reference for it: the
  // unit is held until the running piece leaves. The test that fails first on the queued path,
  // blocking.never, comes first.
  template <class View>
  bool runs_inline_in_cell(const View& v) const noexcept {
    if constexpr (detail::is_io_context_executor<View>) {
      return boost::asio::query(v, boost::asio::execution::blocking) !=
                 boost::asio::execution::blocking.never &&
             cell_ && cell_->unit().running_here() && v.running_in_this_thread();
    } else {
      return false;
    }
  }
  context_executor(detail::inner_storage<Executor> inner, detail::cell_ptr cell) noexcept
      : inner_(std::move(inner)), cell_(std::move(cell)) {}

  detail::inner_storage<Executor> inner_;
  detail::cell_ptr cell_;
};

}  // namespace ctxflow::integrations::asio
