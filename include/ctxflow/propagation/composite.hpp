// SPDX-License-Identifier: Apache-2.0
// composite_propagator: several propagators acting as one (R5.5). Inject and extract run them
// in list order; extract feeds each output context to the next, so when two set the same
// concern the last successful one wins. See docs/requirements.md, "Propagators".
#pragma once

#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "ctxflow/propagation/propagator.hpp"

namespace ctxflow::propagation {

/// A propagator built from a list of propagators, or from separate injector and extractor
/// lists (R5.5). Null entries are ignored. fields() is the union of the members' fields, each
/// name once, in order (R5.4).
///
/// Thread safety: immutable after construction; safe to use from any thread.
class CTXFLOW_API composite_propagator final : public text_map_propagator {
 public:
  using pointer = std::shared_ptr<const text_map_propagator>;

  /// Uses every propagator for both inject and extract.
  /// Errors: if the fields list cannot be built (allocation failure) it is left empty and
  /// `propagation.alloc_failed` is reported; inject and extract still work.
  CTXFLOW_API explicit composite_propagator(std::vector<pointer> propagators) noexcept;
  /// Injects with `injectors` and extracts with `extractors`.
  CTXFLOW_API composite_propagator(std::vector<pointer> injectors,
                                   std::vector<pointer> extractors) noexcept;

  CTXFLOW_API void inject(const context& ctx, carrier_setter& setter) const noexcept override;
  CTXFLOW_API context extract(const context& ctx,
                              const carrier_getter& getter) const noexcept override;
  std::span<const std::string_view> fields() const noexcept override { return fields_; }
  std::string_view name() const noexcept override { return "composite"; }

  /// The members, in order.
  std::span<const pointer> injectors() const noexcept { return injectors_; }
  std::span<const pointer> extractors() const noexcept { return extractors_; }

 private:
  void build_fields() noexcept;
  std::vector<pointer> injectors_;
  std::vector<pointer> extractors_;
  std::vector<std::string_view> fields_;
};

}  // namespace ctxflow::propagation
