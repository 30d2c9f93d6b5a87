// SPDX-License-Identifier: Apache-2.0
// recording_span: the SDK's span object. It records into a span_data under a small per-span
// lock, applies the span limits (R7.13, R7.14) and the status rules (R7.4), and hands itself to
// the span processors when it ends (R7.17). Processors read it through data().
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <string_view>
#include <thread>
#include <utility>

#include "ctxflow/export.hpp"
#include "ctxflow/sdk/span_data.hpp"
#include "ctxflow/sdk/span_limits.hpp"
#include "ctxflow/trace/span.hpp"

namespace ctxflow::sdk {

class multi_span_processor;

namespace detail {
class tracer_core;
struct span_home;
struct span_pool;

/// A test-and-test-and-set lock for the short critical sections of one span.
class span_lock {
 public:
  void lock() noexcept {
    // acquire: the holder's writes to the span happen-before ours.
    while (flag_.exchange(true, std::memory_order_acquire)) {
      while (flag_.load(std::memory_order_relaxed)) std::this_thread::yield();
    }
  }
  void unlock() noexcept { flag_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> flag_{false};  // false: free; true: held
};
}  // namespace detail

/// A span recorded by the SDK.
///
/// Thread safety: every span operation may be called concurrently (R7.8a). data() may be read
/// without synchronisation by the thread that started the span until it is published, and by
/// anyone after ended() is true (the data is then immutable; later calls are ignored, R7.3).
/// Lifetime: reference counted; processors that keep a span past on_end call add_ref() and
/// release() (or hold a ctxflow::detail::ref_ptr). When the last reference goes, the object is
/// handed back to the thread that started it and reused for its next span (span_pool.hpp), so
/// a thread that starts spans steadily does not allocate span objects.
class CTXFLOW_API recording_span final : public trace::span_object {
 public:
  /// The recorded data. Complete and immutable once ended() is true.
  const span_data& data() const noexcept { return *data_; }
  /// True once end() was called.
  bool ended() const noexcept { return ended_.load(std::memory_order_acquire); }
  /// The limits this span applies.
  const span_limits& limits() const noexcept;

  bool is_recording() const noexcept override { return !ended(); }
  void set_attribute(std::string_view key, const trace::attribute_value_view& value) noexcept override;
  void set_attributes(std::span<const trace::attribute_kv> attributes) noexcept override;
  void add_event(std::string_view name, std::span<const trace::attribute_kv> attributes,
                 trace::timestamp time) noexcept override;
  void add_link(const trace::span_context& linked,
                std::span<const trace::attribute_kv> attributes) noexcept override;
  void set_status(trace::status_code code, std::string_view description) noexcept override;
  void update_name(std::string_view name) noexcept override;
  void end(trace::timestamp end_time) noexcept override;
  /// Ends the span and hands the caller's reference to the processors: a processor that calls
  /// take_end_reference() in on_end keeps it; if none does, it is released after on_end.
  /// span_guard and scoped_span end their spans this way.
  void end_and_release(trace::timestamp end_time) noexcept override;

  /// For a processor's on_end: takes over the reference the ending caller handed with the end
  /// (end_and_release), so keeping the span costs no add_ref(). True at most once per end,
  /// only when the span was ended that way, and with several processors only for the last one
  /// (multi_span_processor); otherwise false, and a processor that keeps the span calls
  /// add_ref() as before. Either way it releases the span with release() when done.
  /// Once taken, that reference alone keeps the span alive: after making the span reachable by
  /// a thread that may release it, on_end must not touch the span again.
  bool take_end_reference() noexcept {
    bool* offer = std::exchange(end_reference_, nullptr);
    if (offer == nullptr) return false;
    *offer = false;
    return true;
  }

 private:
  friend class detail::tracer_core;
  friend struct detail::span_pool;
  friend class multi_span_processor;
  // Records the end time and marks the span ended; true only for the call that ended it
  // (R7.3). end() and end_and_release() call the processors after it when it is true.
  bool mark_ended(trace::timestamp end_time) noexcept;
  // `data` lives next to the object in the same pool block and outlives it (span_pool.hpp).
  recording_span(const trace::span_context& sc, const detail::tracer_core* tracer,
                 span_data& data) noexcept;
  ~recording_span() override;
  // Returns the object to the pool of the thread that started it (instead of deleting it).
  void destroy() const noexcept override;

  // Unlocked helpers; the caller holds lock_ (or owns the span before publication).
  void put_attribute(std::string_view key, const trace::attribute_value_view& value) noexcept;
  void put_link(const trace::span_context& linked,
                std::span<const trace::attribute_kv> attributes) noexcept;
  void note_drop() noexcept;

  const detail::tracer_core* tracer_;
  detail::span_lock lock_;
  std::atomic<bool> ended_{false};  // false: recording; true: ended (data_ immutable)
  bool drop_reported_ = false;      // guarded by lock_: one limit report per span (R7.14)
  // During on_end of end_and_release: the ending caller's flag "I still hold my reference",
  // which take_end_reference() clears; null when no reference is on offer. Only the thread
  // that ended the span touches it, inside that call.
  bool* end_reference_ = nullptr;
  // The recorded data, in the same block as this object but not part of it: a recycled block
  // keeps its span_data (and its buffers) while the span object is rebuilt (span_pool.hpp).
  span_data* data_;
  // The pool of the starting thread (null: not pooled, plain delete). Set once at start.
  detail::span_home* home_ = nullptr;
  // Link in that pool's return stack; written by the releasing thread before publication.
  recording_span* next_returned_ = nullptr;
};

/// Nanoseconds since the Unix epoch of `t`, or of now when `t` is zero.
CTXFLOW_API std::uint64_t to_unix_nanos(trace::timestamp t) noexcept;

}  // namespace ctxflow::sdk
