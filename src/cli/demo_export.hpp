// SPDX-License-Identifier: Apache-2.0
// Private: where the demo's spans go. Every process of the demo writes its spans as OTLP JSON
// lines to a file, and also hands them to the exporters OTEL_TRACES_EXPORTER names (created
// through the SDK's exporter registry, so OTEL_EXPORTER_OTLP_* configure `otlp`). Unset,
// empty or `none` adds nothing: the demo then only writes the file.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ctxflow/sdk/init.hpp"
#include "ctxflow/sdk/span_exporter.hpp"
#include "ctxflow/sdk/tracer_provider.hpp"

namespace ctxflow::cli {

/// The exporter names of OTEL_TRACES_EXPORTER that this build can create, lowercased, without
/// duplicates and `none`. Names it cannot create are left out, with a message on stderr when
/// `complain`.
std::vector<std::string> exporter_names_from_environment(bool complain = true);

/// The names joined with commas, for messages.
std::string joined(const std::vector<std::string>& names);

/// How many spans the named exporters of one process took and refused.
struct export_tally {
  std::atomic<std::uint64_t> exported{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::uint64_t> unavailable{0};  ///< named exporters whose factory gave none
};

/// Hands batches to an exporter shared by several processors (one file for two providers)
/// without shutting it down: its owner closes it after every provider has finished.
class shared_sink final : public sdk::span_exporter {
 public:
  explicit shared_sink(std::shared_ptr<sdk::span_exporter> target) : target_(std::move(target)) {}
  sdk::export_result export_spans(std::span<const sdk::span_data* const> batch) noexcept override {
    return target_->export_spans(batch);
  }
  bool force_flush(std::chrono::milliseconds timeout) noexcept override {
    return target_->force_flush(timeout);
  }

 private:
  std::shared_ptr<sdk::span_exporter> target_;
};

/// One process's exporters: the file sink first, then one of each named exporter, counted.
std::vector<std::unique_ptr<sdk::span_exporter>> demo_exporters(
    const std::shared_ptr<sdk::span_exporter>& file, const std::vector<std::string>& names,
    const std::shared_ptr<export_tally>& tally);

/// sdk::init options for a service of the demo: the given exporters, the environment's
/// resource, batch and limit settings, every span sampled (the demo verifies all of them), no
/// trace continued from the environment unless `continue_parent`.
sdk::init_options demo_init_options(std::string service_name,
                                    std::vector<std::unique_ptr<sdk::span_exporter>> exporters,
                                    bool continue_parent);

/// A tracer provider for a second service in the same process (its own service.name), with a
/// batch processor per exporter, configured from the environment like demo_init_options.
sdk::tracer_provider_options demo_provider_options(
    std::string service_name, std::vector<std::unique_ptr<sdk::span_exporter>> exporters);

}  // namespace ctxflow::cli
