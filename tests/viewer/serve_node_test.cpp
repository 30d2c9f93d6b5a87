// SPDX-License-Identifier: Apache-2.0
// The official OpenTelemetry JS OTLP/HTTP exporters (pinned in js/package.json, installed by
// the npm ci fixture) send to `ctxflow serve`: every field the JS SDK handed its exporter
// comes back through `GET /api/traces/{id}`, over protobuf and over JSON; and a burst of
// 10,000 spans through the batch processor is stored whole.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <nlohmann/json.hpp>
#include <variant>

#include "viewer/serve_program.hpp"

namespace ctxflow::viewer {
namespace {

using namespace std::chrono_literals;
using testing::hex_of;

const std::string program = CTXFLOW_PROGRAM;
const std::string node = CTXFLOW_NODE_PROGRAM;
const std::string script = std::string(CTXFLOW_JS_DIR) + "/send_spans.js";

/// Runs the JS sender against `port`; the file it wrote, parsed (null when it failed).
nlohmann::json send_with_node(std::uint16_t port, const std::string& protocol, const std::string& out,
                              const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args{script, "--url", "http://127.0.0.1:" + std::to_string(port) + "/v1/traces",
                                "--protocol", protocol, "--out", out};
  args.insert(args.end(), extra.begin(), extra.end());
  const auto r = cli::testing::run_program(node, args, cli::testing::clean_environment(), 120s);
  EXPECT_TRUE(r.exited && r.code == 0) << r.describe();
  std::ifstream f(out);
  if (!f) return nullptr;
  return nlohmann::json::parse(f, nullptr, false);
}

std::string hex(const trace::span_id& id) {
  const auto h = id.to_hex();
  return {h.data(), h.size()};
}

/// The attribute as the sender described it: {"key", "type", "value"}.
sdk::attribute_value expected_value(const nlohmann::json& a) {
  const std::string type = a["type"];
  const auto& v = a["value"];
  if (type == "string") return v.get<std::string>();
  if (type == "bool") return v.get<bool>();
  if (type == "int") return std::int64_t{std::stoll(v.get<std::string>())};
  if (type == "double") return v.get<double>();
  if (type == "string[]") return v.get<std::vector<std::string>>();
  if (type == "bool[]") return v.get<std::vector<bool>>();
  if (type == "double[]") return v.get<std::vector<double>>();
  std::vector<std::int64_t> ints;
  for (const auto& x : v) ints.push_back(std::stoll(x.get<std::string>()));
  return ints;
}

void expect_attributes(const std::string& what, const nlohmann::json& sent,
                       const std::vector<sdk::attribute>& got) {
  ASSERT_EQ(sent.size(), got.size()) << what << ": " << sent.dump();
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].key, sent[i]["key"]) << what;
    EXPECT_TRUE(got[i].value == expected_value(sent[i])) << what << ": " << sent[i].dump();
  }
}

void expect_span(const nlohmann::json& s, const sdk::span_data& g) {
  SCOPED_TRACE(s["name"].get<std::string>());
  EXPECT_EQ(hex_of(g.context.trace), s["traceId"]);
  EXPECT_EQ(g.parent_span_id.valid() ? hex(g.parent_span_id) : std::string(), s["parentSpanId"]);
  EXPECT_EQ(g.name, s["name"]);
  EXPECT_EQ(static_cast<int>(g.kind), s["kind"].get<int>());
  EXPECT_EQ(std::to_string(g.start_time_unix_nano), s["startTimeUnixNano"]);
  EXPECT_EQ(std::to_string(g.end_time_unix_nano), s["endTimeUnixNano"]);
  expect_attributes("attributes", s["attributes"], g.attributes);
  EXPECT_EQ(g.dropped_attributes_count, s["droppedAttributesCount"].get<std::uint32_t>());
  ASSERT_EQ(g.events.size(), s["events"].size());
  for (std::size_t i = 0; i < g.events.size(); ++i) {
    EXPECT_EQ(g.events[i].name, s["events"][i]["name"]);
    EXPECT_EQ(std::to_string(g.events[i].time_unix_nano), s["events"][i]["timeUnixNano"]);
    expect_attributes("event", s["events"][i]["attributes"], g.events[i].attributes);
  }
  ASSERT_EQ(g.links.size(), s["links"].size());
  for (std::size_t i = 0; i < g.links.size(); ++i) {
    EXPECT_EQ(hex_of(g.links[i].context.trace), s["links"][i]["traceId"]);
    EXPECT_EQ(hex(g.links[i].context.span), s["links"][i]["spanId"]);
    expect_attributes("link", s["links"][i]["attributes"], g.links[i].attributes);
  }
  EXPECT_EQ(static_cast<int>(g.status.code), s["status"]["code"].get<int>());
  EXPECT_EQ(g.status.message, s["status"]["message"]);
  ASSERT_TRUE(g.resource_ptr);
  expect_attributes("resource", s["resource"], g.resource_ptr->attributes);
  ASSERT_TRUE(g.scope_ptr);
  EXPECT_EQ(g.scope_ptr->name, s["scope"]["name"]);
  EXPECT_EQ(g.scope_ptr->version, s["scope"]["version"]);
}

void expect_round_trip(const std::string& protocol) {
  testing::serve_program server(program, {"--quiet"});
  ASSERT_NE(server.port(), 0);
  cli::testing::scratch_dir dir;
  const auto sent = send_with_node(server.port(), protocol, dir.file("sent.json"));
  ASSERT_TRUE(sent.is_object() && sent.contains("spans"));
  ASSERT_EQ(sent["spans"].size(), 5u);
  const auto id = trace::trace_id::from_hex(sent["spans"][0]["traceId"].get<std::string>());
  const auto got = testing::fetch_trace(server.port(), id);
  ASSERT_EQ(got.size(), 5u);
  std::map<std::string, const sdk::span_data*> by_id;
  for (const auto& g : got) by_id[hex(g.context.span)] = &g;
  std::set<int> kinds;
  for (const auto& s : sent["spans"]) {
    const auto it = by_id.find(s["spanId"].get<std::string>());
    ASSERT_NE(it, by_id.end()) << s.dump();
    expect_span(s, *it->second);
    kinds.insert(s["kind"].get<int>());
  }
  EXPECT_EQ(kinds.size(), 5u);  // every kind was sent
  const auto list = testing::list_traces(server.port());
  ASSERT_EQ(list["traces"].size(), 1u);
  EXPECT_EQ(list["traces"][0]["name"], "GET /checkout");
  EXPECT_EQ(list["traces"][0]["service"], "js-" + protocol);
  EXPECT_EQ(list["traces"][0]["errorCount"], 1);
}

TEST(ServeWithOpenTelemetryJs, TheProtoExportersSpansComeBackFieldForField) { expect_round_trip("proto"); }

TEST(ServeWithOpenTelemetryJs, TheJsonExportersSpansComeBackFieldForField) { expect_round_trip("json"); }

TEST(ServeWithOpenTelemetryJs, ABurstOfTenThousandSpansThroughTheBatchProcessorIsStoredWhole) {
  testing::serve_program server(program, {"--quiet"});
  ASSERT_NE(server.port(), 0);
  cli::testing::scratch_dir dir;
  const auto sent = send_with_node(server.port(), "proto", dir.file("burst.json"), {"--burst", "10000"});
  ASSERT_TRUE(sent.is_object() && sent.contains("count"));
  EXPECT_EQ(sent["count"], 10000);
  EXPECT_TRUE(sent["failures"].empty()) << sent["failures"].dump();
  const auto list = testing::list_traces(server.port(), "?limit=1000");
  std::set<std::string> ids(sent["traceIds"].begin(), sent["traceIds"].end());
  ASSERT_EQ(list["traces"].size(), ids.size());
  long stored = 0;
  for (const auto& t : list["traces"]) {
    EXPECT_TRUE(ids.count(t["traceId"].get<std::string>())) << t.dump();
    stored += t["spanCount"].get<long>();
  }
  EXPECT_EQ(stored, 10000);
  std::printf("10000 spans sent and flushed in %d ms\n", sent["flushedMs"].get<int>());
}

}  // namespace
}  // namespace ctxflow::viewer
