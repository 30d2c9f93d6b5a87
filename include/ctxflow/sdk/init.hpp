// SPDX-License-Identifier: Apache-2.0
// sdk::init: one call at start-up that installs the tracer provider (resource, sampler, span
// processors and exporters), the global propagator, and, in a child process, the parent's trace
// context from TRACEPARENT/TRACESTATE/BAGGAGE. It reads the OTEL_* environment variables (R10);
// explicit options win over them. The returned guard flushes and shuts down when destroyed,
// within one limit (shutdown_timeout). ctxflow/sdk/signals.hpp does the same on SIGTERM/SIGINT.
// See docs/usage/tracing.md.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ctxflow/context/context.hpp"
#include "ctxflow/export.hpp"
#include "ctxflow/sdk/batch_span_processor.hpp"
#include "ctxflow/sdk/id_generator.hpp"
#include "ctxflow/sdk/sampler.hpp"
#include "ctxflow/sdk/span_data.hpp"
#include "ctxflow/sdk/span_exporter.hpp"
#include "ctxflow/sdk/span_limits.hpp"
#include "ctxflow/sdk/span_processor.hpp"
#include "ctxflow/sdk/tracer_provider.hpp"

namespace ctxflow::sdk {

/// Options for init(). Every OTEL_* variable has a field here; a set field wins over the
/// environment (R10).
struct init_options {
  /// Read the OTEL_* environment variables for every field left unset.
  bool read_environment = true;
  /// OTEL_SDK_DISABLED: true installs nothing but the propagator (R5.7).
  std::optional<bool> disabled;
  /// OTEL_SERVICE_NAME.
  std::optional<std::string> service_name;
  /// Added to the resource after OTEL_RESOURCE_ATTRIBUTES and before service_name.
  std::vector<attribute> resource_attributes;
  /// OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG.
  std::shared_ptr<sampler> sampler_ptr;
  /// OTEL_TRACES_EXPORTER: comma-separated registered names (`console`, `jsonl`, `otlp`,
  /// `none`, ...). Ignored when `exporters` or `processors` is non-empty.
  std::optional<std::string> exporter_names;
  /// Exporters to use, each behind its own processor (batch, or simple when `simple` is set).
  std::vector<std::unique_ptr<span_exporter>> exporters;
  /// Extra processors, called after the exporters' processors.
  std::vector<std::unique_ptr<span_processor>> processors;
  /// Use simple processors instead of batch ones (the `console` exporter always uses simple).
  bool simple = false;
  /// OTEL_BSP_*.
  std::optional<batch_options> batch;
  /// OTEL_SPAN_*_LIMIT / OTEL_ATTRIBUTE_*_LIMIT.
  std::optional<span_limits> limits;
  std::shared_ptr<id_generator> ids;
  /// OTEL_PROPAGATORS (R5.7).
  std::optional<std::string> propagators;
  /// Continue the trace of the parent process from TRACEPARENT/TRACESTATE/BAGGAGE (C10).
  bool continue_environment_trace = true;
  /// How long the guard's destructor (or shutdown()) may take for flush and shutdown together
  /// (0: no limit). It is one deadline: the provider's shutdown drains each processor and shuts
  /// its exporter down within the time left. With a batch processor, each queued batch then
  /// gets one export attempt (no retries); batches left when the deadline passes are not sent,
  /// and every span not delivered is counted
  /// (batch_span_processor::stats().not_delivered_at_shutdown) and reported once
  /// (`sdk.shutdown.undelivered`).
  std::chrono::milliseconds shutdown_timeout{30000};
};

/// Keeps the SDK installed; destroying it flushes, shuts down and restores the no-op provider,
/// all within init_options::shutdown_timeout.
///
/// Context: when init() continued a parent process's trace, the extracted context is attached
/// on the thread that called init() for the guard's lifetime, so spans started there (and work
/// spawned from there) are its children. Destroy the guard on that same thread.
/// Thread safety: distinct objects: safe. Shared objects: unsafe.
class CTXFLOW_API init_guard {
 public:
  init_guard() noexcept = default;
  init_guard(init_guard&& o) noexcept;
  init_guard& operator=(init_guard&& o) noexcept;
  init_guard(const init_guard&) = delete;
  init_guard& operator=(const init_guard&) = delete;
  ~init_guard();

  /// The installed provider; null when the SDK is disabled.
  const std::shared_ptr<tracer_provider>& provider() const noexcept { return provider_; }
  /// The parent process's context that init() attached (empty when none).
  const ctxflow::context& parent_context() const noexcept { return parent_; }
  /// Flushes every processor within `timeout` (0: no limit); a batch processor makes one
  /// export attempt per queued batch.
  bool force_flush(std::chrono::milliseconds timeout = std::chrono::milliseconds(30000)) noexcept;
  /// Restores the no-op provider, then flushes and shuts down the provider (within
  /// init_options::shutdown_timeout in all) and detaches the parent context, now.
  bool shutdown() noexcept;

 private:
  friend CTXFLOW_API init_guard init(init_options options);
  std::shared_ptr<tracer_provider> provider_;
  ctxflow::context parent_;
  ctxflow::context_token token_;
  std::chrono::milliseconds timeout_{30000};
  bool active_ = false;
};

/// Installs the SDK as `options` and the OTEL_* environment say (R10).
/// Errors: never throws; every bad setting is reported (`sdk.env.invalid` or
/// `sdk.init.invalid`, naming the variable or option) and replaced by its default.
CTXFLOW_API init_guard init(init_options options);
/// init() from the environment only.
CTXFLOW_API init_guard init();

}  // namespace ctxflow::sdk
