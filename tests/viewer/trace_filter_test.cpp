// SPDX-License-Identifier: Apache-2.0
// Trace selection: whole traces are kept by id prefix, service, name, duration and errors;
// durations and trace-id prefixes are parsed strictly.
#include "ctxflow/viewer/trace_filter.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "exporters/span_builder.hpp"

namespace ctxflow::viewer {
namespace {

using test::span_builder;

constexpr std::uint64_t ms = 1'000'000;

std::shared_ptr<const sdk::resource> service(std::string name) {
  auto r = std::make_shared<sdk::resource>();
  r->attributes.push_back({"service.name", std::move(name)});
  return r;
}

// Trace a: 10 ms, services front and back, an error in back. Trace b: 2 ms, service front.
std::vector<sdk::span_data> two_traces() {
  std::vector<sdk::span_data> spans = {
      span_builder("GET /checkout", test::trace_a, "00000000000000a1").times(0, 10 * ms),
      span_builder("charge", test::trace_a, "00000000000000b1")
          .parent("00000000000000a1", true)
          .status(trace::status_code::error, "declined")
          .times(1 * ms, 5 * ms),
      span_builder("cleanup", test::trace_b, "00000000000000c1").times(20 * ms, 22 * ms),
  };
  spans[0].resource_ptr = service("front");
  spans[1].resource_ptr = service("back");
  spans[2].resource_ptr = service("front");
  return spans;
}

std::set<std::string> names(const std::vector<sdk::span_data>& spans) {
  std::set<std::string> out;
  for (const auto& s : spans) out.insert(s.name);
  return out;
}

const std::set<std::string> trace_a_names = {"GET /checkout", "charge"};
const std::set<std::string> trace_b_names = {"cleanup"};
const std::set<std::string> all_names = {"GET /checkout", "charge", "cleanup"};

TEST(FilterTraces, KeepsEverythingWithoutFilters) {
  EXPECT_EQ(names(filter_traces(two_traces(), {})), all_names);
}

TEST(FilterTraces, KeepsWholeTracesWithASpanOfTheService) {
  trace_filter f;
  f.service = "back";
  EXPECT_EQ(names(filter_traces(two_traces(), f)), trace_a_names);
  f.service = "front";
  EXPECT_EQ(names(filter_traces(two_traces(), f)), all_names);
  f.service = "nobody";
  EXPECT_TRUE(filter_traces(two_traces(), f).empty());
}

TEST(FilterTraces, KeepsWholeTracesWithASpanNameContainingTheText) {
  trace_filter f;
  f.name_contains = "arg";
  EXPECT_EQ(names(filter_traces(two_traces(), f)), trace_a_names);
  f.name_contains = "Charge";  // case-sensitive
  EXPECT_TRUE(filter_traces(two_traces(), f).empty());
}

TEST(FilterTraces, SelectsByTraceIdOrAPrefixInEitherCase) {
  trace_filter f;
  f.trace_id = std::string(test::trace_b);
  EXPECT_EQ(names(filter_traces(two_traces(), f)), trace_b_names);
  f.trace_id = "4BF9";
  EXPECT_EQ(names(filter_traces(two_traces(), f)), trace_a_names);
  f.trace_id = "ffff";
  EXPECT_TRUE(filter_traces(two_traces(), f).empty());
}

TEST(FilterTraces, SelectsByTraceDurationAndErrors) {
  trace_filter f;
  f.min_duration_ns = 10 * ms;
  EXPECT_EQ(names(filter_traces(two_traces(), f)), trace_a_names);
  f.min_duration_ns = 10 * ms + 1;
  EXPECT_TRUE(filter_traces(two_traces(), f).empty());
  f = {};
  f.errors_only = true;
  EXPECT_EQ(names(filter_traces(two_traces(), f)), trace_a_names);
}

TEST(FilterTraces, RequiresEveryFilterGiven) {
  trace_filter f;
  f.service = "front";
  f.name_contains = "clean";
  EXPECT_EQ(names(filter_traces(two_traces(), f)), trace_b_names);
  f.errors_only = true;
  EXPECT_TRUE(filter_traces(two_traces(), f).empty());
}

TEST(ServiceName, IsTheResourceServiceNameOrEmpty) {
  auto spans = two_traces();
  EXPECT_EQ(service_name(spans[1]), "back");
  spans[1].resource_ptr = nullptr;
  EXPECT_EQ(service_name(spans[1]), "");
}

TEST(IsTraceIdPrefix, AcceptsOneTo32HexDigits) {
  EXPECT_TRUE(is_trace_id_prefix("a"));
  EXPECT_TRUE(is_trace_id_prefix("4BF92f3577b34da6a3ce929d0e0e4736"));
  EXPECT_FALSE(is_trace_id_prefix(""));
  EXPECT_FALSE(is_trace_id_prefix("4bf92f3577b34da6a3ce929d0e0e47360"));
  EXPECT_FALSE(is_trace_id_prefix("4bg9"));
  EXPECT_FALSE(is_trace_id_prefix("0x4b"));
}

std::uint64_t parsed(std::string_view text) {
  std::uint64_t ns = 12345;
  EXPECT_TRUE(parse_duration(text, ns)) << text;
  return ns;
}

TEST(ParseDuration, ReadsEachUnit) {
  EXPECT_EQ(parsed("7ns"), 7u);
  EXPECT_EQ(parsed("250us"), 250'000u);
  EXPECT_EQ(parsed("250\xc2\xb5s"), 250'000u);  // micro sign
  EXPECT_EQ(parsed("250\xce\xbcs"), 250'000u);  // Greek mu
  EXPECT_EQ(parsed("5ms"), 5'000'000u);
  EXPECT_EQ(parsed("2s"), 2'000'000'000u);
  EXPECT_EQ(parsed("0ms"), 0u);
}

TEST(ParseDuration, ReadsFractionsDownToANanosecond) {
  EXPECT_EQ(parsed("1.5s"), 1'500'000'000u);
  EXPECT_EQ(parsed("0.25ms"), 250'000u);
  EXPECT_EQ(parsed("1.000000001s"), 1'000'000'001u);
  EXPECT_EQ(parsed("18446744073709551615ns"), std::numeric_limits<std::uint64_t>::max());
}

TEST(ParseDuration, RejectsGarbageAndLeavesTheValueAlone) {
  for (std::string_view bad :
       {"", "5", "ms", "5 ms", " 5ms", "5ms ", "-5ms", "+5ms", "5m", "5h", "5MS", "5.ms", ".5ms",
        "1.5ns", "0.0001us", "1.0000000001s", "5msx", "1e3ms", "18446744073709551616ns",
        "18446744074s", "99999999999999999999999ms"}) {
    std::uint64_t ns = 42;
    EXPECT_FALSE(parse_duration(bad, ns)) << bad;
    EXPECT_EQ(ns, 42u) << bad;
  }
}

}  // namespace
}  // namespace ctxflow::viewer
