// SPDX-License-Identifier: Apache-2.0
// The global propagator (R5.6): a no-op until set, normally installed by the SDK's init from
// OTEL_PROPAGATORS (R5.7), plus inject()/extract() shortcuts that use it with the current
// context. See docs/design/propagation.md, "Global propagator".
#pragma once

#include <memory>
#include <string_view>

#include "ctxflow/context/context.hpp"
#include "ctxflow/export.hpp"
#include "ctxflow/propagation/propagator.hpp"

namespace ctxflow::propagation {

/// The process-wide propagator; a noop_propagator until set_global_propagator() (R5.6).
/// Never null.
/// Thread safety: may be called from any thread, concurrently with set_global_propagator().
CTXFLOW_API std::shared_ptr<const text_map_propagator> global_propagator() noexcept;

/// Replaces the global propagator; null restores the no-op one.
/// Thread safety: may be called from any thread; calls already running keep the previous one.
CTXFLOW_API void set_global_propagator(std::shared_ptr<const text_map_propagator> p) noexcept;

/// Builds the propagator an `OTEL_PROPAGATORS` value names (R5.7): a comma-separated,
/// case-insensitive list of `tracecontext`, `baggage`, `b3` (single-header inject), `b3multi`
/// and `none`. Duplicates are registered once. Unknown entries, and the known but unsupported
/// `jaeger`, `xray` and `ottrace`, are skipped, each reported once as a warning naming it
/// (`propagation.env.unknown`, `propagation.env.unsupported`); the others are kept. When no
/// usable entry is left (an empty value, only separators, only skipped entries) the default
/// `tracecontext,baggage` applies. `none` alone, or `none` with others (warned:
/// `propagation.env.none_with_others`), gives the no-op propagator. One entry gives that
/// propagator, several a composite in list order.
/// Errors: never null; allocation failure gives the no-op propagator.
CTXFLOW_API std::shared_ptr<const text_map_propagator> propagator_from_env_value(
    std::string_view csv) noexcept;

/// propagator_from_env_value() of the `OTEL_PROPAGATORS` environment variable (unset: the
/// default). `OTEL_SDK_DISABLED` does not affect it (R5.7).
CTXFLOW_API std::shared_ptr<const text_map_propagator> propagator_from_environment() noexcept;

/// Injects `ctx` (default: the current context) into `carrier` with the global propagator.
/// Context: reads the current context when none is given.
template <class Carrier>
  requires text_map_setter<default_text_map_t<Carrier>, Carrier>
void inject(Carrier& carrier, const context& ctx = context::current()) noexcept {
  const auto p = global_propagator();
  inject(*p, ctx, carrier);
}

/// Extracts from `carrier` with the global propagator into a context derived from `ctx`
/// (default: the current context).
template <class Carrier>
  requires text_map_getter<default_text_map_t<Carrier>, Carrier>
[[nodiscard]] context extract(const Carrier& carrier,
                              const context& ctx = context::current()) noexcept {
  const auto p = global_propagator();
  return extract(*p, ctx, carrier);
}

}  // namespace ctxflow::propagation
