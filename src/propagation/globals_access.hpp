// SPDX-License-Identifier: Apache-2.0
// Private: the propagation module's process-wide state, defined in global_state.cpp: the global
// propagator and the B3 debug context key.
#pragma once

#include <memory>
#include <mutex>

#include "ctxflow/context/context_key.hpp"
#include "ctxflow/propagation/propagator.hpp"

namespace ctxflow::propagation::detail {

struct propagation_globals {
  std::mutex mu;
  std::shared_ptr<const text_map_propagator> global;  // guarded by mu; null: no-op
  context_key b3_debug_key{"b3.debug"};
  // The no-op propagator handed out while none is set (never null after start-up).
  std::shared_ptr<const text_map_propagator> noop = std::make_shared<const noop_propagator>();
};

propagation_globals& globals() noexcept;

}  // namespace ctxflow::propagation::detail
