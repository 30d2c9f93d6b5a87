// SPDX-License-Identifier: Apache-2.0
// The global propagator (R5.6) and OTEL_PROPAGATORS parsing (R5.7).
#include "ctxflow/propagation/global.hpp"

#include <cstdlib>
#include <new>
#include <utility>
#include <vector>

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/macros.hpp"
#include "ctxflow/propagation/b3.hpp"
#include "ctxflow/propagation/composite.hpp"
#include "ctxflow/propagation/text_map.hpp"
#include "ctxflow/propagation/w3c_baggage.hpp"
#include "ctxflow/propagation/w3c_trace_context.hpp"
#include "propagation/globals_access.hpp"
#include "base/ascii.hpp"

namespace ctxflow::propagation {
namespace {

enum class known : std::uint8_t { tracecontext, baggage, b3, b3multi };

std::shared_ptr<const text_map_propagator> make(known k) {
  switch (k) {
    case known::tracecontext: return std::make_shared<const w3c_trace_context_propagator>();
    case known::baggage: return std::make_shared<const w3c_baggage_propagator>();
    case known::b3: return std::make_shared<const b3_propagator>(b3_encoding::single_header);
    case known::b3multi: return std::make_shared<const b3_propagator>(b3_encoding::multi_header);
  }
  return {};
}

std::shared_ptr<const text_map_propagator> from_env_value(std::string_view csv) {
  std::vector<known> chosen;
  // Entries that name nothing ctxflow can use; reported once the outcome is known.
  struct skipped {
    std::string_view entry;
    bool unsupported;  // a propagator of the specification that ctxflow does not implement
  };
  std::vector<skipped> rejected;
  bool none = false;
  auto add = [&](known k) {
    for (known c : chosen)
      if (c == k) return;  // R5.7: each propagator once
    chosen.push_back(k);
  };
  std::string_view rest = csv;
  while (true) {
    const std::size_t comma = rest.find(',');
    const std::string_view entry = internal::trim_ows(rest.substr(0, comma));
    if (!entry.empty()) {
      if (detail::iequals(entry, "tracecontext")) {
        add(known::tracecontext);
      } else if (detail::iequals(entry, "baggage")) {
        add(known::baggage);
      } else if (detail::iequals(entry, "b3")) {
        add(known::b3);
      } else if (detail::iequals(entry, "b3multi")) {
        add(known::b3multi);
      } else if (detail::iequals(entry, "none")) {
        none = true;
      } else {
        rejected.push_back({entry, detail::iequals(entry, "jaeger") ||
                                       detail::iequals(entry, "xray") ||
                                       detail::iequals(entry, "ottrace")});
      }
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  // Nothing usable and no `none` (an empty value, only unknown entries): the default.
  const bool fallback = chosen.empty() && !none;
  const char* outcome = fallback ? "no usable propagator is left, so the default "
                                   "'tracecontext,baggage' is used"
                                 : "skipped";
  for (const skipped& r : rejected) {
    const int n = static_cast<int>(r.entry.size() > 64 ? 64 : r.entry.size());
    if (r.unsupported) {
      reportf(severity::warning, "propagation.env.unsupported",
              "OTEL_PROPAGATORS: '%.*s' is not supported by ctxflow; %s", n, r.entry.data(),
              outcome);
    } else {
      reportf(severity::warning, "propagation.env.unknown",
              "OTEL_PROPAGATORS: unknown propagator '%.*s'; %s", n, r.entry.data(), outcome);
    }
  }
  if (fallback) {
    add(known::tracecontext);
    add(known::baggage);
  }
  if (none) {
    if (!chosen.empty())
      report(severity::warning, "propagation.env.none_with_others",
             "OTEL_PROPAGATORS: 'none' is listed with other propagators; no propagator is used");
    return detail::globals().noop;
  }
  if (chosen.size() == 1) return make(chosen[0]);
  std::vector<composite_propagator::pointer> list;
  for (known k : chosen) list.push_back(make(k));
  return std::make_shared<const composite_propagator>(std::move(list));
}

}  // namespace

std::shared_ptr<const text_map_propagator> global_propagator() noexcept {
  auto& g = detail::globals();
  {
    std::lock_guard lock(g.mu);
    if (g.global) return g.global;
  }
  static_assert(std::is_nothrow_copy_constructible_v<std::shared_ptr<const text_map_propagator>>);
  return g.noop;
}

void set_global_propagator(std::shared_ptr<const text_map_propagator> p) noexcept {
  auto& g = detail::globals();
  std::shared_ptr<const text_map_propagator> previous;
  {
    std::lock_guard lock(g.mu);
    previous = std::exchange(g.global, std::move(p));
  }
  // `previous` is released outside the lock: its destructor may run user code.
}

std::shared_ptr<const text_map_propagator> propagator_from_env_value(std::string_view csv) noexcept {
  std::shared_ptr<const text_map_propagator> out;
  CTXFLOW_TRY {
    out = from_env_value(csv);
  } CTXFLOW_CATCH_ALL {
    report(severity::error, "propagation.alloc_failed", "building the propagator failed");
  }
  return out ? out : detail::globals().noop;
}

std::shared_ptr<const text_map_propagator> propagator_from_environment() noexcept {
  const char* v = std::getenv("OTEL_PROPAGATORS");
  return propagator_from_env_value(v ? std::string_view(v) : std::string_view());
}

}  // namespace ctxflow::propagation
