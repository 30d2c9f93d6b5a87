// SPDX-License-Identifier: Apache-2.0
// render_tree, render_waterfall and format_duration: the shared text renderings of spans.
#include "span_rendering.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <string_view>
#include <type_traits>
#include <variant>

#include "base/hex.hpp"
#include "ctxflow/sdk/resource.hpp"

namespace ctxflow::exporters {
namespace detail {
namespace {

constexpr std::string_view utf8_block = "\xe2\x96\x88";     // U+2588 FULL BLOCK
constexpr std::string_view utf8_ellipsis = "\xe2\x80\xa6";  // U+2026 HORIZONTAL ELLIPSIS

std::uint64_t duration_of(const sdk::span_data& s) noexcept {
  return s.end_time_unix_nano > s.start_time_unix_nano
             ? s.end_time_unix_nano - s.start_time_unix_nano
             : 0;
}

// Siblings and roots: earlier start first; ties broken by name, then span id, so that the
// output does not depend on the order spans were exported in.
bool span_before(const sdk::span_data* a, const sdk::span_data* b) noexcept {
  if (a->start_time_unix_nano != b->start_time_unix_nano)
    return a->start_time_unix_nano < b->start_time_unix_nano;
  if (a->name != b->name) return a->name < b->name;
  return a->context.span.bytes < b->context.span.bytes;
}

template <std::size_t N>
std::string hex(const trace::detail::id_bytes<N>& id) {
  const auto h = id.to_hex();
  return std::string(h.data(), h.size());
}

const char* kind_name(trace::span_kind k) noexcept {
  switch (k) {
    case trace::span_kind::internal:
      return "internal";
    case trace::span_kind::server:
      return "server";
    case trace::span_kind::client:
      return "client";
    case trace::span_kind::producer:
      return "producer";
    case trace::span_kind::consumer:
      return "consumer";
  }
  return "unknown";
}

// Display width in terminal cells, counting code points (every non-continuation byte).
std::size_t display_width(std::string_view s) noexcept {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

// The first `cells` code points of `s`.
std::string_view prefix_cells(std::string_view s, std::size_t cells) noexcept {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (n == cells) return s.substr(0, i);
      ++n;
    }
  }
  return s;
}

void append_quoted(std::string& out, std::string_view v, const render_options& o) {
  const bool cut = display_width(v) > o.max_value_length;
  if (cut) v = prefix_cells(v, o.max_value_length);
  out += '"';
  for (char ch : v) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          char esc[4] = {'\\', 'x'};
          internal::encode_hex_byte(static_cast<std::uint8_t>(c), esc + 2);
          out.append(esc, 4);
        } else {
          out += ch;
        }
    }
  }
  if (cut) out += o.ascii ? std::string_view("...") : utf8_ellipsis;
  out += '"';
}

void append_scalar(std::string& out, bool v, const render_options&) { out += v ? "true" : "false"; }
void append_scalar(std::string& out, std::int64_t v, const render_options&) {
  out += std::to_string(v);
}
void append_scalar(std::string& out, double v, const render_options&) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}
void append_scalar(std::string& out, const std::string& v, const render_options& o) {
  append_quoted(out, v, o);
}

constexpr std::size_t max_array_elements = 8;

void append_value(std::string& out, const sdk::attribute_value& value, const render_options& o) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, sdk::byte_string>) {
          out += "0x";
          const std::size_t n = std::min(v.data.size(), o.max_value_length / 2 + 1);
          const std::size_t at = out.size();
          out.resize(at + 2 * n);
          internal::encode_lower_hex(v.data.data(), n, out.data() + at);
          if (n < v.data.size()) out += o.ascii ? std::string_view("...") : utf8_ellipsis;
        } else if constexpr (std::is_same_v<T, std::vector<bool>>) {
          out += '[';
          for (std::size_t i = 0; i < v.size() && i < max_array_elements; ++i) {
            if (i) out += ", ";
            append_scalar(out, static_cast<bool>(v[i]), o);
          }
          if (v.size() > max_array_elements) out += o.ascii ? ", ..." : ", \xe2\x80\xa6";
          out += ']';
        } else if constexpr (std::is_same_v<T, std::vector<std::int64_t>> ||
                             std::is_same_v<T, std::vector<double>> ||
                             std::is_same_v<T, std::vector<std::string>>) {
          out += '[';
          for (std::size_t i = 0; i < v.size() && i < max_array_elements; ++i) {
            if (i) out += ", ";
            append_scalar(out, v[i], o);
          }
          if (v.size() > max_array_elements) out += o.ascii ? ", ..." : ", \xe2\x80\xa6";
          out += ']';
        } else {
          append_scalar(out, v, o);
        }
      },
      value);
}

// The resource's `service.name`, or empty.
std::string service_of(const sdk::span_data& s) {
  if (!s.resource_ptr) return {};
  return std::string(sdk::find_string_attribute(*s.resource_ptr, "service.name").value_or(""));
}

// `s` with control characters (which could move the cursor or change colours) shown as `?`.
std::string printable(std::string_view s) {
  std::string out(s);
  for (char& ch : out) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F) ch = '?';
  }
  return out;
}

// ISO 8601 in UTC with microseconds, computed from the value alone (no locale, no time zone).
std::string format_utc(std::uint64_t unix_nano) {
  const std::uint64_t secs = unix_nano / 1'000'000'000;
  const auto micros = static_cast<unsigned>((unix_nano % 1'000'000'000) / 1'000);
  // Days to civil date (proleptic Gregorian), after H. Hinnant's published algorithm.
  const std::int64_t z = static_cast<std::int64_t>(secs / 86'400) + 719'468;
  const std::int64_t era = z / 146'097;
  const std::int64_t doe = z - era * 146'097;
  const std::int64_t yoe = (doe - doe / 1'460 + doe / 36'524 - doe / 146'096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const std::uint64_t sod = secs % 86'400;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02u:%02u:%02u.%06uZ",
                static_cast<long long>(year), static_cast<long long>(month),
                static_cast<long long>(day), static_cast<unsigned>(sod / 3600),
                static_cast<unsigned>(sod / 60 % 60), static_cast<unsigned>(sod % 60), micros);
  return buf;
}

// Bar colours per service (SGR foreground); red is kept for errors.
constexpr std::array<std::string_view, 10> bar_colours = {
    "\x1b[36m", "\x1b[32m", "\x1b[33m", "\x1b[34m", "\x1b[35m",
    "\x1b[96m", "\x1b[92m", "\x1b[93m", "\x1b[94m", "\x1b[95m"};

std::string trace_header(const trace_rows& t, const render_options& o, bool continued) {
  std::string out = "trace ";
  out += hex(t.id);
  out += continued ? " (continued, " : " (";
  out += std::to_string(t.rows.size());
  out += t.rows.size() == 1 ? " span, " : " spans, ";
  out += format_duration(t.end - t.start, o.ascii);
  out += ")\n";
  return out;
}

bool has_missing_parent(const trace_rows& t) noexcept {
  for (const row& r : t.rows)
    if (r.kind == row_kind::orphan) return true;
  return false;
}

}  // namespace

std::vector<trace_rows> build_forest(const std::vector<const sdk::span_data*>& spans,
                                     bool nest_remote) {
  std::map<std::array<std::uint8_t, 16>, std::vector<const sdk::span_data*>> by_trace;
  for (const sdk::span_data* s : spans)
    if (s) by_trace[s->context.trace.bytes].push_back(s);

  std::vector<trace_rows> traces;
  traces.reserve(by_trace.size());
  for (auto& entry : by_trace) {
    const std::array<std::uint8_t, 16>& key = entry.first;
    std::vector<const sdk::span_data*>& members = entry.second;
    std::sort(members.begin(), members.end(), span_before);
    trace_rows t;
    t.id.bytes = key;
    t.start = members.front()->start_time_unix_nano;
    t.end = 0;
    for (const sdk::span_data* s : members) {
      t.start = std::min(t.start, s->start_time_unix_nano);
      t.end = std::max({t.end, s->end_time_unix_nano, s->start_time_unix_nano});
    }

    const std::size_t n = members.size();
    std::map<std::array<std::uint8_t, 8>, std::size_t> index;  // span id -> first member
    for (std::size_t i = 0; i < n; ++i) index.emplace(members[i]->context.span.bytes, i);

    std::vector<std::vector<std::size_t>> children(n);
    std::vector<row_kind> kinds(n, row_kind::root);
    for (std::size_t i = 0; i < n; ++i) {
      const sdk::span_data& s = *members[i];
      if (!s.parent_span_id.valid()) continue;
      auto it = index.find(s.parent_span_id.bytes);
      if (it != index.end() && it->second != i && (nest_remote || !s.parent_is_remote)) {
        children[it->second].push_back(i);  // members are sorted, so siblings stay in order
        kinds[i] = row_kind::child;
      } else {
        kinds[i] = s.parent_is_remote ? row_kind::remote : row_kind::orphan;
      }
    }

    // Depth-first without recursion (a long parent chain must not exhaust the stack). A child
    // reachable twice (duplicate span ids) is printed once; spans left unvisited sit on a parent
    // cycle and are printed as orphans.
    std::vector<bool> visited(n, false);
    std::vector<std::pair<std::size_t, std::size_t>> stack;  // (member, depth)
    auto walk = [&](std::size_t root, row_kind kind) {
      stack.push_back({root, 0});
      visited[root] = true;
      bool first = true;
      while (!stack.empty()) {
        auto [i, depth] = stack.back();
        stack.pop_back();
        t.rows.push_back({members[i], depth, first ? kind : row_kind::child});
        first = false;
        for (auto c = children[i].rbegin(); c != children[i].rend(); ++c) {
          if (visited[*c]) continue;
          visited[*c] = true;
          stack.push_back({*c, depth + 1});
        }
      }
    };
    for (std::size_t i = 0; i < n; ++i)
      if (kinds[i] != row_kind::child) walk(i, kinds[i]);
    for (std::size_t i = 0; i < n; ++i)
      if (!visited[i]) walk(i, row_kind::orphan);
    traces.push_back(std::move(t));
  }
  std::stable_sort(traces.begin(), traces.end(),
                   [](const trace_rows& a, const trace_rows& b) { return a.start < b.start; });
  return traces;
}

std::string render_tree_rows(const std::vector<trace_rows>& traces, const render_options& o,
                             missing_parent missing) {
  std::string out;
  for (const trace_rows& t : traces) {
    out += trace_header(t, o, missing == missing_parent::continuation && has_missing_parent(t));
    for (const row& r : t.rows) {
      const sdk::span_data& s = *r.span;
      out.append(2 * (r.depth + 1), ' ');
      if (r.kind == row_kind::orphan && missing == missing_parent::orphan) out += "? ";
      out += s.name;
      out += " [";
      out += kind_name(s.kind);
      out += "] ";
      out += format_duration(duration_of(s), o.ascii);
      if (s.status.code == trace::status_code::ok) {
        out += " status=ok";
      } else if (s.status.code == trace::status_code::error) {
        out += " status=error";
        if (!s.status.message.empty()) {
          out += '(';
          append_quoted(out, s.status.message, o);
          out += ')';
        }
      }
      if (o.show_attributes) {
        std::size_t shown = 0;
        for (const sdk::attribute& a : s.attributes) {
          if (shown == o.max_attributes) break;
          out += ' ';
          out += a.key;
          out += '=';
          append_value(out, a.value, o);
          ++shown;
        }
        if (shown < s.attributes.size()) {
          out += " +";
          out += std::to_string(s.attributes.size() - shown);
          out += " more";
        }
      }
      if (!s.events.empty()) {
        out += " events=";
        out += std::to_string(s.events.size());
      }
      if (!s.links.empty()) {
        out += " links=";
        if (o.show_ids) {
          out += '[';
          for (std::size_t i = 0; i < s.links.size(); ++i) {
            if (i) out += ", ";
            out += hex(s.links[i].context.span);
          }
          out += ']';
        } else {
          out += std::to_string(s.links.size());
        }
      }
      if (o.show_ids) {
        out += " #";
        out += hex(s.context.span);
      }
      if (r.kind == row_kind::remote) {
        out += " (remote parent ";
        out += hex(s.parent_span_id);
        out += ')';
      } else if (r.kind == row_kind::orphan) {
        out += missing == missing_parent::orphan ? " (orphan: parent " : " (parent ";
        out += hex(s.parent_span_id);
        out += missing == missing_parent::orphan ? " not recorded)" : " printed earlier)";
      }
      out += '\n';
    }
  }
  return out;
}

std::string render_waterfall_rows(const std::vector<trace_rows>& traces, const render_options& o,
                                  missing_parent missing) {
  const std::string_view cell = o.ascii ? std::string_view("#") : utf8_block;
  const std::string_view cut_mark = o.ascii ? std::string_view("~") : utf8_ellipsis;
  const std::size_t name_limit = std::max<std::size_t>(o.max_name_width, 4);
  std::string out;
  for (const trace_rows& t : traces) {
    std::string header = trace_header(t, o, missing == missing_parent::continuation &&
                                                 has_missing_parent(t));
    if (o.show_start_time) {
      header.pop_back();  // newline
      header.pop_back();  // ')'
      header += ", ";
      header += format_utc(t.start);
      header += ")\n";
    }
    out += header;

    // Services in order of first appearance (rows are in tree order).
    std::vector<std::string> services;
    std::vector<std::size_t> service_index;
    for (const row& r : t.rows) {
      std::string name = service_of(*r.span);
      auto at = std::find(services.begin(), services.end(), name);
      service_index.push_back(static_cast<std::size_t>(at - services.begin()));
      if (at == services.end()) services.push_back(std::move(name));
    }
    const bool service_column = o.show_services && services.size() > 1;

    std::vector<std::string> labels;  // with colour escapes
    std::vector<std::size_t> label_cells;
    std::vector<std::string> durations;
    std::size_t name_col = 0;
    std::size_t dur_col = 0;
    std::size_t service_col = 0;
    for (const row& r : t.rows) {
      const sdk::span_data& s = *r.span;
      const bool failed = o.mark_errors && s.status.code == trace::status_code::error;
      std::string prefix(2 * r.depth, ' ');
      if (r.kind == row_kind::orphan && missing == missing_parent::orphan) prefix += "? ";
      const std::string_view mark = failed ? std::string_view("! ") : std::string_view();
      std::string name = printable(s.name);
      std::string suffix;
      if (o.show_kinds) {
        suffix = " [";
        suffix += kind_name(s.kind);
        suffix += ']';
      }
      const std::size_t fixed = display_width(prefix) + mark.size() + suffix.size();
      std::string label;
      if (fixed + display_width(name) <= name_limit || fixed + 2 <= name_limit) {
        if (fixed + display_width(name) > name_limit) {
          std::string cut(prefix_cells(name, name_limit - fixed - 1));
          cut += cut_mark;
          name = std::move(cut);
        }
        label = prefix;
        if (failed && o.colour) label += "\x1b[31m";
        label += mark;
        label += name;
        if (failed && o.colour) label += "\x1b[0m";
        label += suffix;
        label_cells.push_back(fixed + display_width(name));
      } else {  // deep indentation leaves no room: cut the whole line, plainly
        std::string plain = prefix;
        plain += mark;
        plain += name;
        plain += suffix;
        label = prefix_cells(plain, name_limit - 1);
        label += cut_mark;
        label_cells.push_back(name_limit);
      }
      name_col = std::max(name_col, label_cells.back());
      labels.push_back(std::move(label));
      durations.push_back(format_duration(duration_of(s), o.ascii));
      dur_col = std::max(dur_col, display_width(durations.back()));
    }
    std::vector<std::string> service_names;
    if (service_column) {
      for (const std::string& name : services) {
        service_names.push_back(name.empty() ? std::string("?") : printable(name));
        service_col = std::max(service_col, display_width(service_names.back()));
      }
    }

    std::size_t bar_width = std::max<std::size_t>(o.bar_width, 1);
    if (o.total_width != 0) {
      const std::size_t used = name_col + 2 + (service_column ? service_col + 2 : 0) + dur_col + 3;
      bar_width = o.total_width > used + 10 ? o.total_width - used : 10;
    }

    __extension__ typedef unsigned __int128 wide;
    const std::uint64_t total = t.end - t.start;
    for (std::size_t i = 0; i < t.rows.size(); ++i) {
      const sdk::span_data& s = *t.rows[i].span;
      out += labels[i];
      out.append(name_col - label_cells[i] + 2, ' ');
      if (service_column) {
        const std::string& name = service_names[service_index[i]];
        out += name;
        out.append(service_col - display_width(name) + 2, ' ');
      }
      out.append(dur_col - display_width(durations[i]), ' ');
      out += durations[i];
      out += " |";
      std::size_t begin = 0;
      std::size_t end = bar_width;
      if (total != 0) {
        const std::uint64_t offset = s.start_time_unix_nano - t.start;
        const std::uint64_t stop = offset + duration_of(s);
        begin = static_cast<std::size_t>(wide{offset} * bar_width / total);
        end = static_cast<std::size_t>((wide{stop} * bar_width + total - 1) / total);
        end = std::min(end, bar_width);
        if (begin >= bar_width) begin = bar_width - 1;
        if (end <= begin) end = begin + 1;
      }
      out.append(begin, ' ');
      if (o.colour) out += bar_colours[service_index[i] % bar_colours.size()];
      for (std::size_t c = begin; c < end; ++c) out += cell;
      if (o.colour) out += "\x1b[0m";
      out.append(bar_width - end, ' ');
      out += '|';
      if (o.mark_errors && s.status.code == trace::status_code::error) {
        out += ' ';
        if (o.colour) out += "\x1b[31m";
        out += "error";
        if (!s.status.message.empty()) {
          out += ": ";
          append_quoted(out, s.status.message, o);
        }
        if (o.colour) out += "\x1b[0m";
      }
      out += '\n';
    }
  }
  return out;
}

}  // namespace detail

namespace {

std::vector<const sdk::span_data*> pointers(std::span<const sdk::span_data> spans) {
  std::vector<const sdk::span_data*> out;
  out.reserve(spans.size());
  for (const sdk::span_data& s : spans) out.push_back(&s);
  return out;
}

}  // namespace

std::string format_duration(std::uint64_t ns, bool ascii) {
  char buf[48];
  if (ns < 1'000) {
    std::snprintf(buf, sizeof buf, "%" PRIu64 " ns", ns);
  } else if (ns < 1'000'000) {
    std::snprintf(buf, sizeof buf, "%.1f %s", static_cast<double>(ns) / 1e3,
                  ascii ? "us" : "\xc2\xb5s");
  } else if (ns < 1'000'000'000) {
    std::snprintf(buf, sizeof buf, "%.2f ms", static_cast<double>(ns) / 1e6);
  } else {
    std::snprintf(buf, sizeof buf, "%.3f s", static_cast<double>(ns) / 1e9);
  }
  return buf;
}

std::string render_tree(std::span<const sdk::span_data> spans, const render_options& options) {
  return detail::render_tree_rows(
      detail::build_forest(pointers(spans), options.nest_remote_children), options,
      detail::missing_parent::orphan);
}

std::string render_tree(std::span<const sdk::span_data* const> spans,
                        const render_options& options) {
  return detail::render_tree_rows(
      detail::build_forest(std::vector<const sdk::span_data*>(spans.begin(), spans.end()),
                           options.nest_remote_children), options,
      detail::missing_parent::orphan);
}

std::string render_waterfall(std::span<const sdk::span_data> spans, const render_options& options) {
  return detail::render_waterfall_rows(
      detail::build_forest(pointers(spans), options.nest_remote_children), options,
      detail::missing_parent::orphan);
}

std::string render_waterfall(std::span<const sdk::span_data* const> spans,
                             const render_options& options) {
  return detail::render_waterfall_rows(
      detail::build_forest(std::vector<const sdk::span_data*>(spans.begin(), spans.end()),
                           options.nest_remote_children), options,
      detail::missing_parent::orphan);
}

}  // namespace ctxflow::exporters
