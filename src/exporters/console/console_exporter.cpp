// SPDX-License-Identifier: Apache-2.0
// console_exporter: holds spans per trace until the trace's local root ends, then prints the
// trace with the shared renderers.
#include "ctxflow/exporters/console_exporter.hpp"

#include <algorithm>
#include <utility>

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/macros.hpp"
#include "span_rendering.hpp"

namespace ctxflow::exporters {
namespace {

// How many printed trace ids are remembered to recognise late spans of a printed trace.
constexpr std::size_t printed_memory = 256;

bool is_local_root(const sdk::span_data& s) noexcept {
  return !s.parent_span_id.valid() || s.parent_is_remote;
}

}  // namespace

console_exporter::console_exporter(console_exporter_options options) noexcept
    : options_(std::move(options)) {
  if (options_.out == nullptr) options_.out = stdout;
}

console_exporter::~console_exporter() = default;

bool console_exporter::write_locked(const std::string& text) {
  if (text.empty()) return true;
  const bool ok = std::fwrite(text.data(), 1, text.size(), options_.out) == text.size() &&
                  std::fflush(options_.out) == 0;
  if (!ok)
    report(severity::warning, "exporters.console.write_failed",
           "console_exporter: writing to the output stream failed");
  return ok;
}

bool console_exporter::print_locked(const trace_key& key, pending_trace& trace, bool continued) {
  std::vector<const sdk::span_data*> ptrs;
  ptrs.reserve(trace.spans.size());
  for (const sdk::span_data& s : trace.spans) ptrs.push_back(&s);
  const auto forest = detail::build_forest(ptrs, options_.render.nest_remote_children);
  const auto missing =
      continued ? detail::missing_parent::continuation : detail::missing_parent::orphan;
  std::string text;
  if (options_.layout != console_layout::waterfall)
    text += detail::render_tree_rows(forest, options_.render, missing);
  if (options_.layout != console_layout::tree)
    text += detail::render_waterfall_rows(forest, options_.render, missing);

  if (printed_.size() < printed_memory) {
    printed_.push_back(key);
  } else {
    printed_[printed_next_] = key;
    printed_next_ = (printed_next_ + 1) % printed_memory;
  }
  return write_locked(text);
}

sdk::export_result console_exporter::export_spans(
    std::span<const sdk::span_data* const> batch) noexcept {
  std::lock_guard lock(mu_);
  if (shut_down_) return sdk::export_result::failure;
  bool ok = true;
  CTXFLOW_TRY {
    const auto now = std::chrono::steady_clock::now();
    std::vector<trace_key> complete;
    std::map<trace_key, pending_trace> late;  // spans of traces printed before
    for (const sdk::span_data* s : batch) {
      if (!s) continue;
      const trace_key& key = s->context.trace.bytes;
      if (!pending_.contains(key) &&
          std::find(printed_.begin(), printed_.end(), key) != printed_.end()) {
        late[key].spans.push_back(*s);
        continue;
      }
      auto [it, inserted] = pending_.try_emplace(key);
      if (inserted) {
        it->second.first_arrival = now;
        it->second.order = next_order_++;
      }
      it->second.spans.push_back(*s);
      ++buffered_;
      if (is_local_root(*s) && std::find(complete.begin(), complete.end(), key) == complete.end())
        complete.push_back(key);
    }
    for (const trace_key& key : complete) {
      auto it = pending_.find(key);
      ok = print_locked(key, it->second, false) && ok;
      buffered_ -= it->second.spans.size();
      pending_.erase(it);
    }
    for (auto& [key, trace] : late) ok = print_locked(key, trace, true) && ok;

    // Bounds: print the oldest held traces as they are while too many spans are held or the
    // oldest has waited too long.
    while (!pending_.empty()) {
      auto oldest = std::min_element(
          pending_.begin(), pending_.end(),
          [](const auto& a, const auto& b) { return a.second.order < b.second.order; });
      if (buffered_ <= options_.max_buffered_spans &&
          now - oldest->second.first_arrival < options_.max_buffer_age)
        break;
      ok = print_locked(oldest->first, oldest->second, false) && ok;
      buffered_ -= oldest->second.spans.size();
      pending_.erase(oldest);
    }
  } CTXFLOW_CATCH_ALL {
    report(severity::warning, "exporters.console.alloc_failed",
           "console_exporter: out of memory; the batch was not printed");
    return sdk::export_result::failure;
  }
  return ok ? sdk::export_result::success : sdk::export_result::failure;
}

bool console_exporter::flush_locked() {
  bool ok = true;
  CTXFLOW_TRY {
    std::vector<std::pair<std::uint64_t, trace_key>> order;
    for (const auto& [key, trace] : pending_) order.emplace_back(trace.order, key);
    std::sort(order.begin(), order.end());
    for (const auto& [o, key] : order) ok = print_locked(key, pending_[key], false) && ok;
  } CTXFLOW_CATCH_ALL {
    ok = false;
  }
  pending_.clear();
  buffered_ = 0;
  return ok;
}

bool console_exporter::force_flush(std::chrono::milliseconds timeout) noexcept {
  (void)timeout;
  std::lock_guard lock(mu_);
  return flush_locked();
}

bool console_exporter::shutdown(std::chrono::milliseconds timeout) noexcept {
  (void)timeout;
  std::lock_guard lock(mu_);
  if (shut_down_) return true;
  shut_down_ = true;
  return flush_locked();
}

}  // namespace ctxflow::exporters
