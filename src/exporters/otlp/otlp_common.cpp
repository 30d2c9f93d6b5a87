// SPDX-License-Identifier: Apache-2.0
// Grouping of an export batch into ResourceSpans and ScopeSpans (R8.3), shared by the protobuf
// and JSON encoders.
#include "otlp_common.hpp"

#include <algorithm>
#include <numeric>

namespace ctxflow::exporters::otlp::detail {
namespace {

bool same_resource(const sdk::resource* a, const sdk::resource* b) noexcept {
  if (a == b) return true;
  if (a == nullptr || b == nullptr) return false;
  return a->schema_url == b->schema_url && a->attributes == b->attributes;
}

bool same_scope(const sdk::instrumentation_scope* a,
                const sdk::instrumentation_scope* b) noexcept {
  if (a == b) return true;
  if (a == nullptr || b == nullptr) return false;
  return a->name == b->name && a->version == b->version && a->schema_url == b->schema_url &&
         a->attributes == b->attributes;
}

}  // namespace

void group_batch(std::span<const sdk::span_data* const> batch, grouped_batch& g) {
  g.resources.clear();
  g.scopes.clear();
  g.spans.clear();
  g.key_of_span.clear();
  g.key_resource.clear();
  g.key_scope.clear();
  g.key_count.clear();

  // Pass 1: a key (resource group, scope) per span, keys in order of first appearance.
  std::vector<const sdk::resource*>& distinct = g.distinct_resources;
  distinct.clear();
  std::uint32_t last_key = UINT32_MAX;
  const sdk::resource* last_res = nullptr;
  const sdk::instrumentation_scope* last_scope = nullptr;
  for (const sdk::span_data* s : batch) {
    if (s == nullptr) {
      g.key_of_span.push_back(UINT32_MAX);
      continue;
    }
    const sdk::resource* res = s->resource_ptr.get();
    const sdk::instrumentation_scope* sc = s->scope_ptr.get();
    if (last_key != UINT32_MAX && res == last_res && sc == last_scope) {
      g.key_of_span.push_back(last_key);
      ++g.key_count[last_key];
      continue;
    }
    std::uint32_t r = 0;
    while (r < distinct.size() && !same_resource(distinct[r], res)) ++r;
    if (r == distinct.size()) distinct.push_back(res);
    std::uint32_t k = 0;
    while (k < g.key_scope.size() &&
           !(g.key_resource[k] == r && same_scope(g.key_scope[k], sc)))
      ++k;
    if (k == g.key_scope.size()) {
      g.key_resource.push_back(r);
      g.key_scope.push_back(sc);
      g.key_count.push_back(0);
    }
    ++g.key_count[k];
    g.key_of_span.push_back(k);
    last_key = k;
    last_res = res;
    last_scope = sc;
  }
  const auto nkeys = static_cast<std::uint32_t>(g.key_scope.size());
  if (nkeys == 0) return;

  // Pass 2: order the keys by resource (stable), then lay out spans by counting sort.
  std::vector<std::uint32_t>& order = g.key_order;
  order.resize(nkeys);
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return g.key_resource[a] < g.key_resource[b];
  });
  std::vector<std::uint32_t>& start = g.key_start;
  start.assign(nkeys, 0);
  std::uint32_t pos = 0;
  for (std::uint32_t i = 0; i < nkeys; ++i) {
    const std::uint32_t k = order[i];
    start[k] = pos;
    const std::uint32_t r = g.key_resource[k];
    if (i == 0 || g.key_resource[order[i - 1]] != r) {
      g.resources.push_back({distinct[r], i, i});
    }
    g.scopes.push_back({g.key_scope[k], pos, pos + g.key_count[k]});
    g.resources.back().scope_end = i + 1;
    pos += g.key_count[k];
  }
  g.spans.resize(pos);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const std::uint32_t k = g.key_of_span[i];
    if (k == UINT32_MAX) continue;
    g.spans[start[k]++] = batch[i];
  }
}

}  // namespace ctxflow::exporters::otlp::detail
