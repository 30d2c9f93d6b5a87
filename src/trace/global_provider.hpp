// SPDX-License-Identifier: Apache-2.0
// Private: the global tracer provider slot, the trace module's process-wide state. Defined in
// global_provider.cpp.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "ctxflow/trace/provider.hpp"

namespace ctxflow::trace::detail {

struct global_provider_slot {
  std::mutex mu;
  std::shared_ptr<tracer_provider> provider;  // guarded by mu; null: the no-op provider
  // Bumped (under mu) on every set_tracer_provider; 0 means "never set", which lets no-op
  // tracers skip every other check. Release on store so a reader that sees a generation also
  // sees the provider stored before it.
  std::atomic<std::uint64_t> generation{0};
};

global_provider_slot& global_provider() noexcept;

}  // namespace ctxflow::trace::detail
