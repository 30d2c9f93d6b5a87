// SPDX-License-Identifier: Apache-2.0
// Private: the span return path of the batch span processor (docs/design/sdk.md, section 2).
//
// A span queued by the batch processor holds one reference the processor took in on_end. After
// its export that reference is released, and the span object goes back to the thread that
// started it. Where that object came from is the business of whoever made it: the processor is
// given a span_recycler (the span pool implements it, span_pool.hpp) and asks it
//   - for a span's data without reading the span object, so the export thread never touches the
//     span's own cache lines (the producer rewrites them when the object is reused), and
//   - to gather the spans the calling thread releases on behalf of other threads, so that they
//     are handed back a run at a time.
//
// Who releases: the producer releases its own exported spans, on its next on_end
// (release_own), so they return to its free list without a cross-thread write; the export
// thread (for a thread that exited, went idle or left the processor) and a shutdown release
// spans of other threads inside a return_scope (release_foreign).
#pragma once

#include <cstdint>

#include "ctxflow/sdk/recording_span.hpp"
#include "sdk/span_ring.hpp"

namespace ctxflow::sdk::detail {

/// What a batch processor needs from the maker of its spans.
class span_recycler {
 public:
  /// The data of `s`, found without reading the span object.
  virtual const span_data* data_of(const recording_span* s) const noexcept = 0;
  /// Between these two calls the calling thread collects the spans it releases for other
  /// threads and hands them back a run at a time.
  virtual void begin_returns() noexcept = 0;
  virtual void end_returns() noexcept = 0;

 protected:
  ~span_recycler() = default;
};

/// Collects the calling thread's foreign releases for its lifetime.
class return_scope {
 public:
  explicit return_scope(span_recycler& r) noexcept : recycler_(r) { recycler_.begin_returns(); }
  ~return_scope() { recycler_.end_returns(); }
  return_scope(const return_scope&) = delete;
  return_scope& operator=(const return_scope&) = delete;

 private:
  span_recycler& recycler_;
};

/// Releases the processor's reference of each span given.
struct release_spans {
  void operator()(recording_span* const* spans, std::uint64_t n) const noexcept {
    for (std::uint64_t i = 0; i < n; ++i) spans[i]->release();
  }
};

/// The producer, at its next on_end: releases its spans whose export has returned.
inline void release_own(span_ring& ring) noexcept {
  // acquire (done): the export thread's reads of them happen-before their reuse.
  const std::uint64_t done = ring.done();
  if (ring.reclaimed_relaxed() != done) ring.reclaim(done, release_spans{});
}

/// Releases, for another thread, the exported spans of `ring` below `upto` (<= done). Call
/// inside a return_scope.
void release_foreign(span_ring& ring, std::uint64_t upto) noexcept;

}  // namespace ctxflow::sdk::detail
