// SPDX-License-Identifier: Apache-2.0
// Private: the demo's checks, run on the spans read back from its output file.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "ctxflow/exporters/console_exporter.hpp"
#include "ctxflow/sdk/span_data.hpp"

namespace ctxflow::cli {

/// The outcome of verify_trace().
struct verification {
  std::size_t spans = 0;
  std::size_t checks = 0;
  std::vector<std::string> failures;
  std::string trace_id;  // hex; empty when there was no span
  bool passed() const { return failures.empty() && !trace_id.empty(); }
};

/// Prints the waterfall of `spans` and checks that they form one trace with every span under
/// the right parent, each span once. `with_hops` adds the HTTP and queue hops' checks.
verification verify_trace(std::vector<sdk::span_data> spans, const exporters::render_options& render,
                          bool with_hops);

}  // namespace ctxflow::cli
