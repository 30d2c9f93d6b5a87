// SPDX-License-Identifier: Apache-2.0
// The composite propagator (R5.5).
#include "ctxflow/propagation/composite.hpp"

#include <algorithm>

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/macros.hpp"

namespace ctxflow::propagation {

composite_propagator::composite_propagator(std::vector<pointer> propagators) noexcept
    : extractors_(std::move(propagators)) {
  CTXFLOW_TRY {
    injectors_ = extractors_;
  } CTXFLOW_CATCH_ALL {
    report(severity::error, "propagation.alloc_failed", "composite propagator copy failed");
  }
  build_fields();
}

composite_propagator::composite_propagator(std::vector<pointer> injectors,
                                           std::vector<pointer> extractors) noexcept
    : injectors_(std::move(injectors)), extractors_(std::move(extractors)) {
  build_fields();
}

void composite_propagator::build_fields() noexcept {
  CTXFLOW_TRY {
    for (const auto* list : {&injectors_, &extractors_})
      for (const pointer& p : *list) {
        if (!p) continue;
        for (std::string_view f : p->fields())
          if (std::find(fields_.begin(), fields_.end(), f) == fields_.end()) fields_.push_back(f);
      }
  } CTXFLOW_CATCH_ALL {
    fields_.clear();
    report(severity::error, "propagation.alloc_failed", "composite propagator fields list failed");
  }
}

void composite_propagator::inject(const context& ctx, carrier_setter& setter) const noexcept {
  for (const pointer& p : injectors_)
    if (p) p->inject(ctx, setter);
}

context composite_propagator::extract(const context& ctx,
                                      const carrier_getter& getter) const noexcept {
  context out = ctx;
  for (const pointer& p : extractors_)
    if (p) out = p->extract(out, getter);
  return out;
}

}  // namespace ctxflow::propagation
