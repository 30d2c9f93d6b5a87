// SPDX-License-Identifier: Apache-2.0
// A child process for process_test: it does what an SDK init does at start-up (propagator
// from OTEL_PROPAGATORS, parent context from the environment) and writes what it received to
// the file named by argv[1]: trace id, parent span id, flags, tracestate and baggage.
#include <cstdio>
#include <string>

#include "ctxflow/propagation/baggage.hpp"
#include "ctxflow/propagation/env_carrier.hpp"
#include "ctxflow/propagation/global.hpp"
#include "ctxflow/trace/span.hpp"

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  using namespace ctxflow;
  propagation::set_global_propagator(propagation::propagator_from_environment());
  const context root = propagation::extract_from_environment();
  const trace::span_context sc = trace::span_context_from(root);
  std::FILE* f = std::fopen(argv[1], "w");
  if (!f) return 3;
  const auto t = sc.trace.to_hex();
  const auto s = sc.span.to_hex();
  std::string bag;
  for (const auto& e : propagation::baggage::from(root).get_all())
    bag += std::string(e.name) + "=" + std::string(e.value) + ";";
  const std::string state(sc.state.header());
  std::fprintf(f, "%s\n%.*s\n%.*s\n%02x\n%s\n%s\n", sc.valid() ? "valid" : "invalid",
               static_cast<int>(t.size()), t.data(), static_cast<int>(s.size()), s.data(),
               sc.flags.value, state.c_str(), bag.c_str());
  std::fclose(f);
  return sc.valid() ? 0 : 1;
}
