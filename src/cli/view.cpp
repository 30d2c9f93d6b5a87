// SPDX-License-Identifier: Apache-2.0
// `ctxflow view [options] FILE...`: OTLP JSON files as terminal waterfalls or one HTML page,
// filtered, or checked.
#include "cli/view.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cli/terminal_waterfall.hpp"
#include "ctxflow/exporters/console_exporter.hpp"
#include "ctxflow/viewer/html_page.hpp"
#include "ctxflow/viewer/otlp_reader.hpp"
#include "ctxflow/viewer/trace_check.hpp"
#include "ctxflow/viewer/trace_filter.hpp"

namespace ctxflow::cli {
namespace {

constexpr std::size_t default_width = 100;
constexpr std::size_t min_width = min_waterfall_width;
constexpr std::size_t max_width = max_waterfall_width;

void view_usage(std::FILE* to) {
  std::fprintf(
      to,
      "usage: ctxflow view [options] FILE...\n"
      "\n"
      "Reads OTLP JSON trace data (JSON lines as ctxflow's JSON-lines exporter and the\n"
      "OpenTelemetry Collector's file exporter write them, or one request per file, pretty-\n"
      "printed or not; `-` is standard input) and prints one waterfall per trace: spans in\n"
      "tree order with kind, duration and a bar, the service of each span when the trace\n"
      "has more than one, errors marked with `!`. Input that cannot be read is reported on\n"
      "standard error as FILE:LINE: message; everything readable is still shown.\n"
      "\n"
      "filters (whole traces are kept; given together, all must hold):\n"
      "  --trace ID          the trace with this id (32 hex digits, or a prefix of it)\n"
      "  --service NAME      traces with a span of service NAME (resource service.name)\n"
      "  --name TEXT         traces with a span whose name contains TEXT\n"
      "  --min-duration D    traces lasting at least D (a number and a unit: ns, us, ms,\n"
      "                      s; e.g. 250us, 5ms, 1.5s)\n"
      "  --errors            traces with a span whose status is error\n"
      "\n"
      "checking:\n"
      "  --check             instead of drawing, check each selected trace: exactly one\n"
      "                      root, no orphans, no parent in another trace, children within\n"
      "                      their parent's time window, unique span ids, no span ending\n"
      "                      before it starts; prints each problem on standard output\n"
      "  --skew D            with --check: how far a child may lie outside its parent's\n"
      "                      window (default 5ms)\n"
      "\n"
      "output:\n"
      "  --html OUT          instead of drawing, write the selected traces to OUT as one\n"
      "                      self-contained HTML page (trace list, waterfalls, span\n"
      "                      details, search; it opens from disk)\n"
      "  --ascii             plain ASCII: '#' bars, 'us', '~' for cut names\n"
      "  --colour WHEN       auto, always or never (also --color); auto: standard output\n"
      "                      is a terminal, TERM is set and not `dumb`, NO_COLOR is unset\n"
      "  --width N           line width, %zu to %zu (default: the terminal's width when\n"
      "                      standard output is a terminal, else %zu)\n"
      "  -h, --help          print this text and exit\n"
      "\n"
      "exit status: 0 shown (or checked without a problem), also when no trace matches;\n"
      "1 with --check: a trace has a problem or some input could not be read (also:\n"
      "writing the output failed); 2 bad command line, or no input could be read at all\n",
      min_width, max_width, default_width);
}

enum class colour_choice : std::uint8_t { automatic, always, never };

struct view_args {
  std::vector<std::string> files;
  viewer::trace_filter filter;
  bool check = false;
  std::uint64_t skew_ns = viewer::check_options{}.skew_tolerance_ns;
  bool skew_given = false;
  bool ascii = false;
  colour_choice colour = colour_choice::automatic;
  std::size_t width = 0;  // 0: not given
  std::string html;       // --html OUT; empty: not given
};

// Returns an exit code when the command line ends the run (help, or a bad command line).
int parse_view_args(int argc, char** argv, view_args& a, bool& done) {
  done = false;
  auto bad = [&](const char* what, const char* arg) {
    std::fprintf(stderr, "ctxflow view: %s '%s' (see `ctxflow view --help`)\n", what, arg);
    done = true;
    return 2;
  };
  bool files_only = false;
  for (int i = 0; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (files_only || arg == "-" || arg.empty() || arg[0] != '-') {
      a.files.emplace_back(arg);
      continue;
    }
    if (arg == "--") {
      files_only = true;
      continue;
    }
    if (arg == "-h" || arg == "--help") {
      view_usage(stdout);
      done = true;
      return 0;
    }
    if (arg == "--check") {
      a.check = true;
      continue;
    }
    if (arg == "--errors") {
      a.filter.errors_only = true;
      continue;
    }
    if (arg == "--ascii") {
      a.ascii = true;
      continue;
    }
    const bool takes_value = arg == "--trace" || arg == "--service" || arg == "--name" ||
                             arg == "--min-duration" || arg == "--skew" || arg == "--colour" ||
                             arg == "--color" || arg == "--width" || arg == "--html";
    if (!takes_value) return bad("unknown option", argv[i]);
    if (i + 1 >= argc) return bad("option needs a value:", argv[i]);
    const std::string_view value = argv[++i];
    if (arg == "--trace") {
      if (!viewer::is_trace_id_prefix(value))
        return bad("--trace wants 1 to 32 hex digits, not", argv[i]);
      a.filter.trace_id = value;
    } else if (arg == "--html") {
      if (value.empty() || value == "-") return bad("--html wants a file name, not", argv[i]);
      a.html = value;
    } else if (arg == "--service") {
      a.filter.service = value;
    } else if (arg == "--name") {
      a.filter.name_contains = value;
    } else if (arg == "--min-duration") {
      if (!viewer::parse_duration(value, a.filter.min_duration_ns))
        return bad("--min-duration wants a duration such as 5ms, not", argv[i]);
    } else if (arg == "--skew") {
      if (!viewer::parse_duration(value, a.skew_ns))
        return bad("--skew wants a duration such as 5ms, not", argv[i]);
      a.skew_given = true;
    } else if (arg == "--colour" || arg == "--color") {
      if (value == "auto") {
        a.colour = colour_choice::automatic;
      } else if (value == "always") {
        a.colour = colour_choice::always;
      } else if (value == "never") {
        a.colour = colour_choice::never;
      } else {
        return bad("--colour wants auto, always or never, not", argv[i]);
      }
    } else {  // --width
      std::size_t n = 0;
      const char* first = value.data();
      const char* last = first + value.size();
      auto [end, ec] = std::from_chars(first, last, n);
      if (ec != std::errc{} || end != last || n < min_width || n > max_width)
        return bad("--width wants a number from 40 to 1000, not", argv[i]);
      a.width = n;
    }
  }
  if (a.files.empty()) {
    std::fprintf(stderr, "ctxflow view: no input file (use `-` for standard input; see "
                         "`ctxflow view --help`)\n");
    done = true;
    return 2;
  }
  if (a.skew_given && !a.check) {
    std::fprintf(stderr, "ctxflow view: --skew is an option of --check\n");
    done = true;
    return 2;
  }
  return 0;
}

bool colour_wanted(colour_choice choice) {
  if (choice != colour_choice::automatic) return choice == colour_choice::always;
  if (!stdout_is_terminal()) return false;
  const char* term = std::getenv("TERM");
  if (term == nullptr || *term == '\0' || std::strcmp(term, "dumb") == 0) return false;
  return std::getenv("NO_COLOR") == nullptr;
}

std::size_t output_width(std::size_t given) {
  return given != 0 ? given : terminal_width(default_width);
}

// How many traces `spans` hold.
std::size_t count_traces(const std::vector<sdk::span_data>& spans) {
  std::set<std::array<std::uint8_t, 16>> ids;
  for (const sdk::span_data& s : spans) ids.insert(s.context.trace.bytes);
  return ids.size();
}

// The spans grouped per trace, traces in order of their earliest start (then trace id).
std::vector<std::vector<sdk::span_data>> by_trace(std::vector<sdk::span_data> spans) {
  std::map<std::array<std::uint8_t, 16>, std::vector<sdk::span_data>> groups;
  for (sdk::span_data& s : spans) groups[s.context.trace.bytes].push_back(std::move(s));
  std::vector<std::vector<sdk::span_data>> out;
  for (auto& entry : groups) out.push_back(std::move(entry.second));
  auto start = [](const std::vector<sdk::span_data>& t) {
    std::uint64_t m = t.front().start_time_unix_nano;
    for (const sdk::span_data& s : t) m = std::min(m, s.start_time_unix_nano);
    return m;
  };
  std::stable_sort(out.begin(), out.end(), [&](const auto& a, const auto& b) {
    return start(a) < start(b);
  });
  return out;
}

// `text` with control characters (which could drive the terminal) shown as `?`.
std::string printable(std::string text) {
  for (char& ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F) ch = '?';
  }
  return text;
}

// Writes the page for `spans` to `path` through a temporary file renamed over it, so a reader
// never sees half a page; false (with a message on stderr) when it cannot.
bool write_page(const std::string& path, const std::vector<sdk::span_data>& spans) {
  const std::string page = viewer::render_html_page(spans);
  const std::string temporary = path + ".tmp";
  std::FILE* f = std::fopen(temporary.c_str(), "wb");
  bool ok = f != nullptr;
  if (ok) {
    ok = std::fwrite(page.data(), 1, page.size(), f) == page.size();
    ok = (std::fclose(f) == 0) && ok;
  }
  if (ok) ok = std::rename(temporary.c_str(), path.c_str()) == 0;
  if (!ok) {
    const int error = errno;
    std::remove(temporary.c_str());
    std::fprintf(stderr, "ctxflow view: cannot write %s: %s\n", printable(path).c_str(),
                 std::strerror(error));
  }
  return ok;
}

bool write_all(const std::string& text) {
  return std::fwrite(text.data(), 1, text.size(), stdout) == text.size();
}

}  // namespace

int run_view(int argc, char** argv) {
  view_args args;
  bool done = false;
  const int code = parse_view_args(argc, argv, args, done);
  if (done) return code;

  viewer::read_result read = viewer::read_otlp_json_files(args.files);
  for (const viewer::read_problem& p : read.problems) {
    if (p.line == 0) {
      std::fprintf(stderr, "%s: %s\n", printable(p.source).c_str(),
                   printable(p.message).c_str());
    } else {
      std::fprintf(stderr, "%s:%zu: %s\n", printable(p.source).c_str(), p.line,
                   printable(p.message).c_str());
    }
  }
  if (read.documents == 0 && !read.problems.empty()) {
    std::fprintf(stderr, "ctxflow view: no input could be read\n");
    return 2;
  }

  const bool had_spans = !read.spans.empty();
  std::vector<sdk::span_data> spans = viewer::filter_traces(std::move(read.spans), args.filter);
  if (!args.html.empty()) {
    if (!write_page(args.html, spans)) return 1;
    if (!args.check) {
      const std::size_t trace_count = count_traces(spans);
      std::printf("wrote %s: %zu trace%s, %zu span%s\n", printable(args.html).c_str(),
                  trace_count, trace_count == 1 ? "" : "s", spans.size(),
                  spans.size() == 1 ? "" : "s");
      return std::fflush(stdout) == 0 ? 0 : 1;
    }
  }
  if (args.check) {
    viewer::check_options options;
    options.skew_tolerance_ns = args.skew_ns;
    const std::size_t span_count = spans.size();
    const std::size_t trace_count = count_traces(spans);
    std::string text;
    std::size_t problems = 0;
    // All selected spans at once, so that a parent in another trace is told from an orphan.
    for (const viewer::trace_problem& p : viewer::check_traces(spans, options)) {
      text += viewer::to_string(p);
      text += '\n';
      ++problems;
    }
    text += "checked " + std::to_string(trace_count) +
            (trace_count == 1 ? " trace (" : " traces (") + std::to_string(span_count) +
            (span_count == 1 ? " span): " : " spans): ");
    if (problems == 0) {
      text += "ok";
    } else {
      text += std::to_string(problems) + (problems == 1 ? " problem" : " problems");
    }
    if (!read.problems.empty()) {
      text += ", " + std::to_string(read.problems.size()) + " unreadable input" +
              (read.problems.size() == 1 ? "" : "s");
    }
    text += '\n';
    const bool written = write_all(text) && std::fflush(stdout) == 0;
    return (problems == 0 && read.problems.empty() && written) ? 0 : 1;
  }

  const auto traces = by_trace(std::move(spans));
  if (traces.empty()) {
    std::fprintf(stderr, had_spans ? "ctxflow view: no trace matches the filters\n"
                                   : "ctxflow view: no spans in the input\n");
    return 0;
  }

  const exporters::render_options render =
      terminal_waterfall_options(args.ascii, colour_wanted(args.colour), output_width(args.width));
  bool first = true;
  for (const auto& t : traces) {
    std::string text = first ? std::string() : std::string("\n");
    first = false;
    text += exporters::render_waterfall(std::span<const sdk::span_data>(t), render);
    if (!write_all(text)) break;
  }
  if (std::fflush(stdout) != 0) {
    std::fprintf(stderr, "ctxflow view: writing to standard output failed\n");
    return 1;
  }
  return 0;
}

}  // namespace ctxflow::cli
