// SPDX-License-Identifier: Apache-2.0
// diagnostics_capture: records every diagnostic reported while it is alive, for tests. It
// installs itself as the process-wide handler and puts the previous one back when destroyed.
// No test-framework dependency.
#pragma once

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "ctxflow/context/diagnostics.hpp"

namespace ctxflow::testing {

/// One captured report, with owned strings.
struct captured_diagnostic {
  severity level;
  std::string code;
  std::string message;
  std::string file;  // empty when the report had no location
  std::uint32_t line = 0;
};

/// Captures diagnostics for its lifetime. Lifts the rate limit while alive.
///
/// Thread safety: reports may arrive from any thread; the accessors are safe concurrently.
class diagnostics_capture {
 public:
  diagnostics_capture() {
    set_diagnostics_rate_limit(1'000'000);
    previous_ = set_diagnostics_handler([this](const diagnostic& d) {
      std::lock_guard lock(mu_);
      records_.push_back({d.level, std::string(d.code), std::string(d.message),
                          d.has_where ? std::string(d.where.file_name()) : std::string(),
                          d.has_where ? d.where.line() : 0});
    });
  }
  diagnostics_capture(const diagnostics_capture&) = delete;
  diagnostics_capture& operator=(const diagnostics_capture&) = delete;
  ~diagnostics_capture() {
    set_diagnostics_handler(std::move(previous_));
    set_diagnostics_rate_limit(100);
  }

  std::vector<captured_diagnostic> records() const {
    std::lock_guard lock(mu_);
    return records_;
  }
  /// How many reports carried `code`.
  std::size_t count(std::string_view code) const {
    std::lock_guard lock(mu_);
    return static_cast<std::size_t>(std::count_if(
        records_.begin(), records_.end(), [&](const auto& r) { return r.code == code; }));
  }
  std::size_t size() const {
    std::lock_guard lock(mu_);
    return records_.size();
  }
  void clear() {
    std::lock_guard lock(mu_);
    records_.clear();
  }

 private:
  mutable std::mutex mu_;
  std::vector<captured_diagnostic> records_;
  diagnostics_handler previous_;
};

}  // namespace ctxflow::testing
