// SPDX-License-Identifier: Apache-2.0
// batch_options: the settings of the batch span processor (R7.20), and the OTEL_BSP_*
// environment variables that override them (R10). See docs/usage/tracing.md.
#pragma once

#include <chrono>
#include <cstddef>

#include "ctxflow/export.hpp"

namespace ctxflow::sdk {

/// Batch settings (R7.20); the defaults are the spec's.
struct batch_options {
  /// Longest wait between exports (OTEL_BSP_SCHEDULE_DELAY).
  std::chrono::milliseconds schedule_delay{5000};
  /// How long one export may take before it is reported as late, and the default bound for
  /// flush/shutdown waits (OTEL_BSP_EXPORT_TIMEOUT; 0: no limit).
  std::chrono::milliseconds export_timeout{30000};
  /// Queue capacity over all threads; spans beyond it are dropped and counted
  /// (OTEL_BSP_MAX_QUEUE_SIZE). Producers update the shared count in runs below half full
  /// (all threads' runs together under max_queue_size / 32), so the queue may exceed this by
  /// less than 1/32; a span is never dropped below it.
  std::size_t max_queue_size = 2048;
  /// Spans per export; clamped to max_queue_size (OTEL_BSP_MAX_EXPORT_BATCH_SIZE).
  std::size_t max_export_batch_size = 512;

  /// The defaults overridden by the OTEL_BSP_* variables (R10).
  /// Errors: a bad value is reported (`sdk.env.invalid`, naming the variable) and ignored.
  CTXFLOW_API static batch_options from_environment();
};

}  // namespace ctxflow::sdk
