// SPDX-License-Identifier: Apache-2.0
// span_recorder: records every span a test produces. For its lifetime it installs, as the
// global tracer provider, an SDK provider with a simple processor feeding an in-memory exporter,
// and as the global propagator W3C trace context plus baggage (the SDK's default), and puts the
// previous global provider and propagator back when destroyed. Read the spans back as a list or
// as a trace_tree to assert structure. No test-framework dependency.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "ctxflow/export.hpp"
#include "ctxflow/exporters/in_memory_exporter.hpp"
#include "ctxflow/propagation/propagator.hpp"
#include "ctxflow/sdk/sampler.hpp"
#include "ctxflow/sdk/span_data.hpp"
#include "ctxflow/sdk/span_limits.hpp"
#include "ctxflow/sdk/tracer_provider.hpp"
#include "ctxflow/testing/trace_tree.hpp"
#include "ctxflow/trace/provider.hpp"
#include "ctxflow/trace/tracer.hpp"

namespace ctxflow::testing {

/// How a span_recorder builds its provider.
struct span_recorder_options {
  /// Spans kept (the oldest are evicted beyond it); 0: unbounded.
  std::size_t capacity = 0;
  /// Null: the SDK default, parent_based(always_on) (R7.11).
  std::shared_ptr<sdk::sampler> sampler_ptr{};
  /// Null: the SDK's default resource.
  std::shared_ptr<const sdk::resource> resource_ptr{};
  sdk::span_limits limits{};
  /// False: the provider is not made global; use tracer() or provider() explicitly. Nothing
  /// global is touched then, the propagator included.
  bool install_global = true;
  /// Which global propagator the recorder installs for its lifetime (with install_global):
  /// `w3c`, the default, is tracecontext then baggage, as `OTEL_PROPAGATORS` unset gives;
  /// `keep` leaves the current one alone; `given` installs `propagator_ptr`.
  enum class propagator_choice : std::uint8_t { w3c, keep, given };
  propagator_choice propagator = propagator_choice::w3c;
  /// The propagator installed with `propagator_choice::given` (null: the no-op propagator).
  std::shared_ptr<const propagation::text_map_propagator> propagator_ptr{};
};

/// Records the spans ended while it is alive.
///
/// Contract: construction installs its provider globally (unless told not to) and keeps the
/// global provider that was there before; destruction restores that one, then shuts its own
/// provider down. Likewise it installs the W3C tracecontext + baggage propagator as the global
/// propagator (or the one the options choose) and restores the previous propagator when
/// destroyed, so that an inject/extract hop through the global propagator stays in one trace. Spans are exported by a simple processor as they end (R7.19), so spans() sees
/// a span as soon as its end() returns. Nested recorders restore one another in order.
///
/// Thread safety: distinct objects: safe. Shared objects: the readers (spans, tree, size,
/// clear) are safe from any thread; construct and destroy it on one thread, with no other
/// recorder being installed concurrently.
/// Lifetime: spans still running when the recorder is destroyed are not recorded.
///
/// Example:
/// ```
/// ctxflow::testing::span_recorder recorder;
/// handle_request();                        // uses ctxflow::trace::get_tracer(...)
/// auto tree = recorder.tree();
/// EXPECT_TRACE(tree.all_in_one_trace());
/// EXPECT_TRACE(tree.child_of("SELECT", "GET /orders"));
/// ```
class CTXFLOW_API span_recorder {
 public:
  span_recorder() : span_recorder(span_recorder_options{}) {}
  explicit span_recorder(span_recorder_options options);
  span_recorder(const span_recorder&) = delete;
  span_recorder& operator=(const span_recorder&) = delete;
  ~span_recorder();

  /// Copies of the ended spans, in the order they ended.
  std::vector<sdk::span_data> spans() const { return store_->spans(); }
  /// The ended spans as a tree.
  trace_tree tree() const { return trace_tree(store_->spans()); }
  /// How many spans were recorded (since the last clear()).
  std::size_t size() const noexcept { return store_->size(); }
  /// Forgets the recorded spans.
  void clear() noexcept { store_->clear(); }
  /// Blocks until `count` spans are recorded or `timeout` passes; true when reached. For spans
  /// that end on other threads.
  bool wait_for(std::size_t count,
                std::chrono::milliseconds timeout = std::chrono::seconds(5)) const {
    return store_->wait_for(count, timeout);
  }

  /// A tracer of this recorder's provider (whether or not it is global).
  trace::tracer tracer(std::string_view name = "ctxflow.testing") const noexcept {
    return provider_->get_tracer(name);
  }
  const std::shared_ptr<sdk::tracer_provider>& provider() const noexcept { return provider_; }
  const std::shared_ptr<exporters::in_memory_store>& store() const noexcept { return store_; }

 private:
  std::shared_ptr<exporters::in_memory_store> store_;
  std::shared_ptr<sdk::tracer_provider> provider_;
  std::shared_ptr<trace::tracer_provider> previous_;
  std::shared_ptr<const propagation::text_map_propagator> previous_propagator_;
  bool installed_ = false;
  bool propagator_installed_ = false;
};

}  // namespace ctxflow::testing
