// SPDX-License-Identifier: Apache-2.0
// id_generator: where trace and span ids come from (R7.12). The default draws from a per-thread
// xoshiro256** generator seeded from std::random_device (reseeded after fork). It never returns
// an all-zero id and declares itself random, so new traces get the random flag (R2.14).
#pragma once

#include <memory>

#include "ctxflow/export.hpp"
#include "ctxflow/trace/span_context.hpp"

namespace ctxflow::sdk {

/// Generates ids. Custom generators must never return an all-zero id.
///
/// Thread safety: called concurrently from every thread that starts spans.
class id_generator {
 public:
  virtual ~id_generator() = default;
  virtual trace::trace_id new_trace_id() noexcept = 0;
  virtual trace::span_id new_span_id() noexcept = 0;
  /// True when at least the right-most 7 bytes of every trace id are uniformly random; new
  /// traces then carry the random flag (R2.14).
  virtual bool random() const noexcept { return false; }
};

/// The default generator's functions, usable directly.
CTXFLOW_API trace::trace_id random_trace_id() noexcept;
CTXFLOW_API trace::span_id random_span_id() noexcept;

/// The default generator as an object.
CTXFLOW_API std::shared_ptr<id_generator> make_random_id_generator();

}  // namespace ctxflow::sdk
