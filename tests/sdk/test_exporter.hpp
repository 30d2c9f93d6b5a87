// SPDX-License-Identifier: Apache-2.0
// Test doubles for the SDK tests: an exporter that records copies of what it receives (into
// storage the test keeps), and an environment-variable guard.
#pragma once

#include <chrono>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "ctxflow/sdk/batch_span_processor.hpp"
#include "ctxflow/sdk/span_exporter.hpp"
#include "ctxflow/sdk/tracer_provider.hpp"

namespace ctxflow::sdk::test {

struct recorded {
  std::mutex mu;
  std::vector<span_data> spans;
  std::vector<std::size_t> batch_sizes;
  int flushes = 0;
  int shutdowns = 0;

  std::vector<span_data> snapshot() {
    std::lock_guard lock(mu);
    return spans;
  }
  std::size_t size() {
    std::lock_guard lock(mu);
    return spans.size();
  }
};

/// Records copies of every exported span; optionally fails or blocks.
class recording_exporter final : public span_exporter {
 public:
  explicit recording_exporter(std::shared_ptr<recorded> r) : r_(std::move(r)) {}
  export_result export_spans(std::span<const span_data* const> batch) noexcept override {
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
    std::lock_guard lock(r_->mu);
    r_->batch_sizes.push_back(batch.size());
    for (const span_data* d : batch) r_->spans.push_back(*d);
    return fail ? export_result::failure : export_result::success;
  }
  bool force_flush(std::chrono::milliseconds) noexcept override {
    std::lock_guard lock(r_->mu);
    ++r_->flushes;
    return true;
  }
  bool shutdown(std::chrono::milliseconds) noexcept override {
    std::lock_guard lock(r_->mu);
    ++r_->shutdowns;
    return true;
  }
  bool fail = false;
  std::chrono::milliseconds delay{0};

 private:
  std::shared_ptr<recorded> r_;
};

/// A provider with one simple processor feeding a recording exporter.
struct simple_pipeline {
  std::shared_ptr<recorded> rec = std::make_shared<recorded>();
  std::shared_ptr<tracer_provider> provider;
  trace::tracer tracer;

  explicit simple_pipeline(tracer_provider_options o = {}) {
    o.processors.insert(o.processors.begin(), std::make_unique<simple_span_processor>(
                                                  std::make_unique<recording_exporter>(rec)));
    provider = std::make_shared<tracer_provider>(std::move(o));
    tracer = provider->get_tracer("test", "1.0");
  }
};

/// A provider with one batch processor around `exporter`; `processor` stays reachable for
/// flushes and stats. Destroying the pipeline shuts the provider down.
struct batch_pipeline {
  batch_span_processor* processor = nullptr;
  std::shared_ptr<tracer_provider> provider;
  trace::tracer tracer;

  batch_pipeline(std::unique_ptr<span_exporter> exporter, batch_options o,
                 std::string_view tracer_name = "test") {
    auto p = std::make_unique<batch_span_processor>(std::move(exporter), o);
    processor = p.get();
    tracer_provider_options po;
    po.processors.push_back(std::move(p));
    provider = std::make_shared<tracer_provider>(std::move(po));
    tracer = provider->get_tracer(tracer_name);
  }
};

/// Sets (or unsets) an environment variable for a scope.
class env_guard {
 public:
  env_guard(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = std::string(old);
    if (value)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
  }
  env_guard(const env_guard&) = delete;
  env_guard& operator=(const env_guard&) = delete;
  ~env_guard() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

inline const attribute* find_attr(const std::vector<attribute>& attrs, std::string_view key) {
  for (const attribute& a : attrs)
    if (a.key == key) return &a;
  return nullptr;
}

}  // namespace ctxflow::sdk::test
