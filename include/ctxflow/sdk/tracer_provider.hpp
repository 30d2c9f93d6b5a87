// SPDX-License-Identifier: Apache-2.0
// The SDK tracer provider: resource, sampler, id generator, span limits and span processors
// behind the trace API. Install it with trace::set_tracer_provider() or let sdk::init() do it.
// See docs/usage/tracing.md.
#pragma once

#include <chrono>
#include <memory>
#include <string_view>
#include <vector>

#include "ctxflow/export.hpp"
#include "ctxflow/sdk/id_generator.hpp"
#include "ctxflow/sdk/sampler.hpp"
#include "ctxflow/sdk/span_data.hpp"
#include "ctxflow/sdk/span_limits.hpp"
#include "ctxflow/sdk/span_processor.hpp"
#include "ctxflow/trace/provider.hpp"

namespace ctxflow::sdk {

/// How to build a tracer_provider. Null members take the defaults shown.
struct tracer_provider_options {
  /// Default: default_resource().
  std::shared_ptr<const resource> resource_ptr;
  /// Default: parent_based(always_on) (R7.11).
  std::shared_ptr<sampler> sampler_ptr;
  /// Default: the built-in random generator.
  std::shared_ptr<id_generator> ids;
  span_limits limits;
  /// Called in this order (R7.17).
  std::vector<std::unique_ptr<span_processor>> processors;
};

namespace detail {
struct provider_state;
}

/// The SDK tracer provider.
///
/// Thread safety: every method may be called concurrently (R7.23).
/// Lifetime: destroying it shuts it down. Tracers and spans it produced stay valid afterwards
/// (they keep its internal state alive) but no longer record.
class CTXFLOW_API tracer_provider final : public trace::tracer_provider {
 public:
  explicit tracer_provider(tracer_provider_options options = {});
  ~tracer_provider() override;

  /// A tracer for the instrumentation scope (R7.8b): tracers with the same name, version and
  /// schema url are shared. After shutdown, a no-op tracer (R7.23).
  trace::tracer get_tracer(std::string_view name, std::string_view version = {},
                           std::string_view schema_url = {}) noexcept override;

  /// force_flush on every processor (R7.23). True when all succeeded within `timeout`.
  bool force_flush(std::chrono::milliseconds timeout = std::chrono::milliseconds(30000)) noexcept;
  /// Shuts every processor down, once (R7.23); later calls return false. Each processor
  /// exports what it still holds first (span_processor::shutdown). `timeout` (0: no limit)
  /// bounds the whole call: the processors share one deadline.
  bool shutdown(std::chrono::milliseconds timeout = std::chrono::milliseconds(30000)) noexcept;
  bool is_shut_down() const noexcept;

  const resource& get_resource() const noexcept;
  const sampler& get_sampler() const noexcept;
  const span_limits& limits() const noexcept;

 private:
  std::shared_ptr<detail::provider_state> state_;
};

}  // namespace ctxflow::sdk
