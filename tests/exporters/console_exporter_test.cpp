// SPDX-License-Identifier: Apache-2.0
// console_exporter and the shared renderers: exact tree and waterfall text for a small fixed
// trace, grouping until the local root ends, orphans, continuation, flush and shutdown (R7.24).
#include "ctxflow/exporters/console_exporter.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "ctxflow/sdk/exporter_registry.hpp"
#include "ctxflow/testing/diagnostics_capture.hpp"
#include "exporters/span_builder.hpp"

namespace ctxflow::exporters {
namespace {

using test::span_builder;
using trace::span_kind;
using trace::status_code;

constexpr std::uint64_t us = 1'000;
constexpr std::uint64_t ms = 1'000'000;

// GET /orders (server, 0-10 ms) > load_user (1-6 ms) > SELECT users (2-3 ms)
//                               > render (6.5-9.75 ms)
// late (7-7.25 ms) names a parent that was never recorded.
std::vector<sdk::span_data> fixed_trace() {
  return {
      span_builder("SELECT users", test::trace_a, "0000000000000003")
          .parent("0000000000000002")
          .kind(span_kind::client)
          .times(2 * ms, 3 * ms)
          .status(status_code::error, "timeout")
          .attr("db.system", std::string("postgresql")),
      span_builder("load_user", test::trace_a, "0000000000000002")
          .parent("0000000000000001")
          .times(1 * ms, 6 * ms),
      span_builder("late", test::trace_a, "0000000000000005")
          .parent("00000000000000ff")
          .times(7 * ms, 7 * ms + 250 * us),
      span_builder("render", test::trace_a, "0000000000000004")
          .parent("0000000000000001")
          .times(6 * ms + 500 * us, 9 * ms + 750 * us)
          .event("cache miss"),
      span_builder("GET /orders", test::trace_a, "0000000000000001")
          .kind(span_kind::server)
          .times(0, 10 * ms)
          .status(status_code::ok)
          .attr("http.route", std::string("/orders")),
  };
}

const std::string fixed_tree =
    "trace 4bf92f3577b34da6a3ce929d0e0e4736 (5 spans, 10.00 ms)\n"
    "  GET /orders [server] 10.00 ms status=ok http.route=\"/orders\"\n"
    "    load_user [internal] 5.00 ms\n"
    "      SELECT users [client] 1.00 ms status=error(\"timeout\") db.system=\"postgresql\"\n"
    "    render [internal] 3.25 ms events=1\n"
    "  ? late [internal] 250.0 \xc2\xb5s (orphan: parent 00000000000000ff not recorded)\n";

const std::string fixed_waterfall_ascii =
    "trace 4bf92f3577b34da6a3ce929d0e0e4736 (5 spans, 10.00 ms)\n"
    "GET /orders       10.00 ms |####################|\n"
    "  load_user        5.00 ms |  ##########        |\n"
    "    SELECT users   1.00 ms |    ##              |\n"
    "  render           3.25 ms |             #######|\n"
    "? late            250.0 us |              #     |\n";

std::vector<const sdk::span_data*> pointers(const std::vector<sdk::span_data>& spans) {
  std::vector<const sdk::span_data*> out;
  for (const auto& s : spans) out.push_back(&s);
  return out;
}

// A tmpfile the exporter writes to; text() reads everything written so far.
class captured_file {
 public:
  captured_file() : f_(std::tmpfile()) {}
  ~captured_file() {
    if (f_) std::fclose(f_);
  }
  captured_file(const captured_file&) = delete;
  captured_file& operator=(const captured_file&) = delete;
  std::FILE* get() const { return f_; }
  std::string text() const {
    std::fflush(f_);
    const long end = std::ftell(f_);
    std::string out(static_cast<std::size_t>(end), '\0');
    std::rewind(f_);
    const std::size_t n = std::fread(out.data(), 1, out.size(), f_);
    out.resize(n);
    std::fseek(f_, 0, SEEK_END);
    return out;
  }

 private:
  std::FILE* f_;
};

TEST(FormatDuration, PicksAUnitByMagnitude) {
  EXPECT_EQ(format_duration(0), "0 ns");
  EXPECT_EQ(format_duration(999), "999 ns");
  EXPECT_EQ(format_duration(1'500), "1.5 \xc2\xb5s");
  EXPECT_EQ(format_duration(1'500, true), "1.5 us");
  EXPECT_EQ(format_duration(250'000, true), "250.0 us");
  EXPECT_EQ(format_duration(12'345'678), "12.35 ms");
  EXPECT_EQ(format_duration(2'500'000'000), "2.500 s");
}

TEST(RenderTree, PrintsChildrenUnderParentsAndOrphansAtTheRootWithAMarker) {
  const auto spans = fixed_trace();
  EXPECT_EQ(render_tree(spans), fixed_tree);
  EXPECT_EQ(render_tree(std::span<const sdk::span_data* const>(pointers(spans))), fixed_tree);
}

TEST(RenderTree, DoesNotDependOnExportOrder) {
  auto spans = fixed_trace();
  std::reverse(spans.begin(), spans.end());
  EXPECT_EQ(render_tree(spans), fixed_tree);
}

TEST(RenderTree, GroupsSpansByTraceInStartOrder) {
  std::vector<sdk::span_data> spans = {
      span_builder("second", test::trace_a, "0000000000000001").times(5 * ms, 6 * ms),
      span_builder("first", test::trace_b, "0000000000000001").times(1 * ms, 2 * ms),
  };
  EXPECT_EQ(render_tree(spans),
            "trace 0af7651916cd43dd8448eb211c80319c (1 span, 1.00 ms)\n"
            "  first [internal] 1.00 ms\n"
            "trace 4bf92f3577b34da6a3ce929d0e0e4736 (1 span, 1.00 ms)\n"
            "  second [internal] 1.00 ms\n");
  EXPECT_EQ(render_tree(std::span<const sdk::span_data>()), "");
}

TEST(RenderTree, MarksARemoteParentAndShowsIdsAndLinksOnRequest) {
  std::vector<sdk::span_data> spans = {
      span_builder("consume", test::trace_a, "0000000000000009")
          .parent("00000000000000aa", /*remote=*/true)
          .kind(span_kind::consumer)
          .times(0, 2 * us)
          .link(test::trace_b, "00000000000000bb"),
  };
  render_options o;
  o.show_ids = true;
  o.ascii = true;
  EXPECT_EQ(render_tree(spans, o),
            "trace 4bf92f3577b34da6a3ce929d0e0e4736 (1 span, 2.0 us)\n"
            "  consume [consumer] 2.0 us links=[00000000000000bb] #0000000000000009"
            " (remote parent 00000000000000aa)\n");
  EXPECT_EQ(render_tree(spans),
            "trace 4bf92f3577b34da6a3ce929d0e0e4736 (1 span, 2.0 \xc2\xb5s)\n"
            "  consume [consumer] 2.0 \xc2\xb5s links=1 (remote parent 00000000000000aa)\n");
}

TEST(RenderTree, FormatsEveryAttributeTypeAndLimitsTheirNumberAndLength) {
  std::vector<sdk::span_data> spans = {
      span_builder("a", test::trace_a, "0000000000000001")
          .times(0, 10)
          .attr("b", true)
          .attr("i", std::int64_t{-7})
          .attr("d", 0.5)
          .attr("s", std::string("q\"\n\x01"))
          .attr("bytes", sdk::byte_string{{0xde, 0xad}})
          .attr("bs", std::vector<bool>{true, false})
          .attr("is", std::vector<std::int64_t>{1, 2})
          .attr("ds", std::vector<double>{1.25})
          .attr("ss", std::vector<std::string>{"x", "y"}),
  };
  render_options o;
  o.max_attributes = 8;
  EXPECT_EQ(render_tree(spans, o),
            "trace 4bf92f3577b34da6a3ce929d0e0e4736 (1 span, 10 ns)\n"
            "  a [internal] 10 ns b=true i=-7 d=0.5 s=\"q\\\"\\n\\x01\" bytes=0xdead bs=[true, "
            "false] is=[1, 2] ds=[1.25] +1 more\n");
  o.max_attributes = 1;
  o.max_value_length = 3;
  o.ascii = true;
  spans[0].attributes = {{"long", std::string("abcdef")}, {"x", std::int64_t{1}}};
  EXPECT_EQ(render_tree(spans, o),
            "trace 4bf92f3577b34da6a3ce929d0e0e4736 (1 span, 10 ns)\n"
            "  a [internal] 10 ns long=\"abc...\" +1 more\n");
  o.show_attributes = false;
  EXPECT_EQ(render_tree(spans, o),
            "trace 4bf92f3577b34da6a3ce929d0e0e4736 (1 span, 10 ns)\n"
            "  a [internal] 10 ns\n");
}

TEST(RenderTree, PrintsSpansOnAParentCycleAsOrphansInsteadOfLosingThem) {
  std::vector<sdk::span_data> spans = {
      span_builder("x", test::trace_a, "0000000000000001").parent("0000000000000002").times(0, 1),
      span_builder("y", test::trace_a, "0000000000000002").parent("0000000000000001").times(1, 2),
  };
  EXPECT_EQ(render_tree(spans),
            "trace 4bf92f3577b34da6a3ce929d0e0e4736 (2 spans, 2 ns)\n"
            "  ? x [internal] 1 ns (orphan: parent 0000000000000002 not recorded)\n"
            "    y [internal] 1 ns\n");
}

TEST(RenderWaterfall, DrawsBarsAtTheirOffsetRelativeToTheTrace) {
  render_options o;
  o.ascii = true;
  o.bar_width = 20;
  EXPECT_EQ(render_waterfall(fixed_trace(), o), fixed_waterfall_ascii);
}

TEST(RenderWaterfall, UsesBlockCharactersUnlessAscii) {
  std::vector<sdk::span_data> spans = {
      span_builder("root", test::trace_a, "0000000000000001").times(0, 4 * ms),
      span_builder("child", test::trace_a, "0000000000000002")
          .parent("0000000000000001")
          .times(2 * ms, 3 * ms),
  };
  render_options o;
  o.bar_width = 4;
  const std::string block = "\xe2\x96\x88";
  EXPECT_EQ(render_waterfall(spans, o),
            "trace 4bf92f3577b34da6a3ce929d0e0e4736 (2 spans, 4.00 ms)\n"
            "root     4.00 ms |" +
                block + block + block + block +
                "|\n"
                "  child  1.00 ms |  " +
                block + " |\n");
}

TEST(RenderWaterfall, CutsLongNamesAndGivesZeroLengthSpansOneCell) {
  std::vector<sdk::span_data> spans = {
      span_builder("a-very-long-span-name", test::trace_a, "0000000000000001").times(0, 10),
      span_builder("instant", test::trace_a, "0000000000000002")
          .parent("0000000000000001")
          .times(10, 10),
  };
  render_options o;
  o.ascii = true;
  o.bar_width = 5;
  o.max_name_width = 8;
  EXPECT_EQ(render_waterfall(spans, o),
            "trace 4bf92f3577b34da6a3ce929d0e0e4736 (2 spans, 10 ns)\n"
            "a-very-~  10 ns |#####|\n"
            "  insta~   0 ns |    #|\n");
}

TEST(ConsoleExporter, PrintsATraceOnceItsLocalRootEnds) {
  captured_file file;
  console_exporter exporter({.out = file.get()});
  const auto spans = fixed_trace();
  const auto ptrs = pointers(spans);
  // Everything but the root (the last one): nothing is printed yet.
  EXPECT_EQ(exporter.export_spans(std::span(ptrs).first(4)), sdk::export_result::success);
  EXPECT_EQ(file.text(), "");
  EXPECT_EQ(exporter.export_spans(std::span(ptrs).last(1)), sdk::export_result::success);
  EXPECT_EQ(file.text(), fixed_tree);
}

TEST(ConsoleExporter, PrintsLateSpansOfAPrintedTraceAsAContinuation) {
  captured_file file;
  console_exporter exporter({.out = file.get()});
  sdk::span_data root = span_builder("root", test::trace_a, "0000000000000001").times(0, 2 * ms);
  sdk::span_data late = span_builder("background", test::trace_a, "0000000000000002")
                            .parent("0000000000000001")
                            .times(1 * ms, 5 * ms);
  const sdk::span_data* first[] = {&root};
  const sdk::span_data* second[] = {&late};
  exporter.export_spans(first);
  exporter.export_spans(second);
  EXPECT_EQ(file.text(),
            "trace 4bf92f3577b34da6a3ce929d0e0e4736 (1 span, 2.00 ms)\n"
            "  root [internal] 2.00 ms\n"
            "trace 4bf92f3577b34da6a3ce929d0e0e4736 (continued, 1 span, 4.00 ms)\n"
            "  background [internal] 4.00 ms (parent 0000000000000001 printed earlier)\n");
}

TEST(ConsoleExporter, ForceFlushPrintsHeldTracesWithTheirOrphansMarked) {
  captured_file file;
  console_exporter exporter({.out = file.get()});
  sdk::span_data child = span_builder("child", test::trace_a, "0000000000000002")
                             .parent("0000000000000001")
                             .times(0, 1 * ms);
  const sdk::span_data* batch[] = {&child};
  exporter.export_spans(batch);
  EXPECT_EQ(file.text(), "");
  EXPECT_TRUE(exporter.force_flush(std::chrono::milliseconds(100)));
  EXPECT_EQ(file.text(),
            "trace 4bf92f3577b34da6a3ce929d0e0e4736 (1 span, 1.00 ms)\n"
            "  ? child [internal] 1.00 ms (orphan: parent 0000000000000001 not recorded)\n");
}

TEST(ConsoleExporter, PrintsTheOldestTraceWhenTooManySpansAreHeld) {
  captured_file file;
  console_exporter exporter({.out = file.get(), .max_buffered_spans = 1});
  sdk::span_data a = span_builder("a", test::trace_a, "0000000000000002")
                         .parent("0000000000000001")
                         .times(0, 1 * ms);
  sdk::span_data b = span_builder("b", test::trace_b, "0000000000000002")
                         .parent("0000000000000001")
                         .times(0, 1 * ms);
  const sdk::span_data* first[] = {&a};
  const sdk::span_data* second[] = {&b};
  exporter.export_spans(first);
  EXPECT_EQ(file.text(), "");
  exporter.export_spans(second);
  EXPECT_EQ(file.text(),
            "trace 4bf92f3577b34da6a3ce929d0e0e4736 (1 span, 1.00 ms)\n"
            "  ? a [internal] 1.00 ms (orphan: parent 0000000000000001 not recorded)\n");
}

TEST(ConsoleExporter, WaterfallLayoutUsesTheRenderOptions) {
  captured_file file;
  console_exporter_options options{.out = file.get(), .layout = console_layout::waterfall};
  options.render.ascii = true;
  options.render.bar_width = 20;
  console_exporter exporter(options);
  const auto spans = fixed_trace();
  const auto ptrs = pointers(spans);
  exporter.export_spans(ptrs);
  EXPECT_EQ(file.text(), fixed_waterfall_ascii);
}

TEST(ConsoleExporter, ShutdownFlushesAndLaterExportsFail) {  // R7.24
  captured_file file;
  console_exporter exporter({.out = file.get()});
  sdk::span_data child = span_builder("child", test::trace_a, "0000000000000002")
                             .parent("0000000000000001")
                             .times(0, 1 * ms);
  const sdk::span_data* batch[] = {&child};
  exporter.export_spans(batch);
  EXPECT_TRUE(exporter.shutdown(std::chrono::milliseconds(100)));
  EXPECT_NE(file.text().find("child"), std::string::npos);
  EXPECT_EQ(exporter.export_spans(batch), sdk::export_result::failure);
  EXPECT_TRUE(exporter.shutdown(std::chrono::milliseconds(100)));
}

TEST(ConsoleExporter, AFailedWriteIsReportedAndFailsTheExport) {
  testing::diagnostics_capture diags;
  std::FILE* read_only = std::fopen("/dev/null", "r");
  ASSERT_NE(read_only, nullptr);
  {
    console_exporter exporter({.out = read_only});
    sdk::span_data root = span_builder("root", test::trace_a, "0000000000000001").times(0, 1);
    const sdk::span_data* batch[] = {&root};
    EXPECT_EQ(exporter.export_spans(batch), sdk::export_result::failure);
  }
  std::fclose(read_only);
  EXPECT_EQ(diags.count("exporters.console.write_failed"), 1u);
}

TEST(ConsoleExporter, RegistersTheConsoleFactoryForInit) {  // R10 OTEL_TRACES_EXPORTER=console
  EXPECT_TRUE(register_console_exporter());
  EXPECT_TRUE(register_console_exporter());  // idempotent
  EXPECT_TRUE(sdk::has_exporter_factory("console"));
  std::unique_ptr<sdk::span_exporter> made = sdk::make_exporter("console");
  ASSERT_NE(made, nullptr);
  EXPECT_NE(dynamic_cast<console_exporter*>(made.get()), nullptr);
}

}  // namespace
}  // namespace ctxflow::exporters
