// SPDX-License-Identifier: Apache-2.0
// The header-list path: the built-in propagators walk a carrier that is an array of
// std::pair<std::string, std::string> themselves (carrier_getter::string_pairs,
// carrier_setter::string_pair_list) instead of calling through the carrier interface. Whatever
// the input, they must read and write exactly what the interface path does, which the same
// fields in a std::deque (a carrier without the header-list path) go through.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ctxflow/propagation/baggage.hpp"
#include "ctxflow/propagation/composite.hpp"
#include "ctxflow/propagation/propagator.hpp"
#include "ctxflow/propagation/text_map.hpp"
#include "ctxflow/propagation/w3c_baggage.hpp"
#include "ctxflow/propagation/w3c_trace_context.hpp"
#include "ctxflow/testing/diagnostics_capture.hpp"
#include "ctxflow/trace/span.hpp"
#include "test_support.hpp"

namespace ctxflow::propagation {
namespace {

using list = std::vector<string_pair>;
using generic = std::deque<string_pair>;

// A text map of the user's for header lists: exact, case-sensitive names.
struct exact_names_text_map {
  std::optional<std::string_view> get(const list& c, std::string_view key) const {
    for (const auto& [k, v] : c)
      if (k == key) return std::string_view(v);
    return std::nullopt;
  }
  void keys(const list& c, string_visitor each) const {
    for (const auto& f : c)
      if (!each(f.first)) return;
  }
  void set(list& c, std::string_view key, std::string_view value) const {
    c.emplace_back(key, value);
  }
};

// tracecontext and baggage together, as the global propagator is usually set up.
const composite_propagator& w3c() {
  static const composite_propagator prop({std::make_shared<w3c_trace_context_propagator>(),
                                          std::make_shared<w3c_baggage_propagator>()});
  return prop;
}

// What an extract found, and what it reported, as text that two runs can be compared on.
struct extracted {
  std::string span;
  std::string tracestate;
  std::vector<std::string> baggage;
  std::vector<std::string> reports;
  bool operator==(const extracted&) const = default;
};

template <class Carrier>
extracted extract_from(const Carrier& carrier) {
  ctxflow::testing::diagnostics_capture capture;
  const context ctx = extract(w3c(), context(), carrier);
  extracted out;
  const trace::span_context sc = trace::span_context_from(ctx);
  if (sc.valid()) {
    out.span = testing::hex(sc.trace) + "-" + testing::hex(sc.span) + "-" +
               std::to_string(sc.flags.value);
    out.tracestate = std::string(sc.state.header());
  }
  for (const baggage::entry& e : baggage::from(ctx).get_all())
    out.baggage.push_back(std::string(e.name) + "=" + std::string(e.value) + ";" +
                          std::string(e.metadata));
  std::sort(out.baggage.begin(), out.baggage.end());
  for (const auto& r : capture.records()) out.reports.push_back(r.code + ": " + r.message);
  return out;
}

const std::string valid_parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
const std::string other_parent = "00-11111111111111111111111111111111-2222222222222222-00";

// Carriers that exercise every branch of a look-up: names in other capitals, names of the
// right length that differ, duplicates, values split over fields, invalid values, nothing.
std::vector<list> extract_cases() {
  return {
      {{"host", "a"}, {"traceparent", valid_parent}},
      {{"TraceParent", valid_parent}, {"TRACESTATE", "a=1,b=2"}},
      {{"traceparenT", valid_parent}, {"tracestate", "a=1"}, {"Tracestate", "b=2,c=3"}},
      {{"traceparent", valid_parent}, {"traceparent", other_parent}},
      {{"traceparent", valid_parent}, {"tracestate", "a=1,=bad"}},
      {{"traceparent", "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01"}},
      {{"traceparent", "garbage"}, {"tracestate", "a=1"}},
      {{"traceparenx", valid_parent}, {"tracestatf", "a=1"}, {"traceparent-", valid_parent}},
      {{"baggage", "k1=v1,k2=v2;meta"}, {"BAGGAGE", "k3=v%203"}},
      {{"baggage", "k1=v1,bad key=x"}, {"traceparent", valid_parent}},
      {{"content-type", "application/json"}, {"x-12345678901", "y"}},
      {},
  };
}

TEST(HeaderListPath, GetterRefExposesTheFieldsOfVectorsArraysAndSpansOfStringPairsOnly) {
  const list v = {{"a", "1"}, {"b", "2"}};
  const std::array<string_pair, 2> a = {string_pair{"a", "1"}, string_pair{"b", "2"}};
  const std::span<const string_pair> s(v);
  const generic d(v.begin(), v.end());
  const std::map<std::string, std::string> m = {{"a", "1"}};
  const std::vector<std::pair<std::string_view, std::string_view>> views = {{"a", "1"}};

  EXPECT_EQ(getter_ref<list>(v).string_pairs().data(), v.data());
  EXPECT_EQ(getter_ref<list>(v).string_pairs().size(), 2u);
  EXPECT_EQ(getter_ref<decltype(a)>(a).string_pairs().data(), a.data());
  EXPECT_EQ(getter_ref<decltype(s)>(s).string_pairs().data(), v.data());
  EXPECT_TRUE(getter_ref<generic>(d).string_pairs().empty());
  EXPECT_TRUE(getter_ref<decltype(m)>(m).string_pairs().empty());
  EXPECT_TRUE(getter_ref<decltype(views)>(views).string_pairs().empty());
  // A text map other than the default one reads the list its own way: no header-list path.
  EXPECT_TRUE((getter_ref<list, exact_names_text_map>(v).string_pairs().empty()));
}

TEST(HeaderListPath, SetterRefExposesOnlyAVectorOfStringPairsWrittenWithTheDefaultTextMap) {
  list v;
  generic d;
  std::map<std::string, std::string> m;
  EXPECT_EQ(setter_ref<list>(v).string_pair_list(), &v);
  EXPECT_EQ(setter_ref<generic>(d).string_pair_list(), nullptr);
  EXPECT_EQ(setter_ref<decltype(m)>(m).string_pair_list(), nullptr);
  EXPECT_EQ((setter_ref<list, exact_names_text_map>(v).string_pair_list()), nullptr);
}

TEST(HeaderListPath, ExtractFindsAndReportsTheSameFromAHeaderListAsThroughTheCarrierInterface) {
  int valid_spans = 0, with_baggage = 0, with_reports = 0;
  for (const list& fields : extract_cases()) {
    const extracted direct = extract_from(fields);
    const extracted through_interface = extract_from(generic(fields.begin(), fields.end()));
    std::string shown;
    for (const auto& [k, v] : fields) shown += k + ": " + v + "\n";
    EXPECT_EQ(direct, through_interface) << shown;
    valid_spans += !direct.span.empty();
    with_baggage += !direct.baggage.empty();
    with_reports += !direct.reports.empty();
  }
  // The cases reach every outcome, so the comparison above is not of empty results.
  EXPECT_EQ(valid_spans, 5);
  EXPECT_EQ(with_baggage, 2);
  EXPECT_GE(with_reports, 4);
  const extracted split = extract_from(list{
      {"traceparenT", valid_parent}, {"tracestate", "a=1"}, {"Tracestate", "b=2,c=3"}});
  EXPECT_EQ(split.span, "0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1");
  EXPECT_EQ(split.tracestate, "a=1,b=2,c=3");
}

TEST(HeaderListPath, InjectWritesTheSameFieldsIntoAHeaderListAsThroughTheCarrierInterface) {
  trace::span_context sc = testing::make_span_context();
  sc.state = trace::trace_state().set("vendor", "x").set("other", "y");
  context ctx = testing::context_with(sc);
  ctx = with_baggage(ctx, baggage().set("user", "alice").set("tier", "gold"));
  const std::vector<list> before = {
      {},
      {{"host", "a"}},
      {{"Traceparent", "old"}, {"host", "a"}, {"TRACEPARENT", "older"}, {"tracestate", "z=1"}},
      {{"traceparent", valid_parent}, {"baggage", "old=1"}, {"Baggage", "older=2"}},
      {{"traceparenx", "keep"}, {"tracestatf", "keep"}},
      // A value of the right size under a name in other capitals: folded through the interface.
      {{"TraceParent", valid_parent}, {"host", "a"}},
      // Two of the right size, spelled alike or not: deduplicated through the interface.
      {{"traceparent", valid_parent}, {"host", "a"}, {"traceparent", valid_parent}},
      {{"traceparent", valid_parent}, {"TRACEPARENT", valid_parent}},
      // The reused carrier: written over in place, a stale tracestate replaced.
      {{"host", "a"}, {"traceparent", valid_parent}, {"tracestate", "z=1"}},
  };
  for (const list& start : before) {
    list direct = start;
    generic through_interface(start.begin(), start.end());
    inject(w3c(), ctx, direct);
    inject(w3c(), ctx, through_interface);
    EXPECT_EQ(direct, list(through_interface.begin(), through_interface.end()));
    EXPECT_EQ(std::count_if(direct.begin(), direct.end(),
                            [](const string_pair& f) { return detail::iequals(f.first, "traceparent"); }),
              1);
  }
  list fields = {{"Traceparent", "old"}, {"host", "a"}};
  inject(w3c(), ctx, fields);
  EXPECT_EQ(fields[0], (string_pair{"Traceparent", "00-" + std::string(testing::trace_hex) + "-" +
                                                       std::string(testing::span_hex) + "-01"}));
  EXPECT_EQ(testing::header(fields, "tracestate"), "other=y,vendor=x");
}

}  // namespace
}  // namespace ctxflow::propagation
