// SPDX-License-Identifier: Apache-2.0
// The OTLP/JSON encoder (R8.4, R8.5): proto3 JSON mapping with hex ids, integer enums,
// lowerCamelCase keys and 64-bit integers as strings. Appends to one reused string.
#include "ctxflow/exporters/otlp/json_encoder.hpp"

#include <charconv>
#include <cmath>
#include <cstring>

#include "base/hex.hpp"
#include "otlp_common.hpp"

namespace ctxflow::exporters::otlp {
namespace {

using detail::grouped_batch;

class json_writer {
 public:
  explicit json_writer(std::string& out) : out_(out) {}

  void request(const grouped_batch& g) {
    out_ += '{';
    if (!g.resources.empty()) {
      out_ += "\"resourceSpans\":[";
      bool first = true;
      for (const auto& r : g.resources) {
        comma(first);
        resource_spans(g, r);
      }
      out_ += ']';
    }
    out_ += '}';
  }

 private:
  void comma(bool& first) {
    if (!first) out_ += ',';
    first = false;
  }
  void raw(std::string_view s) { out_.append(s.data(), s.size()); }

  /// A JSON string literal: escapes quote, backslash and control characters; invalid UTF-8
  /// bytes become U+FFFD.
  void string(std::string_view s) {
    out_ += '"';
    auto p = reinterpret_cast<const unsigned char*>(s.data());
    const auto end = p + s.size();
    const unsigned char* run = p;
    auto flush = [&](const unsigned char* upto) {
      if (upto != run) out_.append(reinterpret_cast<const char*>(run), upto - run);
    };
    while (p < end) {
      const unsigned char c = *p;
      if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
        ++p;
        continue;
      }
      if (c >= 0x80) {
        const std::size_t n = detail::utf8_sequence(p, end);
        if (n != 0) {
          p += n;
          continue;
        }
        flush(p);
        out_.append(detail::replacement_utf8, 3);
        run = ++p;
        continue;
      }
      flush(p);
      switch (c) {
        case '"': raw("\\\""); break;
        case '\\': raw("\\\\"); break;
        case '\b': raw("\\b"); break;
        case '\f': raw("\\f"); break;
        case '\n': raw("\\n"); break;
        case '\r': raw("\\r"); break;
        case '\t': raw("\\t"); break;
        default: {
          char esc[6] = {'\\', 'u', '0', '0'};
          internal::encode_hex_byte(c, esc + 4);
          out_.append(esc, 6);
        }
      }
      run = ++p;
    }
    flush(p);
    out_ += '"';
  }

  void key(std::string_view k) {
    out_ += '"';
    raw(k);
    raw("\":");
  }

  template <class Int>
  void number(Int v) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, r.ptr);
  }
  template <class Int>
  void quoted_number(Int v) {
    out_ += '"';
    number(v);
    out_ += '"';
  }

  void hex(std::span<const std::uint8_t> bytes) {
    char buf[64];
    internal::encode_lower_hex(bytes.data(), bytes.size(), buf);
    out_ += '"';
    out_.append(buf, bytes.size() * 2);
    out_ += '"';
  }

  void base64(const std::vector<std::uint8_t>& data) {
    constexpr char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    out_ += '"';
    std::size_t i = 0;
    for (; i + 3 <= data.size(); i += 3) {
      const std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) |
                              data[i + 2];
      const char q[4] = {table[v >> 18], table[(v >> 12) & 63], table[(v >> 6) & 63],
                         table[v & 63]};
      out_.append(q, 4);
    }
    if (const std::size_t rest = data.size() - i; rest != 0) {
      std::uint32_t v = std::uint32_t{data[i]} << 16;
      if (rest == 2) v |= std::uint32_t{data[i + 1]} << 8;
      const char q[4] = {table[v >> 18], table[(v >> 12) & 63],
                         rest == 2 ? table[(v >> 6) & 63] : '=', '='};
      out_.append(q, 4);
    }
    out_ += '"';
  }

  void dbl(double d) {
    if (std::isnan(d)) {
      raw("\"NaN\"");
    } else if (std::isinf(d)) {
      raw(d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    } else {
      char buf[32];
      const auto r = std::to_chars(buf, buf + sizeof buf, d);
      out_.append(buf, r.ptr);
    }
  }

  void trace_state(const trace::trace_state& ts) {
    // Built from the members; keys and values are printable ASCII without '"' or '\' (R3.3),
    // but go through the escaper anyway so that any recorded byte stays valid JSON.
    std::string& tmp = scratch_;
    tmp.resize(detail::trace_state_size(ts));
    detail::write_trace_state(ts, tmp.data());
    string(tmp);
  }

  void resource_spans(const grouped_batch& g, const grouped_batch::resource_group& r) {
    out_ += '{';
    key("resource");
    out_ += '{';
    if (r.resource != nullptr && !r.resource->attributes.empty()) {
      attributes(r.resource->attributes);
    }
    out_ += "},";
    key("scopeSpans");
    out_ += '[';
    bool first = true;
    for (std::uint32_t i = r.scope_begin; i < r.scope_end; ++i) {
      comma(first);
      scope_spans(g, g.scopes[i]);
    }
    out_ += ']';
    if (r.resource != nullptr && !r.resource->schema_url.empty()) {
      out_ += ',';
      key("schemaUrl");
      string(r.resource->schema_url);
    }
    out_ += '}';
  }

  void scope_spans(const grouped_batch& g, const grouped_batch::scope_group& sg) {
    out_ += '{';
    key("scope");
    out_ += '{';
    if (const auto* sc = sg.scope) {
      bool first = true;
      if (!sc->name.empty()) {
        comma(first);
        key("name");
        string(sc->name);
      }
      if (!sc->version.empty()) {
        comma(first);
        key("version");
        string(sc->version);
      }
      if (!sc->attributes.empty()) {
        comma(first);
        attributes(sc->attributes);
      }
    }
    out_ += "},";
    key("spans");
    out_ += '[';
    bool first = true;
    for (std::uint32_t i = sg.span_begin; i < sg.span_end; ++i) {
      comma(first);
      span(*g.spans[i]);
    }
    out_ += ']';
    if (sg.scope != nullptr && !sg.scope->schema_url.empty()) {
      out_ += ',';
      key("schemaUrl");
      string(sg.scope->schema_url);
    }
    out_ += '}';
  }

  void span(const sdk::span_data& s) {
    out_ += '{';
    key("traceId");
    hex(s.context.trace.bytes);
    out_ += ',';
    key("spanId");
    hex(s.context.span.bytes);
    if (!s.context.state.empty()) {
      out_ += ',';
      key("traceState");
      trace_state(s.context.state);
    }
    if (s.parent_span_id.valid()) {
      out_ += ',';
      key("parentSpanId");
      hex(s.parent_span_id.bytes);
    }
    out_ += ',';
    key("flags");
    number(detail::span_flags(s));
    if (!s.name.empty()) {
      out_ += ',';
      key("name");
      string(s.name);
    }
    out_ += ',';
    key("kind");
    number(detail::kind_value(s.kind));
    if (s.start_time_unix_nano != 0) {
      out_ += ',';
      key("startTimeUnixNano");
      quoted_number(s.start_time_unix_nano);
    }
    if (s.end_time_unix_nano != 0) {
      out_ += ',';
      key("endTimeUnixNano");
      quoted_number(s.end_time_unix_nano);
    }
    if (!s.attributes.empty()) {
      out_ += ',';
      attributes(s.attributes);
    }
    count("droppedAttributesCount", s.dropped_attributes_count);
    if (!s.events.empty()) {
      out_ += ',';
      key("events");
      out_ += '[';
      bool first = true;
      for (const auto& e : s.events) {
        comma(first);
        event(e);
      }
      out_ += ']';
    }
    count("droppedEventsCount", s.dropped_events_count);
    if (!s.links.empty()) {
      out_ += ',';
      key("links");
      out_ += '[';
      bool first = true;
      for (const auto& l : s.links) {
        comma(first);
        link(l);
      }
      out_ += ']';
    }
    count("droppedLinksCount", s.dropped_links_count);
    out_ += ',';
    key("status");
    out_ += '{';
    bool first = true;
    if (!s.status.message.empty()) {
      comma(first);
      key("message");
      string(s.status.message);
    }
    if (const auto c = detail::status_value(s.status.code)) {
      comma(first);
      key("code");
      number(c);
    }
    out_ += "}}";
  }

  void count(std::string_view name, std::uint32_t v) {
    if (v == 0) return;
    out_ += ',';
    key(name);
    number(v);
  }

  void event(const sdk::span_event& e) {
    out_ += '{';
    bool first = true;
    if (e.time_unix_nano != 0) {
      comma(first);
      key("timeUnixNano");
      quoted_number(e.time_unix_nano);
    }
    if (!e.name.empty()) {
      comma(first);
      key("name");
      string(e.name);
    }
    if (!e.attributes.empty()) {
      comma(first);
      attributes(e.attributes);
    }
    if (e.dropped_attributes_count != 0) {
      comma(first);
      key("droppedAttributesCount");
      number(e.dropped_attributes_count);
    }
    out_ += '}';
  }

  void link(const sdk::span_link& l) {
    out_ += '{';
    key("traceId");
    hex(l.context.trace.bytes);
    out_ += ',';
    key("spanId");
    hex(l.context.span.bytes);
    if (!l.context.state.empty()) {
      out_ += ',';
      key("traceState");
      trace_state(l.context.state);
    }
    if (!l.attributes.empty()) {
      out_ += ',';
      attributes(l.attributes);
    }
    count("droppedAttributesCount", l.dropped_attributes_count);
    out_ += ',';
    key("flags");
    number(detail::link_flags(l.context));
    out_ += '}';
  }

  void attributes(const std::vector<sdk::attribute>& attrs) {
    key("attributes");
    out_ += '[';
    bool first = true;
    for (const auto& a : attrs) {
      comma(first);
      out_ += '{';
      key("key");
      string(a.key);
      out_ += ',';
      key("value");
      std::visit([this](const auto& x) { any_value(x); }, a.value);
      out_ += '}';
    }
    out_ += ']';
  }

  void any_value(bool x) { raw(x ? "{\"boolValue\":true}" : "{\"boolValue\":false}"); }
  void any_value(std::int64_t x) {
    raw("{\"intValue\":");
    quoted_number(x);
    out_ += '}';
  }
  void any_value(double x) {
    raw("{\"doubleValue\":");
    dbl(x);
    out_ += '}';
  }
  void any_value(const std::string& x) {
    raw("{\"stringValue\":");
    string(x);
    out_ += '}';
  }
  void any_value(const sdk::byte_string& x) {
    raw("{\"bytesValue\":");
    base64(x.data);
    out_ += '}';
  }
  template <class T>
  void any_value(const std::vector<T>& xs) {
    raw("{\"arrayValue\":{");
    if (!xs.empty()) {
      raw("\"values\":[");
      bool first = true;
      for (const auto& x : xs) {
        comma(first);
        any_value(static_cast<const T&>(x));
      }
      out_ += ']';
    }
    raw("}}");
  }
  void any_value(const std::vector<bool>& xs) {
    raw("{\"arrayValue\":{");
    if (!xs.empty()) {
      raw("\"values\":[");
      bool first = true;
      for (const bool x : xs) {
        comma(first);
        any_value(x);
      }
      out_ += ']';
    }
    raw("}}");
  }

  std::string& out_;
  std::string scratch_;
};

struct json_state {
  grouped_batch groups;
};

}  // namespace

void encode_json(std::span<const sdk::span_data* const> batch, std::string& out) {
  thread_local json_state st;
  detail::group_batch(batch, st.groups);
  out.clear();
  out.reserve(256 + st.groups.spans.size() * 512);
  json_writer w(out);
  w.request(st.groups);
}

}  // namespace ctxflow::exporters::otlp
