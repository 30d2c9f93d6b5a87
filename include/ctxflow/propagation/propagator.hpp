// SPDX-License-Identifier: Apache-2.0
// text_map_propagator: the abstract propagator (R5.1): inject a context's concern into a
// carrier, extract it into a new context, and name the fields it uses. Templated inject() and
// extract() helpers adapt any carrier. noop_propagator is what the global propagator is until
// one is set (R5.6). See docs/design/propagation.md.
#pragma once

#include <span>
#include <string_view>

#include "ctxflow/context/context.hpp"
#include "ctxflow/propagation/text_map.hpp"

namespace ctxflow::propagation {

/// Injects and extracts one cross-cutting concern (trace context, baggage, ...) through a text
/// map carrier (R5.1).
///
/// Thread safety: implementations are immutable after construction; every member may be
/// called concurrently.
/// Errors: never throws. Extract returns its input context unchanged when nothing valid is
/// found (R5.2); inject writes nothing when the context has nothing to send.
class text_map_propagator {
 public:
  virtual ~text_map_propagator() = default;

  /// Writes this propagator's fields for `ctx` through `setter`.
  virtual void inject(const context& ctx, carrier_setter& setter) const noexcept = 0;

  /// Returns `ctx` plus what this propagator found in the carrier; `ctx` itself when nothing
  /// valid was found (R5.2).
  virtual context extract(const context& ctx, const carrier_getter& getter) const noexcept = 0;

  /// The header names this propagator reads and writes (R5.4). Callers that reuse a carrier
  /// delete these before injecting again.
  virtual std::span<const std::string_view> fields() const noexcept = 0;

  /// A short name for diagnostics, e.g. `tracecontext`.
  virtual std::string_view name() const noexcept = 0;
};

/// A propagator that does nothing: inject writes nothing, extract returns its input.
class noop_propagator final : public text_map_propagator {
 public:
  void inject(const context&, carrier_setter&) const noexcept override {}
  context extract(const context& ctx, const carrier_getter&) const noexcept override { return ctx; }
  std::span<const std::string_view> fields() const noexcept override { return {}; }
  std::string_view name() const noexcept override { return "none"; }
};

/// Injects `ctx` into `carrier` with `propagator`, using `setter` (default: the carrier's
/// default_text_map).
template <class Carrier, class Setter = default_text_map_t<Carrier>>
  requires text_map_setter<Setter, Carrier>
void inject(const text_map_propagator& propagator, const context& ctx, Carrier& carrier,
            Setter setter = {}) noexcept {
  setter_ref<Carrier, Setter> s(carrier, setter);
  propagator.inject(ctx, s);
}

/// Extracts from `carrier` with `propagator` into a context derived from `ctx`.
template <class Carrier, class Getter = default_text_map_t<Carrier>>
  requires text_map_getter<Getter, Carrier>
[[nodiscard]] context extract(const text_map_propagator& propagator, const context& ctx,
                              const Carrier& carrier, Getter getter = {}) noexcept {
  getter_ref<Carrier, Getter> g(carrier, getter);
  return propagator.extract(ctx, g);
}

}  // namespace ctxflow::propagation
