// SPDX-License-Identifier: Apache-2.0
// The exporter registry behind OTEL_TRACES_EXPORTER.
#include "ctxflow/sdk/exporter_registry.hpp"

#include <map>
#include <mutex>

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/macros.hpp"
#include "internal/env.hpp"
#include "internal/report.hpp"

// Defined by the exporter libraries that register themselves when linked: each defines its hook
// and names it in its link interface with --undefined, which keeps the hook's object file in a
// static link. Weak here, so the SDK links and works without any of them, and it depends on no
// exporter.
extern "C" {
__attribute__((weak, visibility("default"))) void ctxflow_console_register_hook() noexcept;
__attribute__((weak, visibility("default"))) void ctxflow_jsonl_register_hook() noexcept;
__attribute__((weak, visibility("default"))) void ctxflow_otlp_http_register_hook() noexcept;
__attribute__((weak, visibility("default"))) void ctxflow_otlp_grpc_register_hook() noexcept;
}

namespace ctxflow::sdk {
namespace {

struct registry {
  std::mutex mu;
  std::map<std::string, exporter_factory> factories;  // guarded by mu; lowercase names
};

// Immortal: exporters may be created from static initialisers and during exit.
registry& the_registry() {
  static registry* r = new registry;
  return *r;
}

// True while this thread runs the hooks below: their registrations never replace a factory
// the application registered itself under the same name.
thread_local bool tls_registering_linked = false;

// Runs the hooks of linked exporter libraries once, before the first lookup, so a name such as
// "otlp" resolves without an explicit registration call.
void register_linked_exporters() noexcept {
  static const bool once = [] {
    tls_registering_linked = true;
    // OTLP/HTTP before OTLP/gRPC: "otlp" is the HTTP exporter's when both are linked.
    for (void (*hook)() noexcept : {ctxflow_console_register_hook, ctxflow_jsonl_register_hook,
                                    ctxflow_otlp_http_register_hook,
                                    ctxflow_otlp_grpc_register_hook}) {
      if (hook != nullptr) hook();
    }
    tls_registering_linked = false;
    return true;
  }();
  (void)once;
}

}  // namespace

void register_exporter_factory(std::string name, exporter_factory factory) {
  registry& r = the_registry();
  std::lock_guard lock(r.mu);
  if (tls_registering_linked)
    r.factories.emplace(internal::to_lower(name), std::move(factory));
  else
    r.factories[internal::to_lower(name)] = std::move(factory);
}

std::unique_ptr<span_exporter> make_exporter(std::string_view name) {
  register_linked_exporters();
  exporter_factory f;
  {
    registry& r = the_registry();
    std::lock_guard lock(r.mu);
    auto it = r.factories.find(internal::to_lower(name));
    if (it == r.factories.end()) return nullptr;
    f = it->second;
  }
  CTXFLOW_TRY {
    std::unique_ptr<span_exporter> e = f ? f() : nullptr;
    if (!e)
      reportf(severity::error, "sdk.exporter.factory_failed", "exporter factory \"%.*s\" gave none",
              static_cast<int>(name.size()), name.data());
    return e;
  } CTXFLOW_CATCH_ALL {
    reportf(severity::error, "sdk.exporter.factory_failed", "exporter factory \"%.*s\" threw: %s",
            static_cast<int>(name.size()), name.data(), current_exception_message());
  }
  return nullptr;
}

bool has_exporter_factory(std::string_view name) {
  register_linked_exporters();
  registry& r = the_registry();
  std::lock_guard lock(r.mu);
  return r.factories.count(internal::to_lower(name)) != 0;
}

std::vector<std::string> registered_exporter_names() {
  register_linked_exporters();
  registry& r = the_registry();
  std::lock_guard lock(r.mu);
  std::vector<std::string> out;
  for (const auto& [name, f] : r.factories) out.push_back(name);
  return out;
}

}  // namespace ctxflow::sdk
