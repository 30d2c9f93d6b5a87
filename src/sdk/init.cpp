// SPDX-License-Identifier: Apache-2.0
// sdk::init: the SDK from init_options and the OTEL_* environment (R10), the global propagator
// (R5.6, R5.7) and the parent process's context (C10, R6.4).
#include "ctxflow/sdk/init.hpp"

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/macros.hpp"
#include "ctxflow/propagation/env_carrier.hpp"
#include "ctxflow/propagation/global.hpp"
#include "ctxflow/sdk/exporter_registry.hpp"
#include "ctxflow/sdk/resource.hpp"
#include "internal/env.hpp"
#include "internal/report.hpp"

namespace ctxflow::sdk {
namespace {

constexpr std::string_view default_exporter = "otlp";

std::unique_ptr<span_processor> wrap(std::unique_ptr<span_exporter> e, bool simple,
                                     const batch_options& batch) {
  if (simple) return std::make_unique<simple_span_processor>(std::move(e));
  return std::make_unique<batch_span_processor>(std::move(e), batch);
}

// The processors for an OTEL_TRACES_EXPORTER value. `source` names the variable or option.
void processors_from_names(std::string_view names, const char* source, bool simple,
                           const batch_options& batch,
                           std::vector<std::unique_ptr<span_processor>>& out) {
  std::vector<std::string> seen;
  bool any_invalid = false;
  std::string_view rest = names;
  while (true) {
    const std::size_t comma = rest.find(',');
    const std::string name = internal::to_lower(internal::trim_ows(rest.substr(0, comma)));
    if (!name.empty() && name != "none") {
      bool dup = false;
      for (const std::string& s : seen) dup = dup || s == name;
      if (!dup) {
        seen.push_back(name);
        std::unique_ptr<span_exporter> e = make_exporter(name);
        if (e) {
          out.push_back(wrap(std::move(e), simple || name == "console", batch));
        } else {
          any_invalid = true;
          const std::string known = [] {
            std::string k;
            for (const std::string& n : registered_exporter_names()) k += (k.empty() ? "" : ", ") + n;
            return k;
          }();
          reportf(severity::warning, "sdk.env.invalid",
                  "%s names exporter \"%s\", which is not available (registered: %s)", source,
                  name.c_str(), known.empty() ? "none" : known.c_str());
        }
      }
    }
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  // An unusable value falls back to the default (otlp) when that is available.
  if (out.empty() && any_invalid) {
    if (std::unique_ptr<span_exporter> e = make_exporter(default_exporter)) {
      reportf(severity::warning, "sdk.env.invalid", "%s: falling back to \"otlp\"", source);
      out.push_back(wrap(std::move(e), simple, batch));
    } else {
      reportf(severity::warning, "sdk.env.invalid",
              "%s: the default exporter \"otlp\" is not available either; spans are not exported",
              source);
    }
  }
}

}  // namespace

init_guard::init_guard(init_guard&& o) noexcept
    : provider_(std::move(o.provider_)),
      parent_(std::move(o.parent_)),
      token_(std::move(o.token_)),
      timeout_(o.timeout_),
      active_(std::exchange(o.active_, false)) {}

init_guard& init_guard::operator=(init_guard&& o) noexcept {
  if (this != &o) {
    (void)shutdown();
    provider_ = std::move(o.provider_);
    parent_ = std::move(o.parent_);
    token_ = std::move(o.token_);
    timeout_ = o.timeout_;
    active_ = std::exchange(o.active_, false);
  }
  return *this;
}

init_guard::~init_guard() { (void)shutdown(); }

bool init_guard::force_flush(std::chrono::milliseconds timeout) noexcept {
  return provider_ ? provider_->force_flush(timeout) : true;
}

bool init_guard::shutdown() noexcept {
  if (!active_) return false;
  active_ = false;
  bool ok = true;
  if (provider_) {
    // Put the no-op provider back only if ours is still the installed one.
    std::shared_ptr<trace::tracer_provider> current = trace::get_tracer_provider();
    if (current.get() == provider_.get()) (void)trace::set_tracer_provider(nullptr);
    // One limit for flush and shutdown together: a processor's shutdown exports what it still
    // holds first (span_processor::shutdown), and the processors split the one deadline among
    // their steps (draining, the exporter's shutdown, the next processor). Flushing separately
    // first would give the same work two limits and report its losses twice.
    ok = provider_->shutdown(timeout_);
  }
  if (token_.valid()) (void)detach(std::move(token_));
  parent_ = ctxflow::context();
  return ok;
}

init_guard init(init_options o) {
  const bool env = o.read_environment;
  CTXFLOW_TRY {
    if (env && internal::env_string("OTEL_CONFIG_FILE"))
      report(severity::warning, "sdk.env.unsupported",
             "OTEL_CONFIG_FILE is not supported; the other OTEL_* variables are used");

    // Propagators are installed even when the SDK is disabled (R5.7).
    if (o.propagators)
      propagation::set_global_propagator(propagation::propagator_from_env_value(*o.propagators));
    else
      propagation::set_global_propagator(env ? propagation::propagator_from_environment()
                                             : propagation::propagator_from_env_value(""));

    init_guard g;
    g.timeout_ = o.shutdown_timeout;
    const bool disabled =
        o.disabled ? *o.disabled : (env ? internal::env_bool("OTEL_SDK_DISABLED").value_or(false) : false);
    if (!disabled) {
      tracer_provider_options p;
      resource r = env ? resource_from_environment() : default_resource();
      if (!o.resource_attributes.empty()) r = merge_resources(r, resource{o.resource_attributes, {}});
      if (o.service_name) r = merge_resources(r, resource{{{"service.name", *o.service_name}}, {}});
      p.resource_ptr = std::make_shared<const resource>(std::move(r));
      p.sampler_ptr = o.sampler_ptr ? o.sampler_ptr
                                    : (env ? sampler_from_environment()
                                           : make_parent_based_sampler(make_always_on_sampler()));
      p.limits = o.limits ? *o.limits : (env ? span_limits::from_environment() : span_limits{});
      p.ids = o.ids;
      const batch_options batch =
          o.batch ? *o.batch : (env ? batch_options::from_environment() : batch_options{});

      if (!o.exporters.empty() || !o.processors.empty()) {
        for (auto& e : o.exporters)
          if (e) p.processors.push_back(wrap(std::move(e), o.simple, batch));
      } else if (o.exporter_names) {
        processors_from_names(*o.exporter_names, "init_options.exporter_names", o.simple, batch,
                              p.processors);
      } else {
        const std::optional<std::string> names =
            env ? internal::env_string("OTEL_TRACES_EXPORTER") : std::nullopt;
        processors_from_names(names ? *names : std::string(default_exporter), "OTEL_TRACES_EXPORTER",
                              o.simple, batch, p.processors);
      }
      for (auto& proc : o.processors)
        if (proc) p.processors.push_back(std::move(proc));

      g.provider_ = std::make_shared<tracer_provider>(std::move(p));
      (void)trace::set_tracer_provider(g.provider_);
    }

    // A child process continues its parent's trace (C10): the context the launcher put in
    // TRACEPARENT/TRACESTATE/BAGGAGE becomes current on this thread for the guard's lifetime.
    if (o.continue_environment_trace) {
      ctxflow::context parent = propagation::extract_from_environment();
      if (!parent.empty()) {
        g.parent_ = parent;
        g.token_ = attach(std::move(parent));
      }
    }
    g.active_ = true;
    return g;
  } CTXFLOW_CATCH_ALL {
    reportf(severity::error, "sdk.init.failed", "sdk::init failed: %s", current_exception_message());
  }
  return init_guard();
}

init_guard init() { return init(init_options{}); }

}  // namespace ctxflow::sdk
