// SPDX-License-Identifier: Apache-2.0
// The JSON-lines exporter: one OTLP/JSON ExportTraceServiceRequest per line and per export call,
// written to a file, a FILE* or a sink; failures are values and diagnostics (R7.24).
#include "ctxflow/exporters/otlp/jsonl_exporter.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ctxflow/sdk/exporter_registry.hpp"
#include "ctxflow/testing/diagnostics_capture.hpp"
#include "span_fixtures.hpp"

namespace ctxflow::exporters::otlp {
namespace {

using nlohmann::json;
using namespace ctxflow::exporters::otlp::testing;
using namespace std::chrono_literals;

std::string temp_path(const char* tag) {
  return ::testing::TempDir() + "ctxflow_jsonl_" + tag + "_" + std::to_string(::getpid()) +
         ".jsonl";
}

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string span_name_at(const json& line, std::size_t i) {
  return line["resourceSpans"][0]["scopeSpans"][0]["spans"][i]["name"];
}

TEST(JsonlExporter, EachExportCallWritesOneParseableLineToTheFile) {
  const std::string path = temp_path("roundtrip");
  std::remove(path.c_str());
  auto res = make_resource("svc", "");
  auto scope = make_scope("lib", "1", "");
  std::vector<sdk::span_data> first{rich_span(res, scope, 1), minimal_root_span(res, scope, 2)};
  std::vector<sdk::span_data> second{minimal_root_span(res, scope, 3)};
  {
    jsonl_exporter exp(path, /*append=*/false);
    ASSERT_TRUE(exp.is_open());
    EXPECT_EQ(exp.export_spans(pointers(first)), sdk::export_result::success);
    EXPECT_EQ(exp.export_spans({}), sdk::export_result::success);  // nothing written
    EXPECT_EQ(exp.export_spans(pointers(second)), sdk::export_result::success);
    EXPECT_TRUE(exp.shutdown(1s));
    // R7.24: after shutdown, export fails.
    EXPECT_EQ(exp.export_spans(pointers(second)), sdk::export_result::failure);
    EXPECT_FALSE(exp.is_open());
  }
  const auto lines = read_lines(path);
  ASSERT_EQ(lines.size(), 2u);
  const json a = json::parse(lines[0]);
  const json b = json::parse(lines[1]);
  ASSERT_EQ(a["resourceSpans"][0]["scopeSpans"][0]["spans"].size(), 2u);
  EXPECT_EQ(span_name_at(a, 0), first[0].name);
  EXPECT_EQ(span_name_at(a, 1), "root");
  EXPECT_EQ(a["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["attributes"].size(),
            first[0].attributes.size());
  EXPECT_EQ(b["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["traceId"],
            std::string(second[0].context.trace.to_hex().data(), 32));
  std::remove(path.c_str());
}

TEST(JsonlExporter, AppendModeKeepsEarlierLines) {
  const std::string path = temp_path("append");
  std::remove(path.c_str());
  auto res = make_resource("svc", "");
  std::vector<sdk::span_data> spans{minimal_root_span(res, nullptr, 1)};
  for (int i = 0; i < 2; ++i) {
    jsonl_exporter exp(path);
    EXPECT_EQ(exp.export_spans(pointers(spans)), sdk::export_result::success);
  }
  EXPECT_EQ(read_lines(path).size(), 2u);
  std::remove(path.c_str());
}

TEST(JsonlExporter, WritesToACallerOwnedFileWithoutClosingIt) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  std::vector<sdk::span_data> spans{minimal_root_span(nullptr, nullptr, 1)};
  {
    jsonl_exporter exp(f);
    EXPECT_EQ(exp.export_spans(pointers(spans)), sdk::export_result::success);
    EXPECT_TRUE(exp.shutdown(1s));
  }
  std::rewind(f);
  char buf[4096] = {};
  const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);  // still open: the exporter did not close it
  ASSERT_GT(n, 0u);
  EXPECT_EQ(buf[n - 1], '\n');
  EXPECT_EQ(span_name_at(json::parse(std::string(buf, n - 1)), 0), "root");
}

TEST(JsonlExporter, ASinkReceivesCompleteLinesAndItsFailureIsAFailedExport) {
  std::vector<std::string> got;
  bool accept = true;
  jsonl_exporter exp([&](std::string_view line) {
    got.emplace_back(line);
    return accept;
  });
  std::vector<sdk::span_data> spans{minimal_root_span(nullptr, nullptr, 1)};
  EXPECT_EQ(exp.export_spans(pointers(spans)), sdk::export_result::success);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].back(), '\n');
  EXPECT_EQ(got[0].find('\n'), got[0].size() - 1);
  ctxflow::testing::diagnostics_capture diags;
  accept = false;
  EXPECT_EQ(exp.export_spans(pointers(spans)), sdk::export_result::failure);
  EXPECT_EQ(diags.count("exporter.jsonl.write_failed"), 1u);
}

#if CTXFLOW_HAS_EXCEPTIONS
TEST(JsonlExporter, AThrowingSinkIsContainedAndReported) {
  jsonl_exporter exp([](std::string_view) -> bool { throw std::runtime_error("disk on fire"); });
  std::vector<sdk::span_data> spans{minimal_root_span(nullptr, nullptr, 1)};
  ctxflow::testing::diagnostics_capture diags;
  EXPECT_EQ(exp.export_spans(pointers(spans)), sdk::export_result::failure);
  EXPECT_EQ(diags.count("exporter.jsonl.write_failed"), 1u);
}
#endif

TEST(JsonlExporter, AnUnopenableFileIsReportedAndExportsFail) {
  ctxflow::testing::diagnostics_capture diags;
  jsonl_exporter exp("/nonexistent-dir/for/sure/spans.jsonl");
  EXPECT_FALSE(exp.is_open());
  EXPECT_EQ(diags.count("exporter.jsonl.open_failed"), 1u);
  std::vector<sdk::span_data> spans{minimal_root_span(nullptr, nullptr, 1)};
  EXPECT_EQ(exp.export_spans(pointers(spans)), sdk::export_result::failure);
}

// The "jsonl" factory (OTEL_TRACES_EXPORTER=jsonl) writes to CTXFLOW_JSONL_PATH.
TEST(JsonlExporter, TheRegisteredFactoryWritesToThePathFromTheEnvironment) {
  const std::string path = temp_path("factory");
  std::remove(path.c_str());
  ::setenv("CTXFLOW_JSONL_PATH", path.c_str(), 1);
  register_jsonl_exporter();
  EXPECT_TRUE(sdk::has_exporter_factory("jsonl"));
  auto exp = sdk::make_exporter("jsonl");
  ::unsetenv("CTXFLOW_JSONL_PATH");
  ASSERT_NE(exp, nullptr);
  std::vector<sdk::span_data> spans{minimal_root_span(nullptr, nullptr, 1)};
  EXPECT_EQ(exp->export_spans(pointers(spans)), sdk::export_result::success);
  EXPECT_TRUE(exp->shutdown(1s));
  const auto lines = read_lines(path);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(span_name_at(json::parse(lines[0]), 0), "root");
  std::remove(path.c_str());
}

}  // namespace
}  // namespace ctxflow::exporters::otlp
