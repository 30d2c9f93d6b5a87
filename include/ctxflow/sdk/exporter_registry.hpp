// SPDX-License-Identifier: Apache-2.0
// The exporter registry behind OTEL_TRACES_EXPORTER: exporters register a factory under a name
// ("console", "jsonl", "otlp", ...); sdk::init creates them by name.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ctxflow/export.hpp"
#include "ctxflow/sdk/span_exporter.hpp"

namespace ctxflow::sdk {

/// Creates an exporter; may return null on failure.
using exporter_factory = std::function<std::unique_ptr<span_exporter>()>;

/// Registers (or replaces) the factory for `name` (matched case-insensitively).
/// Thread safety: may be called from any thread.
CTXFLOW_API void register_exporter_factory(std::string name, exporter_factory factory);

/// Creates the exporter registered under `name`; null when none is registered, or the factory
/// failed or threw (reported as `sdk.exporter.factory_failed`).
CTXFLOW_API std::unique_ptr<span_exporter> make_exporter(std::string_view name);

/// True when a factory is registered under `name`.
CTXFLOW_API bool has_exporter_factory(std::string_view name);

/// The registered names, sorted.
CTXFLOW_API std::vector<std::string> registered_exporter_names();

}  // namespace ctxflow::sdk
