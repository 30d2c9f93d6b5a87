// SPDX-License-Identifier: Apache-2.0
// span_recorder: an SDK provider with a simple processor and an in-memory exporter, installed
// globally for the recorder's lifetime, together with the W3C propagators.
#include "ctxflow/testing/span_recorder.hpp"

#include <utility>
#include <vector>

#include "ctxflow/propagation/composite.hpp"
#include "ctxflow/propagation/global.hpp"
#include "ctxflow/propagation/w3c_baggage.hpp"
#include "ctxflow/propagation/w3c_trace_context.hpp"
#include "ctxflow/sdk/span_processor.hpp"

namespace ctxflow::testing {

span_recorder::span_recorder(span_recorder_options options)
    : store_(std::make_shared<exporters::in_memory_store>(options.capacity)) {
  sdk::tracer_provider_options p;
  p.resource_ptr = std::move(options.resource_ptr);
  p.sampler_ptr = std::move(options.sampler_ptr);
  p.limits = options.limits;
  p.processors.push_back(std::make_unique<sdk::simple_span_processor>(
      std::make_unique<exporters::in_memory_exporter>(store_)));
  provider_ = std::make_shared<sdk::tracer_provider>(std::move(p));
  if (!options.install_global) return;
  // Everything that may fail is built before anything global changes.
  using choice = span_recorder_options::propagator_choice;
  std::shared_ptr<const propagation::text_map_propagator> prop;
  if (options.propagator == choice::given) {
    prop = std::move(options.propagator_ptr);
  } else if (options.propagator == choice::w3c) {
    std::vector<propagation::composite_propagator::pointer> w3c;
    w3c.push_back(std::make_shared<const propagation::w3c_trace_context_propagator>());
    w3c.push_back(std::make_shared<const propagation::w3c_baggage_propagator>());
    prop = std::make_shared<const propagation::composite_propagator>(std::move(w3c));
  }
  previous_ = trace::set_tracer_provider(provider_);
  installed_ = true;
  if (options.propagator == choice::keep) return;
  previous_propagator_ = propagation::global_propagator();
  propagation::set_global_propagator(std::move(prop));
  propagator_installed_ = true;
}

span_recorder::~span_recorder() {
  if (propagator_installed_) propagation::set_global_propagator(std::move(previous_propagator_));
  if (installed_) trace::set_tracer_provider(std::move(previous_));
  provider_->shutdown(std::chrono::milliseconds(5000));
}

}  // namespace ctxflow::testing
