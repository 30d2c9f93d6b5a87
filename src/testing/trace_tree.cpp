// SPDX-License-Identifier: Apache-2.0
// trace_tree: indexing, printing and the structural checks.
#include "ctxflow/testing/trace_tree.hpp"

#include <algorithm>
#include <numeric>

namespace ctxflow::testing {
namespace {

template <std::size_t N>
std::string hex(const trace::detail::id_bytes<N>& id) {
  const auto h = id.to_hex();
  return std::string(h.data(), h.size());
}

std::string quoted(std::string_view s) {
  std::string out = "\"";
  out += s;
  out += '"';
  return out;
}

}  // namespace

trace_tree::trace_tree(std::vector<sdk::span_data> spans) : spans_(std::move(spans)) {
  by_start_.resize(spans_.size());
  std::iota(by_start_.begin(), by_start_.end(), std::size_t{0});
  std::stable_sort(by_start_.begin(), by_start_.end(), [&](std::size_t a, std::size_t b) {
    return spans_[a].start_time_unix_nano < spans_[b].start_time_unix_nano;
  });
  for (std::size_t i = 0; i < spans_.size(); ++i)
    by_id_.emplace(key{spans_[i].context.trace.bytes, spans_[i].context.span.bytes}, i);
}

const sdk::span_data* trace_tree::find(std::string_view name) const noexcept {
  for (std::size_t i : by_start_)
    if (spans_[i].name == name) return &spans_[i];
  return nullptr;
}

std::vector<const sdk::span_data*> trace_tree::find_all(std::string_view name) const {
  std::vector<const sdk::span_data*> out;
  for (std::size_t i : by_start_)
    if (spans_[i].name == name) out.push_back(&spans_[i]);
  return out;
}

std::size_t trace_tree::count(std::string_view name) const noexcept {
  return static_cast<std::size_t>(std::count_if(
      spans_.begin(), spans_.end(), [&](const sdk::span_data& s) { return s.name == name; }));
}

const sdk::span_data* trace_tree::parent_of(const sdk::span_data& s) const noexcept {
  if (!s.parent_span_id.valid()) return nullptr;
  auto it = by_id_.find(key{s.context.trace.bytes, s.parent_span_id.bytes});
  if (it == by_id_.end() || &spans_[it->second] == &s) return nullptr;
  return &spans_[it->second];
}

std::vector<const sdk::span_data*> trace_tree::children_of(const sdk::span_data& s) const {
  std::vector<const sdk::span_data*> out;
  for (std::size_t i : by_start_)
    if (parent_of(spans_[i]) == &s) out.push_back(&spans_[i]);
  return out;
}

std::vector<const sdk::span_data*> trace_tree::roots() const {
  std::vector<const sdk::span_data*> out;
  for (std::size_t i : by_start_) {
    const sdk::span_data& s = spans_[i];
    if (parent_of(s) == nullptr && (!s.parent_span_id.valid() || s.parent_is_remote))
      out.push_back(&s);
  }
  return out;
}

std::vector<const sdk::span_data*> trace_tree::orphans() const {
  std::vector<const sdk::span_data*> out;
  for (std::size_t i : by_start_) {
    const sdk::span_data& s = spans_[i];
    if (s.parent_span_id.valid() && !s.parent_is_remote && parent_of(s) == nullptr)
      out.push_back(&s);
  }
  return out;
}

std::vector<trace::trace_id> trace_tree::trace_ids() const {
  std::vector<trace::trace_id> out;
  for (const sdk::span_data& s : spans_)
    if (std::find(out.begin(), out.end(), s.context.trace) == out.end())
      out.push_back(s.context.trace);
  return out;
}

std::string trace_tree::to_string(const exporters::render_options& options) const {
  return exporters::render_tree(std::span<const sdk::span_data>(spans_), options);
}

std::string trace_tree::waterfall(const exporters::render_options& options) const {
  return exporters::render_waterfall(std::span<const sdk::span_data>(spans_), options);
}

std::string trace_tree::describe(const sdk::span_data& s) const {
  return quoted(s.name) + " #" + hex(s.context.span);
}

check_result trace_tree::failure(std::string why) const {
  exporters::render_options o;
  o.show_ids = true;
  why += "\nrecorded spans (";
  why += std::to_string(spans_.size());
  why += "):\n";
  why += spans_.empty() ? std::string("  (none)\n") : to_string(o);
  return check_result::fail(std::move(why));
}

check_result trace_tree::all_in_one_trace() const {
  if (spans_.empty()) return failure("expected all spans in one trace, but no span was recorded");
  const auto ids = trace_ids();
  if (ids.size() == 1) return check_result::pass();
  std::string why =
      "expected all spans in one trace, found " + std::to_string(ids.size()) + " traces:";
  for (const auto& id : ids) why += " " + hex(id);
  return failure(std::move(why));
}

check_result trace_tree::child_of(std::string_view child, std::string_view parent) const {
  const auto children = find_all(child);
  if (children.empty())
    return failure("expected " + quoted(child) + " to be a child of " + quoted(parent) +
                   ", but no span is called " + quoted(child));
  for (const sdk::span_data* c : children) {
    const sdk::span_data* p = parent_of(*c);
    if (p && p->name == parent) continue;
    std::string why = "expected every " + quoted(child) + " to be a child of " + quoted(parent) +
                      ", but " + describe(*c);
    if (p) {
      why += " has parent " + describe(*p);
    } else if (!c->parent_span_id.valid()) {
      why += " is a root";
    } else if (c->parent_is_remote) {
      why += " has the remote parent #" + hex(c->parent_span_id) + ", which was not recorded";
    } else {
      why += " names the parent #" + hex(c->parent_span_id) + ", which was not recorded";
    }
    return failure(std::move(why));
  }
  return check_result::pass();
}

check_result trace_tree::has_link(std::string_view from, std::string_view to) const {
  const auto sources = find_all(from);
  const auto targets = find_all(to);
  if (sources.empty())
    return failure("expected " + quoted(from) + " to link to " + quoted(to) +
                   ", but no span is called " + quoted(from));
  if (targets.empty())
    return failure("expected " + quoted(from) + " to link to " + quoted(to) +
                   ", but no span is called " + quoted(to));
  for (const sdk::span_data* s : sources) {
    const bool linked = std::any_of(s->links.begin(), s->links.end(), [&](const sdk::span_link& l) {
      return std::any_of(targets.begin(), targets.end(), [&](const sdk::span_data* t) {
        return l.context.trace == t->context.trace && l.context.span == t->context.span;
      });
    });
    if (linked) continue;
    std::string why =
        "expected every " + quoted(from) + " to link to a " + quoted(to) + ", but " + describe(*s);
    if (s->links.empty()) {
      why += " has no links";
    } else {
      why += " links only to";
      for (const sdk::span_link& l : s->links)
        why += " " + hex(l.context.trace) + "/" + hex(l.context.span);
    }
    return failure(std::move(why));
  }
  return check_result::pass();
}

check_result trace_tree::no_orphans() const {
  const auto missing = orphans();
  if (!missing.empty()) {
    std::string why =
        "expected no orphan spans, found " + std::to_string(missing.size()) + " orphan(s):";
    for (const sdk::span_data* s : missing)
      why += " " + describe(*s) + " (parent #" + hex(s->parent_span_id) + " not recorded)";
    return failure(std::move(why));
  }
  // A span whose ancestors never reach a root sits on a parent cycle. Spans known to reach a
  // root are remembered, so the walk is linear overall.
  std::vector<bool> reaches_root(spans_.size(), false);
  std::vector<std::size_t> path;
  for (std::size_t i = 0; i < spans_.size(); ++i) {
    path.clear();
    std::size_t at = i;
    while (!reaches_root[at]) {
      path.push_back(at);
      if (path.size() > spans_.size())
        return failure("expected no orphan spans, but " + describe(spans_[i]) +
                       " is on a parent cycle");
      const sdk::span_data* p = parent_of(spans_[at]);
      if (!p) break;
      at = static_cast<std::size_t>(p - spans_.data());
    }
    for (std::size_t j : path) reaches_root[j] = true;
  }
  return check_result::pass();
}

check_result trace_tree::count_is(std::string_view name, std::size_t expected) const {
  const std::size_t n = count(name);
  if (n == expected) return check_result::pass();
  return failure("expected " + std::to_string(expected) + " span(s) called " + quoted(name) +
                 ", found " + std::to_string(n));
}

check_result trace_tree::has_span(std::string_view name) const {
  if (find(name)) return check_result::pass();
  return failure("expected a span called " + quoted(name) + ", found none");
}

check_result trace_tree::same_trace(std::string_view a, std::string_view b) const {
  auto spans = find_all(a);
  const auto more = find_all(b);
  if (spans.empty() || more.empty())
    return failure("expected " + quoted(a) + " and " + quoted(b) +
                   " in the same trace, but no span is called " + quoted(spans.empty() ? a : b));
  spans.insert(spans.end(), more.begin(), more.end());
  for (const sdk::span_data* s : spans) {
    if (s->context.trace == spans.front()->context.trace) continue;
    return failure("expected " + quoted(a) + " and " + quoted(b) + " in the same trace, but " +
                   describe(*spans.front()) + " is in trace " + hex(spans.front()->context.trace) +
                   " and " + describe(*s) + " in trace " + hex(s->context.trace));
  }
  return check_result::pass();
}

}  // namespace ctxflow::testing
