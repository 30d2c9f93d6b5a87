// SPDX-License-Identifier: Apache-2.0
// scope: RAII guard that makes a context current for the lifetime of a block (R1.5, R1.7).
#pragma once

#include <source_location>
#include <utility>

#include "ctxflow/context/context.hpp"

namespace ctxflow {

/// Attaches a context on construction and detaches it on destruction.
///
/// Context: `ctx` is current from construction to destruction on the running execution unit;
/// inside a coroutine task that stays true across suspensions and thread hops (C5).
/// Thread safety: a scope belongs to the execution unit that made it.
/// Errors: see attach() and detach(); a scope destroyed out of order unwinds later attachments.
///
/// Example:
/// ```
/// { ctxflow::scope s{ctx}; do_work(); }   // the previous context is back here
/// ```
class [[nodiscard]] scope {
 public:
  explicit scope(context ctx, const std::source_location& where =
                                  std::source_location::current()) noexcept
      : token_(attach(std::move(ctx), where)) {}
  scope(const scope&) = delete;
  scope& operator=(const scope&) = delete;
  ~scope() {
    if (token_.valid()) (void)detach(std::move(token_));
  }

 private:
  context_token token_;
};

}  // namespace ctxflow
