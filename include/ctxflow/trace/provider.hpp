// SPDX-License-Identifier: Apache-2.0
// tracer_provider and the process-wide (global) provider. Until an SDK installs one, the global
// provider hands out no-op tracers whose spans only carry the parent's span context (R7.6).
// Tracers obtained from the global provider before an SDK is installed start delegating to
// the SDK once one is installed. See docs/usage/tracing.md.
#pragma once

#include <memory>
#include <string_view>

#include "ctxflow/export.hpp"
#include "ctxflow/trace/tracer.hpp"

namespace ctxflow::trace {

/// Hands out tracers, one per instrumentation scope (name, version, schema url).
///
/// Thread safety: get_tracer may be called concurrently (R7.8a).
class tracer_provider {
 public:
  tracer_provider() noexcept = default;
  tracer_provider(const tracer_provider&) = delete;
  tracer_provider& operator=(const tracer_provider&) = delete;
  virtual ~tracer_provider() = default;

  /// A tracer for the given instrumentation scope. An empty name still gives a working tracer
  /// (R7.8b). Errors: never fails; a no-op tracer when nothing better can be made.
  virtual tracer get_tracer(std::string_view name, std::string_view version = {},
                            std::string_view schema_url = {}) noexcept = 0;
};

/// The global provider; never null (the no-op provider until set_tracer_provider()).
/// Thread safety: may be called from any thread.
CTXFLOW_API std::shared_ptr<tracer_provider> get_tracer_provider() noexcept;

/// Installs `provider` as the global provider and returns the previous one (null when it was
/// the built-in no-op provider). A null `provider` restores the no-op provider.
/// Thread safety: may be called from any thread; spans already started keep their tracer.
CTXFLOW_API std::shared_ptr<tracer_provider> set_tracer_provider(
    std::shared_ptr<tracer_provider> provider) noexcept;

/// `get_tracer_provider()->get_tracer(name, version, schema_url)`.
///
/// Lifetime: a tracer obtained while no SDK is installed follows the global provider: once an
/// SDK is installed, its spans are recorded by that SDK.
CTXFLOW_API tracer get_tracer(std::string_view name, std::string_view version = {},
                              std::string_view schema_url = {}) noexcept;

}  // namespace ctxflow::trace
