// SPDX-License-Identifier: Apache-2.0
// Private: per-thread recycling of recording_span objects.
//
// Each thread that starts spans owns a "home": a free list of retired spans that only it
// touches, and a lock-free return stack any thread may push onto. A span released on its home
// thread goes on the free list (the batch processor arranges that for the spans it exported:
// their own thread releases them); a span released elsewhere (a user's handle on another
// thread, or the export thread releasing for a thread that exited or went idle) is pushed onto
// its home's return stack with one CAS. The home thread takes the
// whole stack with one exchange when its free list runs dry. A block holds the span object and,
// as a separate object behind it, its span_data. A retired span stays constructed; reusing it
// rebuilds only the span object (whose span context is immutable) and resets the span_data in
// place, so string and vector buffers are reused and, for the same tracer, the shared_ptrs to
// the scope, the resource and the provider are kept as they are (no reference-count traffic).
// So in steady state starting a span allocates nothing, and nothing a span owns is freed or
// counted down on another thread: a foreign releaser only pushes.
// A block has a third part, the provider reference (provider_ref): it keeps the span's provider
// alive, survives the rebuild like the span_data, and is replaced only when a span of another
// provider reuses the block. So a retired span keeps its provider alive until it is reused for
// another provider or its thread exits, like the per-thread provider lease (provider_state.hpp);
// a thread keeps as many retired blocks as it recently had spans out at once (at least
// min_kept_blocks, at most max_kept_blocks), and gives back those that a whole trim_period of
// reuse did not need. The span_data's scope and resource pointers own
// only the scope and the resource, so copies of it never keep a provider alive.
//
// When the home thread exits, the return stack is closed (it holds a mark instead of a list);
// spans released after that are destroyed and freed by the releasing thread, and the last of
// them deletes the home (a signed counter settles who is last, whatever the order).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "ctxflow/trace/span_context.hpp"

namespace ctxflow::sdk {
class recording_span;
struct span_data;
}

namespace ctxflow::sdk::detail {

struct span_home;
class tracer_core;
class span_recycler;

struct span_pool {
  /// The free list's bound is never below this (blocks of about 400 bytes: 1.6 MiB per thread)...
  static constexpr std::size_t min_kept_blocks = 4096;
  /// ...nor above this: a thread keeps at most this many retired blocks, however deep the
  /// queue its spans wait in.
  static constexpr std::size_t max_kept_blocks = 65536;
  /// Spans made from the free list between two trims (see span_home::keep in span_pool.cpp).
  static constexpr std::uint32_t trim_period = 65536;

  /// A new span object for the calling thread: a retired one rebuilt when the thread has one
  /// (its span_data keeps its buffers and its scope and resource, the block its provider
  /// reference; the rest is reset), else a new block. Null on allocation failure.
  static recording_span* make(const trace::span_context& sc, const tracer_core* tracer) noexcept;
  /// Destroys `s` (refcount 0) or hands it back to its home thread.
  static void recycle(recording_span* s) noexcept;
  /// The pool as the batch processor sees it (span_returns.hpp): data_of, begin_returns and
  /// end_returns behind an interface, so the processor needs no knowledge of the block layout.
  static span_recycler& recycler() noexcept;
  /// Between these two calls, spans this thread releases for other threads are collected and
  /// handed back a run at a time (one CAS per run of one home instead of one per span). Used
  /// by the batch processor when it releases spans on behalf of other threads.
  static void begin_returns() noexcept;
  static void end_returns() noexcept;
  /// Destroys the span object and its data and frees the block.
  static void free_block(recording_span* s) noexcept;
  /// Runs the span object's destructor only (the block stays allocated).
  static void destroy_in_place(recording_span* s) noexcept;
  /// The span_data of a span made by make(), found without reading the span object (so a thread
  /// that only exports a span leaves the span's own cache lines alone).
  static const span_data* data_of(const recording_span* s) noexcept;
  /// The span's link in its home's return stack.
  static recording_span*& link(recording_span* s) noexcept;
  /// The reference that keeps the span's provider alive while the span (live or retired)
  /// exists: the third part of the block, kept when the span object is rebuilt and released
  /// last when the block is freed. Not part of the span_data, so a copy of the data (an
  /// exporter that keeps what it exported) holds the scope and the resource, never the
  /// provider: the provider owns its processors and their exporters, and a copy that owned the
  /// provider would make a cycle that nothing frees.
  static std::shared_ptr<const void>& provider_ref(recording_span* s) noexcept;
  /// Retired spans currently on the calling thread's free list (tests).
  static std::size_t free_blocks() noexcept;
};

}  // namespace ctxflow::sdk::detail
