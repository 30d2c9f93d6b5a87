// SPDX-License-Identifier: Apache-2.0
// A small JSON parser (RFC 8259 values, nesting limited) and the OTLP/JSON trace mapping on top
// of it: lowerCamelCase keys, hex ids, integer enums, 64-bit integers as decimal strings.
#include "cli/otlp_json_reader.hpp"

#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <memory>
#include <span>
#include <utility>

#include "base/hex.hpp"

namespace ctxflow::cli {
namespace {

struct json_value {
  enum class kind { null, boolean, number, string, array, object };
  kind type = kind::null;
  bool flag = false;
  std::string text;                // a string's contents, or a number's literal
  std::vector<json_value> items;   // array elements, or object member values
  std::vector<std::string> keys;   // object member names, parallel to `items`

  const json_value* get(std::string_view key) const {
    if (type != kind::object) return nullptr;
    for (std::size_t i = 0; i < keys.size(); ++i)
      if (keys[i] == key) return &items[i];
    return nullptr;
  }
  std::string_view str(std::string_view key) const {
    const json_value* v = get(key);
    return v != nullptr && v->type == kind::string ? std::string_view(v->text) : std::string_view();
  }
  std::span<const json_value> array(std::string_view key) const {
    const json_value* v = get(key);
    if (v == nullptr || v->type != kind::array) return {};
    return v->items;
  }
};

class json_parser {
 public:
  explicit json_parser(std::string_view text) : s_(text) {}

  bool parse(json_value& out) {
    if (!value(out, 0)) return false;
    skip_space();
    if (pos_ != s_.size()) return fail("text after the JSON value");
    return true;
  }
  const std::string& error() const { return error_; }

 private:
  static constexpr int max_depth = 64;

  bool fail(const char* why) {
    if (error_.empty()) error_ = std::string(why) + " at offset " + std::to_string(pos_);
    return false;
  }
  void skip_space() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }
  bool literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return fail("invalid literal");
    pos_ += word.size();
    return true;
  }

  bool value(json_value& out, int depth) {
    if (depth > max_depth) return fail("nesting too deep");
    skip_space();
    if (pos_ >= s_.size()) return fail("unexpected end");
    const char c = s_[pos_];
    if (c == '{') return object(out, depth);
    if (c == '[') return array(out, depth);
    if (c == '"') {
      out.type = json_value::kind::string;
      return string(out.text);
    }
    if (c == 't' || c == 'f') {
      out.type = json_value::kind::boolean;
      out.flag = c == 't';
      return literal(c == 't' ? "true" : "false");
    }
    if (c == 'n') return literal("null");
    return number(out);
  }

  bool object(json_value& out, int depth) {
    out.type = json_value::kind::object;
    ++pos_;  // '{'
    skip_space();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      return true;
    }
    while (true) {
      skip_space();
      if (pos_ >= s_.size() || s_[pos_] != '"') return fail("expected a member name");
      std::string key;
      if (!string(key)) return false;
      skip_space();
      if (pos_ >= s_.size() || s_[pos_] != ':') return fail("expected ':'");
      ++pos_;
      json_value member;
      if (!value(member, depth + 1)) return false;
      out.keys.push_back(std::move(key));
      out.items.push_back(std::move(member));
      skip_space();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == '}') {
        ++pos_;
        return true;
      }
      return fail("expected ',' or '}'");
    }
  }

  bool array(json_value& out, int depth) {
    out.type = json_value::kind::array;
    ++pos_;  // '['
    skip_space();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      return true;
    }
    while (true) {
      json_value element;
      if (!value(element, depth + 1)) return false;
      out.items.push_back(std::move(element));
      skip_space();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == ']') {
        ++pos_;
        return true;
      }
      return fail("expected ',' or ']'");
    }
  }

  bool number(json_value& out) {
    const std::size_t start = pos_;
    if (pos_ < s_.size() && s_[pos_] == '-') ++pos_;
    bool digits = false;
    while (pos_ < s_.size() && ((s_[pos_] >= '0' && s_[pos_] <= '9') || s_[pos_] == '.' ||
                                s_[pos_] == 'e' || s_[pos_] == 'E' || s_[pos_] == '+' ||
                                s_[pos_] == '-')) {
      digits = digits || (s_[pos_] >= '0' && s_[pos_] <= '9');
      ++pos_;
    }
    if (!digits) return fail("invalid value");
    out.type = json_value::kind::number;
    out.text = std::string(s_.substr(start, pos_ - start));
    return true;
  }

  bool hex4(std::uint32_t& v) {
    if (pos_ + 4 > s_.size()) return fail("short \\u escape");
    if (!internal::decode_hex_number(s_.data() + pos_, 4, v)) return fail("invalid \\u escape");
    pos_ += 4;
    return true;
  }

  static void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  bool string(std::string& out) {
    ++pos_;  // '"'
    while (pos_ < s_.size()) {
      const char c = s_[pos_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return fail("control character in a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= s_.size()) break;
      const char e = s_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          std::uint32_t cp = 0;
          if (!hex4(cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF && s_.substr(pos_, 2) == "\\u") {
            pos_ += 2;
            std::uint32_t low = 0;
            if (!hex4(low)) return false;
            if (low >= 0xDC00 && low <= 0xDFFF)
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            else
              cp = 0xFFFD;
          } else if (cp >= 0xD800 && cp <= 0xDFFF) {
            cp = 0xFFFD;
          }
          append_utf8(out, cp);
          break;
        }
        default: return fail("invalid escape");
      }
    }
    return fail("unterminated string");
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  std::string error_;
};

// Integers: JSON numbers or, for 64-bit fields, decimal strings.
template <class Int>
Int integer_of(const json_value* v) {
  if (v == nullptr || (v->type != json_value::kind::number && v->type != json_value::kind::string))
    return Int{};
  Int n{};
  const char* first = v->text.data();
  const char* last = first + v->text.size();
  if (std::from_chars(first, last, n).ec != std::errc{}) return Int{};
  return n;
}

double double_of(const json_value* v) {
  if (v == nullptr) return 0.0;
  if (v->type == json_value::kind::string) {
    if (v->text == "NaN") return std::numeric_limits<double>::quiet_NaN();
    if (v->text == "Infinity") return std::numeric_limits<double>::infinity();
    if (v->text == "-Infinity") return -std::numeric_limits<double>::infinity();
  }
  return v->type == json_value::kind::number ? std::strtod(v->text.c_str(), nullptr) : 0.0;
}

// Scalar attributes; arrays, maps and bytes are left out (the demo never records them).
std::vector<sdk::attribute> attributes_of(std::span<const json_value> list) {
  std::vector<sdk::attribute> out;
  for (const json_value& a : list) {
    const json_value* v = a.get("value");
    if (v == nullptr) continue;
    sdk::attribute attr;
    attr.key = std::string(a.str("key"));
    if (const json_value* s = v->get("stringValue")) {
      attr.value = s->text;
    } else if (const json_value* i = v->get("intValue")) {
      attr.value = integer_of<std::int64_t>(i);
    } else if (const json_value* b = v->get("boolValue")) {
      attr.value = b->flag;
    } else if (const json_value* d = v->get("doubleValue")) {
      attr.value = double_of(d);
    } else {
      continue;
    }
    out.push_back(std::move(attr));
  }
  return out;
}

trace::span_context context_of(const json_value& v) {
  trace::span_context c;
  c.trace = trace::trace_id::from_hex(v.str("traceId"));
  c.span = trace::span_id::from_hex(v.str("spanId"));
  const auto flags = integer_of<std::uint32_t>(v.get("flags"));
  c.flags.value = static_cast<std::uint8_t>(flags & 0xFFu);
  return c;
}

sdk::span_data span_of(const json_value& v, const std::shared_ptr<const sdk::resource>& resource,
                       const std::shared_ptr<const sdk::instrumentation_scope>& scope) {
  sdk::span_data s;
  s.context = context_of(v);
  s.parent_span_id = trace::span_id::from_hex(v.str("parentSpanId"));
  const auto flags = integer_of<std::uint32_t>(v.get("flags"));
  s.parent_is_remote = (flags & 0x300u) == 0x300u;  // "is remote" known and set
  s.name = std::string(v.str("name"));
  const auto kind = integer_of<std::uint32_t>(v.get("kind"));
  s.kind = kind >= 1 && kind <= 5 ? static_cast<trace::span_kind>(kind) : trace::span_kind::internal;
  s.start_time_unix_nano = integer_of<std::uint64_t>(v.get("startTimeUnixNano"));
  s.end_time_unix_nano = integer_of<std::uint64_t>(v.get("endTimeUnixNano"));
  s.attributes = attributes_of(v.array("attributes"));
  for (const json_value& e : v.array("events")) {
    sdk::span_event event;
    event.name = std::string(e.str("name"));
    event.time_unix_nano = integer_of<std::uint64_t>(e.get("timeUnixNano"));
    event.attributes = attributes_of(e.array("attributes"));
    s.events.push_back(std::move(event));
  }
  for (const json_value& l : v.array("links")) {
    sdk::span_link link;
    link.context = context_of(l);
    link.context.remote = (integer_of<std::uint32_t>(l.get("flags")) & 0x300u) == 0x300u;
    link.attributes = attributes_of(l.array("attributes"));
    s.links.push_back(std::move(link));
  }
  if (const json_value* st = v.get("status")) {
    const auto code = integer_of<std::uint32_t>(st->get("code"));
    s.status.code = code <= 2 ? static_cast<trace::status_code>(code) : trace::status_code::unset;
    s.status.message = std::string(st->str("message"));
  }
  s.resource_ptr = resource;
  s.scope_ptr = scope;
  return s;
}

}  // namespace

bool read_otlp_json_line(std::string_view line, std::vector<sdk::span_data>& out,
                         std::string& error) {
  json_value root;
  json_parser parser(line);
  if (!parser.parse(root)) {
    error = "not JSON: " + parser.error();
    return false;
  }
  if (root.type != json_value::kind::object) {
    error = "not a JSON object";
    return false;
  }
  for (const json_value& rs : root.array("resourceSpans")) {
    auto resource = std::make_shared<sdk::resource>();
    if (const json_value* r = rs.get("resource")) resource->attributes = attributes_of(r->array("attributes"));
    resource->schema_url = std::string(rs.str("schemaUrl"));
    for (const json_value& ss : rs.array("scopeSpans")) {
      auto scope = std::make_shared<sdk::instrumentation_scope>();
      if (const json_value* sc = ss.get("scope")) {
        scope->name = std::string(sc->str("name"));
        scope->version = std::string(sc->str("version"));
        scope->attributes = attributes_of(sc->array("attributes"));
      }
      scope->schema_url = std::string(ss.str("schemaUrl"));
      for (const json_value& s : ss.array("spans")) out.push_back(span_of(s, resource, scope));
    }
  }
  return true;
}

span_file read_otlp_json_file(const std::string& path) {
  span_file f;
  std::ifstream in(path);
  if (!in) {
    f.problems.push_back("cannot open " + path);
    return f;
  }
  std::string line;
  std::size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    ++f.lines;
    std::string error;
    if (!read_otlp_json_line(line, f.spans, error))
      f.problems.push_back(path + ":" + std::to_string(number) + ": " + error);
  }
  return f;
}

}  // namespace ctxflow::cli
