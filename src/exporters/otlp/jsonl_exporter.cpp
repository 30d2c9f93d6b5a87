// SPDX-License-Identifier: Apache-2.0
// The JSON-lines exporter: encode_json plus '\n' per export call, written under a mutex.
#include "ctxflow/exporters/otlp/jsonl_exporter.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/exporters/otlp/json_encoder.hpp"
#include "ctxflow/macros.hpp"
#include "ctxflow/sdk/exporter_registry.hpp"

namespace ctxflow::exporters::otlp {

jsonl_exporter::jsonl_exporter(const std::string& path, bool append)
    : file_(std::fopen(path.c_str(), append ? "ab" : "wb")), owns_file_(true) {
  if (file_ == nullptr) {
    const int err = errno;
    reportf(severity::error, "exporter.jsonl.open_failed", "cannot open '%s': %s", path.c_str(),
            std::strerror(err));
  }
}

jsonl_exporter::jsonl_exporter(std::FILE* file) noexcept : file_(file) {}

jsonl_exporter::jsonl_exporter(line_sink sink) : sink_(std::move(sink)) {}

jsonl_exporter::~jsonl_exporter() {
  std::lock_guard lock(mu_);
  if (owns_file_ && file_ != nullptr) std::fclose(file_);
  file_ = nullptr;
}

bool jsonl_exporter::is_open() const noexcept {
  std::lock_guard lock(mu_);
  return !shut_down_ && (file_ != nullptr || sink_);
}

sdk::export_result jsonl_exporter::export_spans(
    std::span<const sdk::span_data* const> batch) noexcept {
  std::lock_guard lock(mu_);
  if (shut_down_ || (file_ == nullptr && !sink_)) return sdk::export_result::failure;
  bool any = false;
  for (const auto* s : batch) any = any || s != nullptr;
  if (!any) return sdk::export_result::success;
  CTXFLOW_TRY {
    encode_json(batch, line_);
    line_ += '\n';
    bool ok = false;
    if (file_ != nullptr) {
      ok = std::fwrite(line_.data(), 1, line_.size(), file_) == line_.size() &&
           std::fflush(file_) == 0;
    } else {
      ok = sink_(line_);
    }
    if (!ok) {
      report(severity::error, "exporter.jsonl.write_failed", "could not write a JSON line");
      return sdk::export_result::failure;
    }
    return sdk::export_result::success;
  } CTXFLOW_CATCH_ALL {
    report(severity::error, "exporter.jsonl.write_failed", "exception while writing a JSON line");
    return sdk::export_result::failure;
  }
}

bool jsonl_exporter::force_flush(std::chrono::milliseconds) noexcept {
  std::lock_guard lock(mu_);
  if (file_ != nullptr) return std::fflush(file_) == 0;
  return true;
}

bool jsonl_exporter::shutdown(std::chrono::milliseconds) noexcept {
  std::lock_guard lock(mu_);
  if (shut_down_) return true;
  shut_down_ = true;
  bool ok = true;
  if (file_ != nullptr) {
    ok = owns_file_ ? std::fclose(file_) == 0 : std::fflush(file_) == 0;
    file_ = nullptr;
  }
  return ok;
}

void register_jsonl_exporter() noexcept {
  CTXFLOW_TRY {
    sdk::register_exporter_factory("jsonl", []() -> std::unique_ptr<sdk::span_exporter> {
      const char* env = std::getenv("CTXFLOW_JSONL_PATH");
      const std::string path = (env != nullptr && *env != '\0') ? env : "spans.jsonl";
      auto exporter = std::make_unique<jsonl_exporter>(path);
      if (!exporter->is_open()) return nullptr;
      return exporter;
    });
  } CTXFLOW_CATCH_ALL {
    report(severity::error, "exporter.jsonl.register_failed", "could not register \"jsonl\"");
  }
}

}  // namespace ctxflow::exporters::otlp
