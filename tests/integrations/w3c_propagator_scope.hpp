// SPDX-License-Identifier: Apache-2.0
// w3c_propagator_scope: makes the W3C trace-context propagator the global one for the lifetime
// of a test and puts the previous one back afterwards.
#pragma once

#include <memory>

#include "ctxflow/propagation/global.hpp"
#include "ctxflow/propagation/w3c_trace_context.hpp"

namespace ctxflow::test {

struct w3c_propagator_scope {
  std::shared_ptr<const propagation::text_map_propagator> previous =
      propagation::global_propagator();
  w3c_propagator_scope() {
    propagation::set_global_propagator(
        std::make_shared<propagation::w3c_trace_context_propagator>());
  }
  ~w3c_propagator_scope() { propagation::set_global_propagator(previous); }
  w3c_propagator_scope(const w3c_propagator_scope&) = delete;
  w3c_propagator_scope& operator=(const w3c_propagator_scope&) = delete;
};

}  // namespace ctxflow::test
