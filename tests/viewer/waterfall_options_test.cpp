// SPDX-License-Identifier: Apache-2.0
// The waterfall options `ctxflow view` uses (render_options in
// ctxflow/exporters/console_exporter.hpp): kinds, services, error marks, colours, the start
// time, the total width and nesting under remote parents. Defaults keep the console exporter's
// output (tests/exporters).
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "ctxflow/exporters/console_exporter.hpp"
#include "exporters/span_builder.hpp"

namespace ctxflow::exporters {
namespace {

using test::span_builder;
using trace::span_kind;

constexpr std::uint64_t ms = 1'000'000;

std::shared_ptr<const sdk::resource> service(std::string name) {
  auto r = std::make_shared<sdk::resource>();
  r->attributes.push_back({"service.name", std::move(name)});
  return r;
}

// A client in `front` calling a server in `back` (remote parent), which fails.
std::vector<sdk::span_data> two_services() {
  std::vector<sdk::span_data> spans = {
      span_builder("GET /", test::trace_a, "00000000000000a1").kind(span_kind::server).times(0, 10 * ms),
      span_builder("call", test::trace_a, "00000000000000a2")
          .parent("00000000000000a1")
          .kind(span_kind::client)
          .times(0, 5 * ms),
      span_builder("serve", test::trace_a, "00000000000000b1")
          .parent("00000000000000a2", /*remote=*/true)
          .kind(span_kind::server)
          .status(trace::status_code::error, "no\x1b[2J stock")
          .times(5 * ms, 10 * ms),
  };
  spans[0].resource_ptr = service("front");
  spans[1].resource_ptr = service("front");
  spans[2].resource_ptr = service("back");
  return spans;
}

render_options view_like() {
  render_options o;
  o.ascii = true;
  o.bar_width = 10;
  o.show_kinds = true;
  o.show_services = true;
  o.mark_errors = true;
  return o;
}

TEST(WaterfallOptions, ShowKindsServicesAndMarkErrorsWithAnEscapedMessage) {
  EXPECT_EQ(render_waterfall(two_services(), view_like()),
            "trace 4bf92f3577b34da6a3ce929d0e0e4736 (3 spans, 10.00 ms)\n"
            "GET / [server]        front  10.00 ms |##########|\n"
            "  call [client]       front   5.00 ms |#####     |\n"
            "    ! serve [server]  back    5.00 ms |     #####| error: \"no\\x1b[2J stock\"\n");
}

TEST(WaterfallOptions, LeaveOutTheServiceColumnWhenTheTraceHasOneService) {
  auto spans = two_services();
  spans[2].resource_ptr = service("front");
  const std::string out = render_waterfall(spans, view_like());
  EXPECT_EQ(out.find("front"), std::string::npos) << out;
  EXPECT_NE(out.find("  call [client]        5.00 ms |#####     |\n"), std::string::npos) << out;
}

TEST(WaterfallOptions, NestRemoteChildrenOnlyWhenAsked) {
  render_options o = view_like();
  o.nest_remote_children = false;
  const std::string out = render_waterfall(two_services(), o);
  // The server span starts a tree of its own, at depth 0.
  EXPECT_NE(out.find("\n! serve [server]"), std::string::npos) << out;
  EXPECT_EQ(render_tree(two_services()).find("(remote parent"), std::string::npos);
  o.show_attributes = false;
  EXPECT_NE(render_tree(two_services(), o).find("serve [server] 5.00 ms status=error"
                                                "(\"no\\x1b[2J stock\") (remote parent "
                                                "00000000000000a2)"),
            std::string::npos);
}

TEST(WaterfallOptions, ColourBarsPerServiceAndErrorsRed) {
  render_options o = view_like();
  o.colour = true;
  const std::string out = render_waterfall(two_services(), o);
  EXPECT_NE(out.find("GET / [server]        front  10.00 ms |\x1b[36m##########\x1b[0m|\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("    \x1b[31m! serve\x1b[0m [server]  back    5.00 ms |     "
                     "\x1b[32m#####\x1b[0m| \x1b[31merror: \"no\\x1b[2J stock\"\x1b[0m\n"),
            std::string::npos)
      << out;
  o.colour = false;
  EXPECT_EQ(render_waterfall(two_services(), o).find('\x1b'), std::string::npos);
}

TEST(WaterfallOptions, TotalWidthSizesTheBarToFillTheLine) {
  render_options o = view_like();
  o.total_width = 60;
  const std::string out = render_waterfall(two_services(), o);
  std::size_t line_start = out.find('\n') + 1;
  const std::string first = out.substr(line_start, out.find('\n', line_start) - line_start);
  EXPECT_EQ(first.size(), 60u) << first;
  // Never narrower than 10 cells.
  o.total_width = 5;
  EXPECT_NE(render_waterfall(two_services(), o).find("|##########|"), std::string::npos);
}

TEST(WaterfallOptions, StartTimeIsTheTracesStartInUtc) {
  render_options o = view_like();
  o.show_start_time = true;
  const std::string out = render_waterfall(two_services(), o);
  // span_builder's epoch, 1'700'000'000 s after 1970, is 2023-11-14 22:13:20 UTC.
  EXPECT_EQ(out.substr(0, out.find('\n')),
            "trace 4bf92f3577b34da6a3ce929d0e0e4736 (3 spans, 10.00 ms, "
            "2023-11-14T22:13:20.000000Z)");
  auto leap = two_services();
  for (auto& s : leap) {  // 2024-02-29T23:59:59.123456Z
    s.start_time_unix_nano = 1'709'251'199'123'456'789ULL;
    s.end_time_unix_nano = s.start_time_unix_nano + ms;
  }
  const std::string leap_out = render_waterfall(leap, o);
  EXPECT_NE(leap_out.find(", 2024-02-29T23:59:59.123456Z)\n"), std::string::npos) << leap_out;
}

TEST(WaterfallOptions, ControlCharactersInNamesCannotReachTheTerminal) {
  auto spans = two_services();
  spans[1].name = "evil\x1b]0;title\x07";
  const std::string out = render_waterfall(spans, view_like());
  EXPECT_EQ(out.find('\x1b'), std::string::npos) << out;
  EXPECT_NE(out.find("evil?]0;title?"), std::string::npos) << out;
}

TEST(WaterfallOptions, KeepTheKindWhenALongNameIsCut) {
  auto spans = two_services();
  spans[0].name = "a-very-long-name-that-does-not-fit";
  render_options o = view_like();
  o.max_name_width = 20;
  const std::string out = render_waterfall(spans, o);
  EXPECT_NE(out.find("\na-very-lon~ [server]  front"), std::string::npos) << out;
}

}  // namespace
}  // namespace ctxflow::exporters
