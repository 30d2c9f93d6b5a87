// SPDX-License-Identifier: Apache-2.0
// make_page: writes the HTML viewer page (render_html_page) for OTLP JSON files, and what a
// browser should find on it, for check_page.mjs.
//
//   make_page OUT.html [--expect EXPECT.json] FILE...
//   make_page OUT.html [--expect EXPECT.json] --sample
//   make_page OUT.html [--expect EXPECT.json] --sample-large
//
// --sample makes the page for built-in spans instead of files: two traces over two services, a
// link from one to the other, an error with an event, names and attributes holding markup and
// `</script>`, and a Content-Security-Policy nonce on the page. --sample-large makes 300 traces
// of 10 spans and one of 5,000 spans (a random tree, fixed seed) over 3 services.
//
// EXPECT.json names the trace with the most spans, its spans in tree order (children by start
// time under their parent, a span whose parent is not in the trace at the top) with their
// depths, a span to click with one of its attributes, and searches with the number of traces
// each keeps and of rows it highlights, all worked out here from the spans independently of the
// page's script. Exit status 0, or 1 with a message when a file cannot be read.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "ctxflow/viewer/html_page.hpp"
#include "ctxflow/viewer/otlp_reader.hpp"

namespace {

using ctxflow::sdk::attribute;
using ctxflow::sdk::span_data;

std::string hex(const auto& bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (auto b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// An attribute's value as the page shows it, for the simple types the page writes plainly.
bool plain_value(const attribute& a, std::string& out) {
  if (const auto* s = std::get_if<std::string>(&a.value)) {
    out = *s;
  } else if (const auto* i = std::get_if<std::int64_t>(&a.value)) {
    out = std::to_string(*i);
  } else if (const auto* b = std::get_if<bool>(&a.value)) {
    out = *b ? "true" : "false";
  } else {
    return false;
  }
  return true;
}

std::string lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

bool has_attribute(const span_data& s, const std::string& key, const std::string& value) {
  const auto matches = [&](const std::vector<attribute>& list) {
    return std::any_of(list.begin(), list.end(), [&](const attribute& a) {
      std::string v;
      return a.key == key && plain_value(a, v) && v == value;
    });
  };
  return matches(s.attributes) || (s.resource_ptr && matches(s.resource_ptr->attributes));
}

// The page's text search: the name, an attribute key or an attribute value holds the text,
// case-insensitively. Only plain values are compared; the texts searched here hold no digits
// of a number or array the page would show differently.
bool has_text(const span_data& s, const std::string& text) {
  const std::string needle = lower(text);
  if (lower(s.name).find(needle) != std::string::npos) return true;
  return std::any_of(s.attributes.begin(), s.attributes.end(), [&](const attribute& a) {
    std::string v;
    return lower(a.key).find(needle) != std::string::npos ||
           (plain_value(a, v) && lower(v).find(needle) != std::string::npos);
  });
}

// Two traces: "checkout" (three spans, the client span failed, its child links to the second
// trace) and "<b>bold</b></script>" (one span), from two services.
std::vector<span_data> sample_spans() {
  using namespace ctxflow;
  auto shop = std::make_shared<sdk::resource>();
  shop->attributes.push_back({"service.name", std::string("shop")});
  auto pay = std::make_shared<sdk::resource>();
  pay->attributes.push_back({"service.name", std::string("pay<ment>")});
  auto scope = std::make_shared<sdk::instrumentation_scope>();
  scope->name = "sample";
  scope->version = "1.0";
  const auto t1 = trace::trace_id::from_hex("5b8efff798038103d269b633813fc60c");
  const auto t2 = trace::trace_id::from_hex("0af7651916cd43dd8448eb211c80319c");
  const std::uint64_t at = 1'700'000'000'000'000'000ULL;
  const auto make = [&](trace::trace_id t, const char* id, const char* parent, std::string name,
                        std::uint64_t from_ms, std::uint64_t to_ms, auto resource) {
    span_data s;
    s.context.trace = t;
    s.context.span = trace::span_id::from_hex(id);
    if (parent) s.parent_span_id = trace::span_id::from_hex(parent);
    s.name = std::move(name);
    s.start_time_unix_nano = at + from_ms * 1'000'000;
    s.end_time_unix_nano = at + to_ms * 1'000'000;
    s.resource_ptr = resource;
    s.scope_ptr = scope;
    return s;
  };
  std::vector<span_data> spans;
  spans.push_back(make(t1, "eee19b7ec3c1b174", "eee19b7ec3c1b173", "charge </script><script>alert(1)</script>", 12, 30, pay));
  spans.back().kind = trace::span_kind::server;
  spans.back().attributes.push_back({"payment.method", std::string("card<!--")});
  spans.back().links.push_back({});
  spans.back().links.back().context.trace = t2;
  spans.back().links.back().context.span = trace::span_id::from_hex("b7ad6b7169203331");
  spans.push_back(make(t1, "eee19b7ec3c1b173", "eee19b7ec3c1b172", "POST /pay", 10, 32, shop));
  spans.back().kind = trace::span_kind::client;
  spans.back().status = {trace::status_code::error, "HTTP 502"};
  spans.back().events.push_back({"exception", at + 31'000'000, {{"exception.type", std::string("timeout")}}, 0});
  spans.push_back(make(t1, "eee19b7ec3c1b172", nullptr, "checkout", 0, 40, shop));
  spans.back().kind = trace::span_kind::server;
  spans.push_back(make(t2, "b7ad6b7169203331", nullptr, "<b>bold</b></script>", 100, 105, shop));
  spans.back().attributes.push_back({"note", std::string("\u2028 \xE2\x80\xA8")});
  return spans;
}

std::vector<span_data> large_sample_spans() {
  using namespace ctxflow;
  std::vector<std::shared_ptr<sdk::resource>> services;
  for (const char* name : {"frontend", "orders", "billing"}) {
    services.push_back(std::make_shared<sdk::resource>());
    services.back()->attributes.push_back({"service.name", std::string(name)});
  }
  auto scope = std::make_shared<sdk::instrumentation_scope>();
  scope->name = "sample.large";
  std::uint64_t seed = 0x9e3779b97f4a7c15ULL;
  const auto next = [&seed] {  // xorshift64*: the same spans on every run
    seed ^= seed >> 12;
    seed ^= seed << 25;
    seed ^= seed >> 27;
    return seed * 0x2545f4914f6cdd1dULL;
  };
  const std::uint64_t at = 1'700'000'000'000'000'000ULL;
  std::vector<span_data> spans;
  for (int t = 0; t < 301; ++t) {
    const int count = t == 150 ? 5000 : 10;
    trace::trace_id trace_id;
    for (auto& b : trace_id.bytes) b = static_cast<std::uint8_t>(next());
    const std::size_t first = spans.size();
    const std::uint64_t trace_start = at + static_cast<std::uint64_t>(t) * 1'000'000'000ULL;
    for (int i = 0; i < count; ++i) {
      span_data s;
      s.context.trace = trace_id;
      for (auto& b : s.context.span.bytes) b = static_cast<std::uint8_t>(next());
      s.context.span.bytes[0] |= 1;  // never all zero
      if (i > 0) {
        const auto& parent = spans[first + next() % static_cast<std::uint64_t>(i)];
        s.parent_span_id = parent.context.span;
        s.start_time_unix_nano = parent.start_time_unix_nano + next() % 1'000'000;
      } else {
        s.start_time_unix_nano = trace_start;
      }
      s.end_time_unix_nano = s.start_time_unix_nano + 1'000 + next() % 50'000'000;
      s.name = i == 0 ? "request-" + std::to_string(t) : "op-" + std::to_string(i % 37);
      s.kind = i == 0 ? trace::span_kind::server : trace::span_kind::internal;
      s.attributes.push_back({"step", static_cast<std::int64_t>(i)});
      if (i % 97 == 5) s.status = {trace::status_code::error, "failed"};
      s.resource_ptr = services[static_cast<std::size_t>(i) % services.size()];
      s.scope_ptr = scope;
      spans.push_back(std::move(s));
    }
  }
  return spans;
}

struct row {
  const span_data* span;
  int depth;
};

std::vector<row> tree_order(const std::vector<const span_data*>& spans) {
  std::map<std::string, const span_data*> by_id;
  for (const auto* s : spans) by_id.emplace(hex(s->context.span.bytes), s);
  std::map<std::string, std::vector<const span_data*>> children;
  std::vector<const span_data*> roots;
  for (const auto* s : spans) {
    const std::string parent = s->parent_span_id.valid() ? hex(s->parent_span_id.bytes) : "";
    if (!parent.empty() && by_id.count(parent) && parent != hex(s->context.span.bytes)) {
      children[parent].push_back(s);
    } else {
      roots.push_back(s);
    }
  }
  const auto by_start = [](const span_data* a, const span_data* b) {
    return a->start_time_unix_nano < b->start_time_unix_nano;
  };
  std::stable_sort(roots.begin(), roots.end(), by_start);
  for (auto& [id, list] : children) std::stable_sort(list.begin(), list.end(), by_start);
  std::vector<row> out;
  std::map<std::string, bool> seen;
  std::vector<row> stack;
  for (auto it = roots.rbegin(); it != roots.rend(); ++it) stack.push_back({*it, 0});
  while (!stack.empty()) {
    const row top = stack.back();
    stack.pop_back();
    const std::string id = hex(top.span->context.span.bytes);
    if (seen[id]) continue;
    seen[id] = true;
    out.push_back(top);
    const auto& kids = children[id];
    for (auto it = kids.rbegin(); it != kids.rend(); ++it) stack.push_back({*it, top.depth + 1});
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string out_path;
  std::string expect_path;
  std::vector<std::string> inputs;
  bool sample = false;
  bool large = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--expect" && i + 1 < argc) {
      expect_path = argv[++i];
    } else if (arg == "--sample") {
      sample = true;
    } else if (arg == "--sample-large") {
      sample = large = true;
    } else if (out_path.empty()) {
      out_path = arg;
    } else {
      inputs.push_back(arg);
    }
  }
  if (out_path.empty() || inputs.empty() == !sample) {
    std::fprintf(stderr,
                 "usage: make_page OUT.html [--expect EXPECT.json] (FILE... | --sample | --sample-large)\n");
    return 2;
  }

  ctxflow::viewer::read_result read;
  ctxflow::viewer::html_options options;
  if (large) {
    read.spans = large_sample_spans();
    read.documents = 1;
  } else if (sample) {
    read.spans = sample_spans();
    read.documents = 1;
    options.title = "sample <traces> & \"links\"";
    options.csp_nonce = "c2FtcGxlLXBhZ2Utbm9uY2U=";
  } else {
    read = ctxflow::viewer::read_otlp_json_files(inputs);
  }
  for (const auto& p : read.problems) {
    std::fprintf(stderr, "make_page: %s:%zu: %s\n", p.source.c_str(), p.line, p.message.c_str());
  }
  if (!read.problems.empty() || read.spans.empty()) {
    std::fprintf(stderr, "make_page: %zu spans read, %zu problems\n", read.spans.size(),
                 read.problems.size());
    return 1;
  }

  std::ofstream page(out_path, std::ios::binary);
  page << ctxflow::viewer::render_html_page(read.spans, options);
  if (!page.flush()) {
    std::fprintf(stderr, "make_page: cannot write %s\n", out_path.c_str());
    return 1;
  }
  std::printf("make_page: %zu spans from %zu documents into %s\n", read.spans.size(),
              read.documents, out_path.c_str());
  if (expect_path.empty()) return 0;

  // The trace with the most spans (the first of equals, in reading order).
  std::vector<std::string> order;
  std::map<std::string, std::vector<const span_data*>> traces;
  for (const auto& s : read.spans) {
    const std::string id = hex(s.context.trace.bytes);
    if (!traces.count(id)) order.push_back(id);
    traces[id].push_back(&s);
  }
  std::string trace_id = order.front();
  for (const auto& id : order) {
    if (traces[id].size() > traces[trace_id].size()) trace_id = id;
  }
  const auto rows = tree_order(traces[trace_id]);

  std::string json = "{\"traceId\":" + json_string(trace_id) + ",\"rows\":[";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    json += (i ? "," : "") + std::string("{\"name\":") + json_string(rows[i].span->name) +
            ",\"depth\":" + std::to_string(rows[i].depth) + "}";
  }
  json += "]";

  // The first span below the root with a plain attribute whose value has no space.
  const span_data* click = nullptr;
  std::string key;
  std::string value;
  for (const auto& r : rows) {
    if (r.depth == 0) continue;
    for (const auto& a : r.span->attributes) {
      std::string v;
      if (plain_value(a, v) && !v.empty() && v.find(' ') == std::string::npos) {
        click = r.span;
        key = a.key;
        value = v;
        break;
      }
    }
    if (click) break;
  }
  if (click) {
    json += ",\"click\":{\"span\":" + json_string(hex(click->context.span.bytes)) +
            ",\"key\":" + json_string(key) + ",\"value\":" + json_string(value) + "}";
    // A link of the clicked span to a span in the data: following it must show that span.
    for (const auto& link : click->links) {
      const std::string to_trace = hex(link.context.trace.bytes);
      const std::string to_span = hex(link.context.span.bytes);
      const auto& list = traces[to_trace];
      if (std::any_of(list.begin(), list.end(), [&](const span_data* s) { return hex(s->context.span.bytes) == to_span; })) {
        json += ",\"follow\":{\"trace\":" + json_string(to_trace) + ",\"span\":" + json_string(to_span) + "}";
        break;
      }
    }
  }

  // Searches: the clicked attribute as key=value, the clicked span's name as text, and a text
  // no span holds.
  struct search {
    std::string text;
    bool attribute;
  };
  std::vector<search> searches;
  if (click) {
    searches.push_back({key + "=" + value, true});
    searches.push_back({click->name.substr(0, click->name.find(' ')), false});
  }
  searches.push_back({"no-span-holds-" + trace_id, false});
  json += ",\"searches\":[";
  for (std::size_t i = 0; i < searches.size(); ++i) {
    const auto& q = searches[i];
    const auto matches = [&](const span_data& s) {
      if (!q.attribute) return has_text(s, q.text);
      const auto eq = q.text.find('=');
      return has_attribute(s, q.text.substr(0, eq), q.text.substr(eq + 1));
    };
    std::size_t kept = 0;
    for (const auto& id : order) {
      const auto& list = traces[id];
      if (std::any_of(list.begin(), list.end(), [&](const span_data* s) { return matches(*s); })) ++kept;
    }
    std::size_t highlighted = 0;
    for (const auto* s : traces[trace_id]) highlighted += matches(*s) ? 1 : 0;
    json += (i ? "," : "") + std::string("{\"text\":") + json_string(q.text) +
            ",\"traces\":" + std::to_string(kept);
    // The shown trace stays the same only when the search keeps it.
    if (highlighted > 0) json += ",\"matches\":" + std::to_string(highlighted);
    json += "}";
  }
  json += "]}\n";

  std::ofstream expect(expect_path, std::ios::binary);
  expect << json;
  if (!expect.flush()) {
    std::fprintf(stderr, "make_page: cannot write %s\n", expect_path.c_str());
    return 1;
  }
  std::printf("make_page: trace %s, %zu rows expected, in %s\n", trace_id.c_str(), rows.size(),
              expect_path.c_str());
  return 0;
}
