// SPDX-License-Identifier: Apache-2.0
// span_exporter: the interface every exporter implements (in-memory, console, JSON lines,
// OTLP/HTTP). Processors call it; failures are values (style.md §5), never exceptions.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>

#include "ctxflow/sdk/span_data.hpp"

namespace ctxflow::sdk {

/// Outcome of one export call.
enum class export_result : std::uint8_t {
  success,
  /// The batch could not be delivered (after any retries the exporter does itself).
  failure,
};

/// Sends batches of ended spans somewhere.
///
/// Thread safety: the SDK never calls export_spans concurrently on one exporter (R7.x); flush
/// and shutdown may be called from any thread while an export is running.
/// Errors: export_spans returns failure; it must not throw (the processor guards it anyway).
class span_exporter {
 public:
  virtual ~span_exporter() = default;

  /// Exports one batch. The span_data objects are valid only during the call.
  virtual export_result export_spans(std::span<const span_data* const> batch) noexcept = 0;

  /// Delivers anything the exporter buffers. True when done within `timeout`.
  virtual bool force_flush(std::chrono::milliseconds timeout) noexcept {
    (void)timeout;
    return true;
  }

  /// Flushes, then releases resources; later exports fail fast. True when done within `timeout`.
  virtual bool shutdown(std::chrono::milliseconds timeout) noexcept {
    (void)timeout;
    return true;
  }
};

}  // namespace ctxflow::sdk
