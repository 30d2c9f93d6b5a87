// SPDX-License-Identifier: Apache-2.0
// A worker process for process_test: reads jobs from stdin, one per line, each
//   <job id>\t<header>=<value>\t<header>=<value>...
// extracts each job's own context from its headers with the W3C propagators, and writes
//   <job id> <trace id> <parent span id> <baggage "job" value>
// per job to stdout.
#include <cstdio>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "ctxflow/propagation/baggage.hpp"
#include "ctxflow/propagation/global.hpp"
#include "ctxflow/trace/span.hpp"

int main() {
  using namespace ctxflow;
  auto prop = propagation::propagator_from_env_value("tracecontext,baggage");
  std::string line;
  while (std::getline(std::cin, line)) {
    std::vector<std::pair<std::string, std::string>> headers;
    std::string job;
    std::size_t start = 0;
    bool first = true;
    while (start <= line.size()) {
      std::size_t tab = line.find('\t', start);
      if (tab == std::string::npos) tab = line.size();
      const std::string field = line.substr(start, tab - start);
      if (first) {
        job = field;
        first = false;
      } else if (const std::size_t eq = field.find('='); eq != std::string::npos) {
        headers.emplace_back(field.substr(0, eq), field.substr(eq + 1));
      }
      start = tab + 1;
    }
    const context ctx = propagation::extract(*prop, context(), headers);
    const trace::span_context sc = trace::span_context_from(ctx);
    const auto t = sc.trace.to_hex();
    const auto s = sc.span.to_hex();
    const auto job_bag = propagation::baggage::from(ctx).get("job");
    std::printf("%s %.*s %.*s %s\n", job.c_str(), static_cast<int>(t.size()), t.data(),
                static_cast<int>(s.size()), s.data(),
                job_bag ? std::string(*job_bag).c_str() : "-");
    std::fflush(stdout);
  }
  return 0;
}
