// SPDX-License-Identifier: Apache-2.0
// The demo's exporters: the JSON-lines file plus what OTEL_TRACES_EXPORTER names.
#include "cli/demo_export.hpp"

#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <utility>

#include "ctxflow/exporters/console_exporter.hpp"
#include "ctxflow/exporters/otlp/jsonl_exporter.hpp"
#include "ctxflow/sdk/batch_span_processor.hpp"
#include "ctxflow/sdk/exporter_registry.hpp"
#include "ctxflow/sdk/resource.hpp"
#include "ctxflow/sdk/sampler.hpp"
#include "ctxflow/sdk/span_limits.hpp"

namespace ctxflow::cli {
namespace {

std::string trimmed_lower(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

/// Counts the spans of every batch by the exporter's answer.
class counting_exporter final : public sdk::span_exporter {
 public:
  counting_exporter(std::unique_ptr<sdk::span_exporter> inner, std::shared_ptr<export_tally> tally)
      : inner_(std::move(inner)), tally_(std::move(tally)) {}

  sdk::export_result export_spans(std::span<const sdk::span_data* const> batch) noexcept override {
    const sdk::export_result r = inner_->export_spans(batch);
    (r == sdk::export_result::success ? tally_->exported : tally_->failed) += batch.size();
    return r;
  }
  bool force_flush(std::chrono::milliseconds timeout) noexcept override {
    return inner_->force_flush(timeout);
  }
  bool shutdown(std::chrono::milliseconds timeout) noexcept override {
    return inner_->shutdown(timeout);
  }

 private:
  std::unique_ptr<sdk::span_exporter> inner_;
  std::shared_ptr<export_tally> tally_;
};

}  // namespace

std::vector<std::string> exporter_names_from_environment(bool complain) {
  // The built-in names sdk::init would offer; `otlp` registers itself when linked.
  exporters::register_console_exporter();
  exporters::otlp::register_jsonl_exporter();
  std::vector<std::string> names;
  const char* value = std::getenv("OTEL_TRACES_EXPORTER");
  if (value == nullptr) return names;
  std::string_view rest(value);
  while (true) {
    const std::size_t comma = rest.find(',');
    std::string name = trimmed_lower(rest.substr(0, comma));
    bool seen = name.empty() || name == "none";
    for (const std::string& n : names) seen = seen || n == name;
    if (!seen) {
      if (sdk::has_exporter_factory(name)) {
        names.push_back(std::move(name));
      } else if (complain) {
        const std::string known = joined(sdk::registered_exporter_names());
        std::fprintf(stderr,
                     "ctxflow demo: OTEL_TRACES_EXPORTER names \"%s\", which this build does not "
                     "have (available: %s); spans go to the file only for it\n",
                     name.c_str(), known.empty() ? "none" : known.c_str());
      }
    }
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return names;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ",") + n;
  return out;
}

std::vector<std::unique_ptr<sdk::span_exporter>> demo_exporters(
    const std::shared_ptr<sdk::span_exporter>& file, const std::vector<std::string>& names,
    const std::shared_ptr<export_tally>& tally) {
  std::vector<std::unique_ptr<sdk::span_exporter>> out;
  out.push_back(std::make_unique<shared_sink>(file));
  for (const std::string& name : names) {
    // make_exporter reports a factory that fails (sdk.exporter.factory_failed).
    if (auto e = sdk::make_exporter(name))
      out.push_back(std::make_unique<counting_exporter>(std::move(e), tally));
    else
      tally->unavailable += 1;
  }
  return out;
}

sdk::init_options demo_init_options(std::string service_name,
                                    std::vector<std::unique_ptr<sdk::span_exporter>> exporters,
                                    bool continue_parent) {
  sdk::init_options o;
  o.disabled = false;
  o.service_name = std::move(service_name);
  o.sampler_ptr = sdk::make_always_on_sampler();
  o.exporters = std::move(exporters);
  o.continue_environment_trace = continue_parent;
  o.shutdown_timeout = std::chrono::milliseconds(15000);
  return o;
}

sdk::tracer_provider_options demo_provider_options(
    std::string service_name, std::vector<std::unique_ptr<sdk::span_exporter>> exporters) {
  sdk::tracer_provider_options o;
  o.resource_ptr = std::make_shared<const sdk::resource>(sdk::merge_resources(
      sdk::resource_from_environment(),
      sdk::resource{{{"service.name", std::move(service_name)}}, {}}));
  o.sampler_ptr = sdk::make_always_on_sampler();
  o.limits = sdk::span_limits::from_environment();
  const sdk::batch_options batch = sdk::batch_options::from_environment();
  for (auto& e : exporters)
    o.processors.push_back(std::make_unique<sdk::batch_span_processor>(std::move(e), batch));
  return o;
}

}  // namespace ctxflow::cli
