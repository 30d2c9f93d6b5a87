// SPDX-License-Identifier: Apache-2.0
// read_otlp_json and read_otlp_json_files: JSON lines, pretty-printed documents, both in one
// file, standard input, a missing file, a broken or oversized document among good ones.
#include "ctxflow/viewer/otlp_reader.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "ctxflow/exporters/otlp/json_encoder.hpp"
#include "viewer/rich_spans.hpp"

namespace {

using namespace ctxflow;
using viewer::testing::make_resource;
using viewer::testing::make_scope;
using viewer::testing::minimal_root_span;
using viewer::testing::pointers;

// One request holding one span named `name`, as one JSON line.
std::string line_with_span(const std::string& name, std::uint8_t seed) {
  std::vector<sdk::span_data> spans{minimal_root_span(make_resource("svc", ""), make_scope("lib", "1", ""), seed)};
  spans[0].name = name;
  std::string out;
  exporters::otlp::encode_json(pointers(spans), out);
  return out;
}

// The same request pretty-printed: a line break after every '{', '[' and ',' outside strings,
// with indentation.
std::string pretty(const std::string& json) {
  std::string out;
  int depth = 0;
  bool in_string = false;
  bool escape = false;
  auto newline = [&] {
    out += '\n';
    out += std::string(static_cast<std::size_t>(2 * depth), ' ');
  };
  for (const char c : json) {
    if (in_string) {
      out += c;
      if (escape) escape = false;
      else if (c == '\\') escape = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
      out += c;
    } else if (c == '{' || c == '[') {
      out += c;
      ++depth;
      newline();
    } else if (c == '}' || c == ']') {
      --depth;
      newline();
      out += c;
    } else if (c == ',') {
      out += c;
      newline();
    } else if (c == ':') {
      out += ": ";
    } else {
      out += c;
    }
  }
  return out;
}

std::vector<std::string> names_of(const viewer::read_result& r) {
  std::vector<std::string> names;
  for (const auto& s : r.spans) names.push_back(s.name);
  return names;
}

viewer::read_result read_text(const std::string& text, const viewer::decode_limits& limits = {}) {
  std::istringstream in(text);
  viewer::read_result r;
  viewer::read_otlp_json(in, "input.jsonl", r, limits);
  return r;
}

class TempFile {
 public:
  explicit TempFile(const std::string& contents) {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("ctxflow_viewer_" + std::to_string(rd()) + "_" + std::to_string(rd()) + ".jsonl");
    std::ofstream(path_, std::ios::binary) << contents;
  }
  ~TempFile() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

TEST(ReadOtlpJson, JsonLinesWithABrokenLineReportItsLineAndReadTheOthers) {
  const std::string text = line_with_span("one", 1) + "\n" + line_with_span("two", 2) + "\n" +
                           "{\"resourceSpans\": [{\"scopeSpans\": []} {}]}\n" + line_with_span("four", 4) + "\n";
  const auto r = read_text(text);
  EXPECT_EQ(names_of(r), (std::vector<std::string>{"one", "two", "four"}));
  EXPECT_EQ(r.documents, 3u);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].source, "input.jsonl");
  EXPECT_EQ(r.problems[0].line, 3u);
  EXPECT_NE(r.problems[0].message.find("invalid JSON"), std::string::npos) << r.problems[0].message;
}

TEST(ReadOtlpJson, ATruncatedLineCostsOnlyItself) {
  const std::string two = line_with_span("two", 2);
  const std::string text = line_with_span("one", 1) + "\n" + two.substr(0, two.size() / 2) + "\n" +
                           line_with_span("three", 3) + "\n";
  const auto r = read_text(text);
  EXPECT_EQ(names_of(r), (std::vector<std::string>{"one", "three"}));
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].line, 2u);
}

TEST(ReadOtlpJson, BlankLinesAreSkippedAndLinesStillCounted) {
  const std::string text = "\n\n" + line_with_span("one", 1) + "\n   \n\r\n" + "{broken\n";
  const auto r = read_text(text);
  EXPECT_EQ(names_of(r), (std::vector<std::string>{"one"}));
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].line, 6u);
}

TEST(ReadOtlpJson, WindowsLineEndsAreRead) {
  const std::string text = line_with_span("one", 1) + "\n" + pretty(line_with_span("two", 2)) + "\n\n";
  std::string crlf;
  for (const char c : text) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  const auto r = read_text(crlf);
  EXPECT_TRUE(r.problems.empty()) << r.problems[0].message;
  EXPECT_EQ(names_of(r), (std::vector<std::string>{"one", "two"}));
}

TEST(ReadOtlpJson, APrettyPrintedDocumentIsOneRequest) {
  const std::string doc = pretty(line_with_span("pretty", 1));
  ASSERT_GT(std::count(doc.begin(), doc.end(), '\n'), 10);
  const auto r = read_text(doc + "\n");
  EXPECT_TRUE(r.problems.empty()) << r.problems[0].message;
  EXPECT_EQ(names_of(r), (std::vector<std::string>{"pretty"}));
  EXPECT_EQ(r.documents, 1u);
}

TEST(ReadOtlpJson, TwoDocumentsInOneFileOnePrettyPrinted) {
  const std::string text = line_with_span("compact", 1) + "\n" + pretty(line_with_span("pretty", 2)) + "\n";
  const auto r = read_text(text);
  EXPECT_TRUE(r.problems.empty()) << r.problems[0].message;
  EXPECT_EQ(names_of(r), (std::vector<std::string>{"compact", "pretty"}));
  EXPECT_EQ(r.documents, 2u);
}

TEST(ReadOtlpJson, ABrokenPrettyPrintedDocumentIsReportedAtItsFirstLine) {
  std::string broken = pretty(line_with_span("broken", 2));
  broken.replace(broken.find("\"name\""), 6, "\"name\" \"oops\"");
  const std::string text = line_with_span("one", 1) + "\n\n" + broken + "\n" + line_with_span("three", 3) + "\n";
  const auto r = read_text(text);
  EXPECT_EQ(names_of(r), (std::vector<std::string>{"one", "three"}));
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].line, 3u);
  // The message points at the line and column of the syntax error within the file.
  std::size_t error_line = 3;
  for (std::size_t i = 0; i < broken.find("\"oops\""); ++i) error_line += broken[i] == '\n' ? 1 : 0;
  EXPECT_NE(r.problems[0].message.find("invalid JSON at line " + std::to_string(error_line) + ", column "),
            std::string::npos)
      << r.problems[0].message;
}

TEST(ReadOtlpJson, AnOversizedLineIsAProblemAndTheNextLinesAreRead) {
  viewer::decode_limits limits;
  const std::string small = line_with_span("small", 1);
  limits.max_message_bytes = small.size() + 10;
  std::vector<sdk::span_data> many;
  for (int i = 0; i < 20; ++i) many.push_back(minimal_root_span(make_resource("svc", ""), make_scope("lib", "1", ""), 5));
  std::string big;
  exporters::otlp::encode_json(pointers(many), big);
  const std::string text = small + "\n" + big + "\n" + line_with_span("after", 3) + "\n";
  const auto r = read_text(text, limits);
  EXPECT_EQ(names_of(r), (std::vector<std::string>{"small", "after"}));
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].line, 2u);
  EXPECT_NE(r.problems[0].message.find("larger than the limit"), std::string::npos) << r.problems[0].message;
}

TEST(ReadOtlpJsonFiles, ReadsFilesInOrderAndReportsAMissingOneWithLineZero) {
  const TempFile a(line_with_span("a", 1) + "\n");
  const TempFile b(pretty(line_with_span("b", 2)));
  const std::string missing = (std::filesystem::temp_directory_path() / "ctxflow_viewer_no_such_file.jsonl").string();
  const auto r = viewer::read_otlp_json_files({a.path(), missing, b.path()});
  EXPECT_EQ(names_of(r), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r.documents, 2u);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].source, missing);
  EXPECT_EQ(r.problems[0].line, 0u);
  EXPECT_NE(r.problems[0].message.find("cannot open"), std::string::npos) << r.problems[0].message;
}

TEST(ReadOtlpJsonFiles, ADashReadsStandardInput) {
  std::istringstream fake(line_with_span("from stdin", 1) + "\nnot json\n");
  std::streambuf* saved = std::cin.rdbuf(fake.rdbuf());
  const auto r = viewer::read_otlp_json_files({"-"});
  std::cin.rdbuf(saved);
  EXPECT_EQ(names_of(r), (std::vector<std::string>{"from stdin"}));
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].source, "-");
  EXPECT_EQ(r.problems[0].line, 2u);
}

}  // namespace
