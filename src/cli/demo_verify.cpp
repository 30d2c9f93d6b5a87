// SPDX-License-Identifier: Apache-2.0
// The demo's checks: one trace, no orphans, each span once, and every span under its parent,
// the HTTP and queue hops included.
#include "cli/demo_verify.hpp"

#include <cstdio>
#include <set>
#include <string_view>
#include <utility>
#include <variant>

#include "ctxflow/sdk/resource.hpp"
#include "ctxflow/testing/trace_tree.hpp"

namespace ctxflow::cli {
namespace {

struct expectation {
  const char* child;
  const char* parent;
};

std::string hex_of(const auto& id) {
  auto h = id.to_hex();
  return std::string(h.data(), h.size());
}

/// Each (trace id, span id) once: a span exported twice, or merged twice, fails here.
testing::check_result each_span_once(const testing::trace_tree& tree) {
  std::set<std::string> seen;
  for (const sdk::span_data& s : tree.spans())
    if (!seen.insert(hex_of(s.context.trace) + hex_of(s.context.span)).second)
      return testing::check_result::fail("span `" + s.name + "` (" + hex_of(s.context.span) +
                                         ") appears more than once");
  return testing::check_result::pass();
}

const sdk::span_data* find_span(const testing::trace_tree& tree, std::string_view name,
                                trace::span_kind kind) {
  for (const sdk::span_data* s : tree.find_all(name))
    if (s->kind == kind) return s;
  return nullptr;
}

std::string service_of(const sdk::span_data& s) {
  if (!s.resource_ptr) return {};
  return std::string(sdk::find_string_attribute(*s.resource_ptr, "service.name").value_or(""));
}

/// The HTTP and queue hops: the client span under the order, the payment service's server span
/// under it (after the traceparent crossed the socket), the announcement sent from inside it and
/// processed by the notifier under the send span.
void hop_checks(const testing::trace_tree& tree, std::vector<testing::check_result>& out) {
  const sdk::span_data* order = find_span(tree, "order.place", trace::span_kind::server);
  const sdk::span_data* client = find_span(tree, "POST /payments", trace::span_kind::client);
  const sdk::span_data* server = find_span(tree, "POST /payments", trace::span_kind::server);
  auto parent_is = [&](const sdk::span_data* child, const sdk::span_data* parent,
                       const char* what) {
    if (child == nullptr || parent == nullptr) {
      out.push_back(testing::check_result::fail(std::string("missing span for: ") + what));
    } else if (child->parent_span_id != parent->context.span) {
      out.push_back(testing::check_result::fail(std::string("wrong parent: ") + what));
    } else {
      out.push_back(testing::check_result::pass());
    }
  };
  parent_is(client, order, "the CLIENT span `POST /payments` under order.place");
  parent_is(server, client, "the SERVER span `POST /payments` under the CLIENT span");
  if (server != nullptr && server->parent_is_remote == false)
    out.push_back(testing::check_result::fail("the server span's parent should be remote"));
  if (server != nullptr && service_of(*server) != "payment-service")
    out.push_back(testing::check_result::fail("`POST /payments` should come from payment-service"));
  out.push_back(tree.child_of("payment.authorize", "POST /payments"));
  out.push_back(tree.child_of("send shop.payments", "payment.authorize"));
  out.push_back(tree.child_of("process shop.payments", "send shop.payments"));
  out.push_back(tree.child_of("email.send", "process shop.payments"));
}

}  // namespace

verification verify_trace(std::vector<sdk::span_data> spans, const exporters::render_options& render,
                          bool with_hops) {
  testing::trace_tree tree(std::move(spans));
  std::printf("%s\n", tree.waterfall(render).c_str());

  const expectation parents[] = {
      {"order.validate", "order.place"},  {"inventory.lookup", "order.validate"},
      {"stock.reserve", "order.place"},   {"db.query", "stock.reserve"},
      {"price.compute", "order.place"},   {"fraud.score", "order.place"},
      {"audit.write", "order.place"},     {"receipt.spawn", "order.place"},
      {"receipt.print", "receipt.spawn"},
  };
  std::vector<testing::check_result> checks{tree.all_in_one_trace(), tree.no_orphans(),
                                            each_span_once(tree),
                                            tree.count_is("stock.reserve", 3),
                                            tree.count_is("db.query", 3)};
  for (const auto& e : parents) checks.push_back(tree.child_of(e.child, e.parent));
  if (with_hops) hop_checks(tree, checks);

  verification v;
  v.spans = tree.size();
  v.checks = checks.size();
  for (const auto& c : checks)
    if (!c.passed) v.failures.push_back(c.message);
  const auto ids = tree.trace_ids();
  if (!ids.empty()) v.trace_id = hex_of(ids.front());
  return v;
}

}  // namespace ctxflow::cli
