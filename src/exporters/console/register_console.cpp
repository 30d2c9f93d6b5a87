// SPDX-License-Identifier: Apache-2.0
// register_console_exporter: puts the "console" factory in the SDK's exporter registry.
#include <memory>

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/exporters/console_exporter.hpp"
#include "ctxflow/macros.hpp"
#include "ctxflow/sdk/exporter_registry.hpp"

namespace ctxflow::exporters {

bool register_console_exporter() noexcept {
  CTXFLOW_TRY {
    sdk::register_exporter_factory("console", [] { return std::make_unique<console_exporter>(); });
    return true;
  } CTXFLOW_CATCH_ALL {
    report(severity::warning, "exporters.console.register_failed",
           "register_console_exporter: could not register the \"console\" exporter factory");
    return false;
  }
}

}  // namespace ctxflow::exporters
