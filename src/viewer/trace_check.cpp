// SPDX-License-Identifier: Apache-2.0
// check_traces: the structural checks of `ctxflow view --check`.
#include "ctxflow/viewer/trace_check.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <utility>

#include "ctxflow/exporters/console_exporter.hpp"

namespace ctxflow::viewer {
namespace {

using trace_key = std::array<std::uint8_t, 16>;
using span_key = std::array<std::uint8_t, 8>;

template <std::size_t N>
std::string hex(const trace::detail::id_bytes<N>& id) {
  const auto h = id.to_hex();
  return std::string(h.data(), h.size());
}


// The span's name in quotes, control characters shown as `?`.
std::string quoted(const sdk::span_data& s) {
  std::string out = "\"";
  for (char ch : s.name) {
    const auto c = static_cast<unsigned char>(ch);
    out += (c < 0x20 || c == 0x7F) ? '?' : ch;
  }
  out += '"';
  return out;
}

// `<span id> ("<name>")`, for a span other than the one a problem is about.
std::string describe(const sdk::span_data& s) {
  return hex(s.context.span) + " (" + quoted(s) + ")";
}

std::string amount(std::uint64_t ns) { return exporters::format_duration(ns, /*ascii=*/true); }

bool span_before(const sdk::span_data* a, const sdk::span_data* b) noexcept {
  if (a->start_time_unix_nano != b->start_time_unix_nano)
    return a->start_time_unix_nano < b->start_time_unix_nano;
  return a->context.span.bytes < b->context.span.bytes;
}

struct trace_group {
  trace_key id{};
  std::uint64_t start = 0;
  std::vector<const sdk::span_data*> spans;
};

void check_one(const trace_group& t, const std::map<span_key, trace_key>& owner_elsewhere,
               const check_options& o, std::vector<trace_problem>& out) {
  trace::trace_id tid;
  tid.bytes = t.id;
  auto problem = [&](const trace::span_id& span, std::string reason) {
    out.push_back({tid, span, std::move(reason)});
  };

  std::map<span_key, std::vector<const sdk::span_data*>> by_id;
  for (const sdk::span_data* s : t.spans) by_id[s->context.span.bytes].push_back(s);

  const sdk::span_data* first_root = nullptr;
  std::size_t roots = 0;
  for (const sdk::span_data* s : t.spans) {
    if (s->end_time_unix_nano < s->start_time_unix_nano)
      problem(s->context.span, "span " + quoted(*s) + " ends " +
                                   amount(s->start_time_unix_nano - s->end_time_unix_nano) +
                                   " before it starts");
    const auto& same = by_id[s->context.span.bytes];
    if (same.size() > 1 && same.front() == s)
      problem(s->context.span, "span id " + hex(s->context.span) + " is used by " +
                                   std::to_string(same.size()) + " spans of the trace");

    if (!s->parent_span_id.valid()) {
      ++roots;
      if (first_root == nullptr) {
        first_root = s;
      } else {
        problem(s->context.span, "span " + quoted(*s) +
                                     " is another root: the trace already has root " +
                                     describe(*first_root));
      }
      continue;
    }
    auto parent_it = by_id.find(s->parent_span_id.bytes);
    if (parent_it == by_id.end()) {
      auto elsewhere = owner_elsewhere.find(s->parent_span_id.bytes);
      if (elsewhere != owner_elsewhere.end()) {
        trace::trace_id other;
        other.bytes = elsewhere->second;
        problem(s->context.span, "span " + quoted(*s) + " has parent " +
                                     hex(s->parent_span_id) + ", a span of another trace, " +
                                     hex(other));
      } else {
        problem(s->context.span, "span " + quoted(*s) + " is an orphan: its " +
                                     (s->parent_is_remote ? "remote " : "") + "parent " +
                                     hex(s->parent_span_id) + " is not in the trace");
      }
      continue;
    }
    const sdk::span_data& p = *parent_it->second.front();
    if (&p == s) {
      problem(s->context.span, "span " + quoted(*s) + " is its own parent");
      continue;
    }
    if (p.start_time_unix_nano > s->start_time_unix_nano &&
        p.start_time_unix_nano - s->start_time_unix_nano > o.skew_tolerance_ns)
      problem(s->context.span,
              "span " + quoted(*s) + " starts " +
                  amount(p.start_time_unix_nano - s->start_time_unix_nano) +
                  " before its parent " + describe(p) + " starts (tolerance " +
                  amount(o.skew_tolerance_ns) + ")");
    if (s->end_time_unix_nano > p.end_time_unix_nano &&
        s->end_time_unix_nano - p.end_time_unix_nano > o.skew_tolerance_ns)
      problem(s->context.span,
              "span " + quoted(*s) + " ends " +
                  amount(s->end_time_unix_nano - p.end_time_unix_nano) + " after its parent " +
                  describe(p) + " ends (tolerance " + amount(o.skew_tolerance_ns) + ")");
  }
  if (roots == 0) problem(trace::span_id{}, "the trace has no root span (a span without a parent)");
}

}  // namespace

std::vector<trace_problem> check_traces(std::span<const sdk::span_data> spans,
                                        const check_options& options) {
  std::map<trace_key, trace_group> groups;
  std::map<span_key, std::vector<trace_key>> traces_of_span;
  for (const sdk::span_data& s : spans) {
    trace_group& g = groups[s.context.trace.bytes];
    if (g.spans.empty() || s.start_time_unix_nano < g.start) g.start = s.start_time_unix_nano;
    g.id = s.context.trace.bytes;
    g.spans.push_back(&s);
    auto& owners = traces_of_span[s.context.span.bytes];
    if (std::find(owners.begin(), owners.end(), g.id) == owners.end())
      owners.push_back(g.id);
  }
  std::vector<trace_group*> order;
  for (auto& entry : groups) {
    std::sort(entry.second.spans.begin(), entry.second.spans.end(), span_before);
    order.push_back(&entry.second);
  }
  std::stable_sort(order.begin(), order.end(), [](const trace_group* a, const trace_group* b) {
    return a->start < b->start;
  });

  std::vector<trace_problem> out;
  for (const trace_group* t : order) {
    // Span ids of the other traces, for telling "parent in another trace" from an orphan.
    std::map<span_key, trace_key> elsewhere;
    for (const sdk::span_data* s : t->spans) {
      if (!s->parent_span_id.valid()) continue;
      auto it = traces_of_span.find(s->parent_span_id.bytes);
      if (it == traces_of_span.end()) continue;
      for (const trace_key& owner : it->second)
        if (owner != t->id) {
          elsewhere.emplace(s->parent_span_id.bytes, owner);
          break;
        }
    }
    check_one(*t, elsewhere, options, out);
  }
  return out;
}

std::string to_string(const trace_problem& problem) {
  std::string out = "trace " + hex(problem.trace);
  if (problem.span.valid()) out += " span " + hex(problem.span);
  out += ": ";
  out += problem.reason;
  return out;
}

}  // namespace ctxflow::viewer
