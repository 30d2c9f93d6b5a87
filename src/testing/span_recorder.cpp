// SPDX-License-Identifier: Apache-2.0
// span_recorder: an SDK provider with a simple processor and an in-memory exporter, installed
// globally for the recorder's lifetime.
#include "ctxflow/testing/span_recorder.hpp"

#include <utility>

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
  if (options.install_global) {
    previous_ = trace::set_tracer_provider(provider_);
    installed_ = true;
  }
}

span_recorder::~span_recorder() {
  if (installed_) trace::set_tracer_provider(std::move(previous_));
  provider_->shutdown(std::chrono::milliseconds(5000));
}

}  // namespace ctxflow::testing
