// SPDX-License-Identifier: Apache-2.0
// Private: the shared state behind sdk::tracer_provider and the SDK tracer (tracer_core).
//
// Lifetime: the state is owned through shared_ptr by the provider and by every tracer handle
// (aliasing). Spans keep it alive through a per-thread "lease": a shared_ptr with its own
// control block, cached per thread and per provider, whose deleter holds one reference to the
// state. A span block holds a copy of the lease (span_pool::provider_ref), taken when the block
// is first used for this provider (an increment on a counter only this thread touches), so two
// threads starting spans never write the same cache line. The lease is never put in a
// span_data: exporters may keep copies of the data, and the state owns the exporters.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "ctxflow/sdk/id_generator.hpp"
#include "ctxflow/sdk/recording_span.hpp"
#include "ctxflow/sdk/sampler.hpp"
#include "ctxflow/sdk/span_data.hpp"
#include "ctxflow/sdk/span_limits.hpp"
#include "ctxflow/sdk/span_processor.hpp"
#include "ctxflow/trace/tracer.hpp"
#include "sdk/sampler_kind.hpp"

namespace ctxflow::sdk::detail {

struct provider_state;

/// The SDK tracer: one per instrumentation scope, owned by the provider state.
class tracer_core final : public trace::tracer_object {
 public:
  tracer_core(provider_state* state, std::shared_ptr<const instrumentation_scope> scope) noexcept;

  trace::span start_span(std::string_view name,
                         const trace::start_options& options) noexcept override;
  bool enabled() const noexcept override;

  /// Called once by recording_span::end. Inline (below): the processor is called from the end
  /// itself.
  void on_end(recording_span& span) const noexcept;

  provider_state* const state;
  const std::shared_ptr<const instrumentation_scope> scope;

 private:
  // A shared_ptr whose control block is this thread's lease on the provider state (one lease
  // per thread serves every tracer of the provider).
  // The reference stays valid until the next call on this thread; empty when the provider is
  // being destroyed.
  const std::shared_ptr<const void>& lease() const noexcept;
};

struct provider_state : std::enable_shared_from_this<provider_state> {
  provider_state() noexcept;
  const std::uint64_t uid;  // process-unique, keys the per-thread lease cache
  std::shared_ptr<const resource> resource_ptr;
  std::shared_ptr<sampler> sampler_ptr;
  std::shared_ptr<sampler> fallback_sampler;  // used once sampler_ptr threw
  std::atomic<bool> sampler_off{false};       // false: sampler_ptr; true: fallback_sampler
  builtin_sampler sampler_kind = builtin_sampler::other;  // of sampler_ptr (sampler_kind.hpp)
  std::shared_ptr<id_generator> ids;          // null: the built-in generator
  bool ids_random = true;
  span_limits limits;
  multi_span_processor processors;
  // The only processor, when it is a built-in one (simple or batch), whose on_end cannot throw:
  // a span's end calls it directly instead of through the guard of `processors`, which could
  // only switch off a processor that throws. Null otherwise. Set by the constructor only.
  span_processor* sole_builtin = nullptr;
  std::atomic<bool> shut_down{false};  // false until tracer_provider::shutdown
  std::mutex tracers_mu;
  std::vector<std::unique_ptr<tracer_core>> tracers;  // guarded by tracers_mu; never shrinks
};

/// True for the built-in simple and batch processors: their on_end is noexcept and does
/// nothing at span start (span_processor.cpp).
bool builtin_processor(const span_processor* p) noexcept;

inline void tracer_core::on_end(recording_span& span) const noexcept {
  if (span_processor* p = state->sole_builtin)
    p->on_end(span);
  else
    state->processors.on_end(span);
}

}  // namespace ctxflow::sdk::detail
