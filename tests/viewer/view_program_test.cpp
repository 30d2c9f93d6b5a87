// SPDX-License-Identifier: Apache-2.0
// `ctxflow view` run as a child process on the fixture files of tests/viewer/data: its output
// compared with tests/viewer/golden, its exit statuses, `--check` on good and broken traces, and
// `--check` on the spans `ctxflow demo` writes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/demo_process.hpp"
#include "ctxflow/viewer/otlp_reader.hpp"

namespace ctxflow::cli::testing {
namespace {

using namespace std::chrono_literals;

const std::string program = CTXFLOW_VIEW_PROGRAM;
const std::string data_dir = CTXFLOW_VIEW_DATA_DIR;  // tests/viewer, with data/ and golden/

std::string data(const std::string& name) { return data_dir + "/data/" + name; }

std::string golden(const std::string& name) {
  std::ifstream in(data_dir + "/golden/" + name, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

run_result view(std::vector<std::string> args) {
  args.insert(args.begin(), "view");
  return run_program(program, args, clean_environment(), 30s);
}

// The waterfall options every golden file was written with.
run_result view_ascii(std::vector<std::string> args) {
  args.insert(args.begin(), {"--ascii", "--width", "100"});
  return view(std::move(args));
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(ViewProgram, DrawsATwoProcessTraceAsOneTreeWithServicesKindsAndTheErrorMarked) {
  const run_result r = view_ascii({data("two_process.jsonl")});
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.code, 0) << r.describe();
  EXPECT_EQ(r.out, golden("two_process.txt"));
  EXPECT_EQ(r.err, "");
}

TEST(ViewProgram, ReadsAPrettyPrintedDocument) {
  const run_result r = view_ascii({data("pretty.json")});
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.code, 0) << r.describe();
  EXPECT_EQ(r.out, golden("pretty.txt"));
}

TEST(ViewProgram, ReadsStandardInputForADash) {
  const run_result r =
      run_program("/bin/sh",
                  {"-c", "exec \"$0\" view --ascii --width 100 - < \"$1\"", program,
                   data("pretty.json")},
                  clean_environment(), 30s);
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.code, 0) << r.describe();
  EXPECT_EQ(r.out, golden("pretty.txt"));
}

TEST(ViewProgram, ReportsABrokenLineWithFileAndLineAndStillShowsTheRest) {
  const run_result r = view_ascii({data("broken_line.jsonl")});
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.code, 0) << r.describe();
  EXPECT_EQ(r.out, golden("broken_line.txt"));
  EXPECT_TRUE(contains(r.err, data("broken_line.jsonl") + ":2: ")) << r.err;
  EXPECT_FALSE(contains(r.err, ":1: ")) << r.err;
  EXPECT_FALSE(contains(r.err, ":3: ")) << r.err;
}

TEST(ViewProgram, FiltersSelectWholeTraces) {
  const run_result errors = view_ascii({"--errors", data("two_process.jsonl")});
  ASSERT_TRUE(errors.exited) << errors.describe();
  EXPECT_EQ(errors.code, 0);
  EXPECT_EQ(errors.out, golden("errors_filter.txt"));

  const run_result name = view_ascii({"--name", "vacuum", data("two_process.jsonl")});
  ASSERT_TRUE(name.exited) << name.describe();
  EXPECT_EQ(name.out, golden("name_filter.txt"));

  // The backend's span decides the match, and the frontend's spans come with it.
  const run_result service = view_ascii({"--service", "backend", data("two_process.jsonl")});
  EXPECT_EQ(service.out, golden("errors_filter.txt"));
  const run_result id = view_ascii({"--trace", "0af76519", data("two_process.jsonl")});
  EXPECT_EQ(id.out, golden("name_filter.txt"));
  const run_result longer = view_ascii({"--min-duration", "10ms", data("two_process.jsonl")});
  EXPECT_EQ(longer.out, golden("errors_filter.txt"));

  const run_result none =
      view_ascii({"--service", "backend", "--name", "vacuum", data("two_process.jsonl")});
  ASSERT_TRUE(none.exited) << none.describe();
  EXPECT_EQ(none.code, 0);
  EXPECT_EQ(none.out, "");
  EXPECT_TRUE(contains(none.err, "no trace matches")) << none.err;
}

TEST(ViewProgram, ColoursOnlyWhenAsked) {
  const run_result never = view({"--colour", "never", data("two_process.jsonl")});
  EXPECT_FALSE(contains(never.out, "\x1b[")) << never.out;
  // Not a terminal: auto means no colour.
  const run_result automatic = view({data("two_process.jsonl")});
  EXPECT_FALSE(contains(automatic.out, "\x1b[")) << automatic.out;
  const run_result always = view({"--color", "always", data("two_process.jsonl")});
  ASSERT_TRUE(always.exited) << always.describe();
  EXPECT_EQ(always.code, 0);
  EXPECT_TRUE(contains(always.out, "\x1b[31m! card.charge\x1b[0m")) << always.out;
}

TEST(ViewProgram, CheckPassesAGoodMultiProcessTrace) {
  const run_result r = view({"--check", data("two_process.jsonl")});
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.code, 0) << r.describe();
  EXPECT_EQ(r.out, "checked 2 traces (7 spans): ok\n");
}

TEST(ViewProgram, CheckFailsAnOrphanAndSaysWhy) {
  const run_result r = view({"--check", data("orphan.jsonl")});
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.out, "span 00000000000000a2: span \"lost\" is an orphan: its parent "
                              "00000000000000ff is not in the trace\n"))
      << r.out;
  EXPECT_TRUE(contains(r.out, "1 problem\n")) << r.out;
}

TEST(ViewProgram, CheckFailsTwoRoots) {
  const run_result r = view({"--check", data("two_roots.jsonl")});
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.out, "span \"second\" is another root: the trace already has root "
                              "00000000000000a1 (\"first\")"))
      << r.out;
}

TEST(ViewProgram, CheckFailsChildrenOutsideTheirParentsWindowPastTheTolerance) {
  const run_result r = view({"--check", data("skew.jsonl")});
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.out, "span \"early child\" starts 8.00 ms before its parent "
                              "00000000000000a1 (\"parent\") starts (tolerance 5.00 ms)"))
      << r.out;
  EXPECT_TRUE(contains(r.out, "span \"late child\" ends 10.00 ms after its parent "
                              "00000000000000a1 (\"parent\") ends (tolerance 5.00 ms)"))
      << r.out;
  // A wider tolerance accepts both.
  const run_result wide = view({"--check", "--skew", "10ms", data("skew.jsonl")});
  EXPECT_EQ(wide.code, 0) << wide.out;
  const run_result narrow = view({"--check", "--skew", "9ms", data("skew.jsonl")});
  EXPECT_EQ(narrow.code, 1) << narrow.out;
  EXPECT_TRUE(contains(narrow.out, "1 problem\n")) << narrow.out;
}

TEST(ViewProgram, CheckFailsAParentInAnotherTrace) {
  const run_result r = view({"--check", data("foreign_parent.jsonl")});
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.out, "span \"child of a\" has parent 00000000000000a1, a span of "
                              "another trace, 4bf92f3577b34da6a3ce929d0e0e4736"))
      << r.out;
}

TEST(ViewProgram, CheckFailsWhenSomeInputIsUnreadable) {
  const run_result r = view({"--check", data("broken_line.jsonl")});
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "checked 1 trace (5 spans): ok, 1 unreadable input\n");
  EXPECT_TRUE(contains(r.err, ":2: ")) << r.err;
}

TEST(ViewProgram, CheckPassesTheDemosMultiProcessTrace) {
  scratch_dir dir;
  ASSERT_TRUE(dir.ok());
  const std::string file = dir.file("demo.jsonl");
  const run_result demo =
      run_program(program, {"demo", "--ascii", "--out", file}, clean_environment(), 120s);
  ASSERT_TRUE(demo.exited && demo.code == 0) << demo.describe();
  const run_result r = view({"--check", file});
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "checked 1 trace (")) << r.out;
  EXPECT_TRUE(contains(r.out, "): ok\n")) << r.out;
}

TEST(ViewProgram, RejectsABadCommandLineWithStatus2) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {},
           {"--min-duration", "5 parsecs", data("pretty.json")},
           {"--min-duration", data("pretty.json")},
           {"--trace", "not-hex", data("pretty.json")},
           {"--colour", "sometimes", data("pretty.json")},
           {"--width", "5", data("pretty.json")},
           {"--skew", "5ms", data("pretty.json")},
           {"--frobnicate", data("pretty.json")},
       }) {
    const run_result r = view(args);
    ASSERT_TRUE(r.exited) << r.describe();
    EXPECT_EQ(r.code, 2) << (args.empty() ? std::string("(none)") : args.front());
    EXPECT_EQ(r.out, "");
    EXPECT_TRUE(contains(r.err, "ctxflow view: ")) << r.err;
  }
}

TEST(ViewProgram, ExitsWith2WhenNoInputCanBeRead) {
  scratch_dir dir;
  const std::string missing = dir.file("missing.jsonl");
  const run_result r = view({missing});
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(contains(r.err, missing + ": ")) << r.err;
  // One readable file among them is enough to show it.
  const run_result some = view_ascii({missing, data("pretty.json")});
  EXPECT_EQ(some.code, 0) << some.describe();
  EXPECT_EQ(some.out, golden("pretty.txt"));
}

TEST(ViewProgram, KeepsControlCharactersOfTheInputOffTheTerminal) {
  scratch_dir dir;
  const std::string file = dir.file("escapes.jsonl");
  {
    std::ofstream out(file, std::ios::binary);
    out << "not json \x1b]0;title\x07\n";
    out << "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":"
           "\"4bf92f3577b34da6a3ce929d0e0e4736\",\"spanId\":\"00000000000000a1\",\"name\":"
           "\"\\u001b[2Jwipe\",\"startTimeUnixNano\":\"1\",\"endTimeUnixNano\":\"2\"}]}]}]}\n";
  }
  const run_result r = view({"--colour", "never", file});
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.code, 0) << r.describe();
  EXPECT_TRUE(contains(r.out, "?[2Jwipe")) << r.out;
  EXPECT_FALSE(contains(r.out, "\x1b")) << r.out;
  EXPECT_TRUE(contains(r.err, file + ":1: ")) << r.err;
  EXPECT_FALSE(contains(r.err, "\x1b")) << r.err;
  EXPECT_FALSE(contains(r.err, "\x07")) << r.err;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The spans embedded in a page written by `view --html`.
std::vector<sdk::span_data> embedded_spans(const std::string& page) {
  const std::string open = "<script type=\"application/json\" id=\"ctxflow-data\">";
  const std::size_t begin = page.find(open);
  const std::size_t end = page.find("</script>", begin);
  if (begin == std::string::npos || end == std::string::npos) return {};
  std::vector<sdk::span_data> spans;
  std::string error;
  const std::string json = page.substr(begin + open.size(), end - begin - open.size());
  EXPECT_TRUE(viewer::decode_json(json, spans, error)) << error;
  return spans;
}

TEST(ViewProgram, HtmlWritesTheSelectedTracesAsOneSelfContainedPage) {
  scratch_dir dir;
  ASSERT_TRUE(dir.ok());
  const std::string page = dir.file("traces.html");
  // Two traces in the input; the filter keeps the one with an error.
  const run_result r = view({"--html", page, "--errors", data("two_process.jsonl"),
                             data("orphan.jsonl")});
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.code, 0) << r.describe();
  const viewer::read_result input = viewer::read_otlp_json_files({data("two_process.jsonl")});
  ASSERT_FALSE(input.spans.empty());
  EXPECT_EQ(r.out, "wrote " + page + ": 1 trace, " + std::to_string(input.spans.size()) +
                       " spans\n");
  const std::string text = read_file(page);
  EXPECT_EQ(text.rfind("<!DOCTYPE html>", 0), 0u) << text.substr(0, 80);
  EXPECT_FALSE(contains(text, "src=\"http")) << "the page loads nothing from elsewhere";
  const std::vector<sdk::span_data> spans = embedded_spans(text);
  ASSERT_EQ(spans.size(), input.spans.size());
  for (const sdk::span_data& s : spans)
    EXPECT_TRUE(s.context.trace == input.spans.front().context.trace);
  EXPECT_FALSE(std::filesystem::exists(page + ".tmp"));
}

TEST(ViewProgram, HtmlToAnUnwritablePlaceFailsWithStatus1AndAMessage) {
  scratch_dir dir;
  ASSERT_TRUE(dir.ok());
  const std::string page = dir.file("no-such-folder/traces.html");
  const run_result r = view({"--html", page, data("two_process.jsonl")});
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.code, 1) << r.describe();
  EXPECT_TRUE(contains(r.err, "ctxflow view: cannot write " + page + ": ")) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST(ViewProgram, HelpListsTheOptionsAndExitStatuses) {
  const run_result r = view({"--help"});
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.code, 0);
  for (const char* option : {"--trace", "--service", "--name", "--min-duration", "--errors",
                             "--check", "--skew", "--html", "--ascii", "--colour", "--width",
                             "exit status"})
    EXPECT_TRUE(contains(r.out, option)) << option;
}

}  // namespace
}  // namespace ctxflow::cli::testing
