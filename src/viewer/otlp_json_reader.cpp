// SPDX-License-Identifier: Apache-2.0
// decode_json: the OTLP JSON mapping of ExportTraceServiceRequest (docs/requirements.md §8.2,
// R8.4) read straight into span records by a recursive-descent JSON reader (RFC 8259, nesting
// limited, number literals bounded). There is no intermediate document tree: memory grows with
// the spans read, and values of unknown keys are skipped without being stored. Spans refer to
// their resource and scope through shared objects filled in as the keys arrive, so key order
// does not matter.
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <memory>
#include <string>
#include <utility>

#include "base/hex.hpp"
#include "ctxflow/macros.hpp"
#include "ctxflow/viewer/otlp_reader.hpp"
#include "viewer/otlp_values.hpp"

namespace ctxflow::viewer {
namespace {

using detail::any_node;

/// Longest number literal accepted; longer ones are an error, not a slow conversion.
constexpr std::size_t max_number_chars = 512;

class json_decoder {
 public:
  json_decoder(std::string_view text, const decode_limits& limits)
      : s_(text),
        limits_(limits),
        any_depth_limit_(detail::effective_depth(limits)),
        // An attribute value at depth d sits at JSON depth 3d + 9 at most (request, resource
        // spans, scope spans, span, link, attributes, key-value, value, then arrayValue/values
        // per level), so the JSON bound never cuts in before the attribute bound.
        json_depth_limit_(3 * detail::effective_depth(limits) + 16) {}

  bool request(std::vector<sdk::span_data>& out) {
    skip_space();
    if (peek() != '{') return syntax("the request is not a JSON object");
    std::size_t rs_index = 0;
    if (!object([&](std::string_view key) {
          if (key != "resourceSpans") return skip_value();
          return array("resourceSpans", [&] {
            where_ = "resourceSpans " + std::to_string(rs_index++);
            const bool ok = resource_spans(out);
            where_.clear();
            return ok;
          });
        }))
      return false;
    skip_space();
    if (pos_ != s_.size()) return syntax("text after the JSON value");
    return true;
  }

  const std::string& error() const noexcept { return error_; }

 private:
  // --- errors --------------------------------------------------------------------------------

  bool syntax(std::string_view what) {
    if (error_.empty()) {
      error_ = "invalid JSON at offset " + std::to_string(pos_) + ": ";
      error_ += what;
      if (pos_ >= s_.size() && what.starts_with("expected")) error_ += ", found the end of the text";
    }
    return false;
  }
  bool fail(std::string reason) {
    if (!error_.empty()) return false;
    error_ = where_;
    if (!error_.empty()) error_ += ": ";
    error_ += reason;
    return false;
  }

  // --- lexer ---------------------------------------------------------------------------------

  void skip_space() noexcept {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }
  char peek() const noexcept { return pos_ < s_.size() ? s_[pos_] : '\0'; }

  bool literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return syntax("invalid literal");
    pos_ += word.size();
    return true;
  }

  bool enter() {
    if (++depth_ > json_depth_limit_)
      return syntax("JSON nested deeper than " + std::to_string(json_depth_limit_) + " levels");
    return true;
  }

  /// Reads an object; `member(key)` consumes each member's value (null values are skipped
  /// without calling it: null is the default of every OTLP field).
  template <class F>
  bool object(F&& member) {
    skip_space();
    if (peek() != '{') return syntax("expected an object");
    if (!enter()) return false;
    ++pos_;
    skip_space();
    if (peek() == '}') {
      ++pos_;
      --depth_;
      return true;
    }
    std::string key;
    while (true) {
      skip_space();
      if (peek() != '"') return syntax("expected a member name");
      key.clear();
      if (!string(key)) return false;
      skip_space();
      if (peek() != ':') return syntax("expected ':'");
      ++pos_;
      skip_space();
      if (peek() == 'n') {
        if (!literal("null")) return false;
      } else if (!member(std::string_view(key))) {
        return false;
      }
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == '}') {
        ++pos_;
        --depth_;
        return true;
      }
      return syntax("expected ',' or '}'");
    }
  }

  /// Reads an array named `name` (for the message when it is something else); `element()`
  /// consumes each element.
  template <class F>
  bool array(std::string_view name, F&& element) {
    skip_space();
    if (peek() != '[') {
      if (peek() == 'n') return literal("null");
      return fail(std::string(name) + " is not an array");
    }
    if (!enter()) return false;
    ++pos_;
    skip_space();
    if (peek() == ']') {
      ++pos_;
      --depth_;
      return true;
    }
    while (true) {
      skip_space();
      if (!element()) return false;
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == ']') {
        ++pos_;
        --depth_;
        return true;
      }
      return syntax("expected ',' or ']'");
    }
  }

  bool skip_value() {
    skip_space();
    const char c = peek();
    if (c == '{') return object([&](std::string_view) { return skip_value(); });
    if (c == '[') return array("", [&] { return skip_value(); });
    if (c == '"') {
      std::string_view ignored;
      return raw_string(ignored);
    }
    if (c == 't') return literal("true");
    if (c == 'f') return literal("false");
    if (c == 'n') return literal("null");
    std::string_view tok;
    return number_token(tok);
  }

  bool number_token(std::string_view& tok) {
    const std::size_t start = pos_;
    auto digits = [&] {
      const std::size_t from = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      return pos_ != from;
    };
    if (peek() == '-') ++pos_;
    if (peek() == '0') {
      ++pos_;
    } else if (!digits()) {
      return syntax("invalid value");
    }
    if (peek() == '.') {
      ++pos_;
      if (!digits()) return syntax("invalid number");
    }
    if (peek() == 'e' || peek() == 'E') {
      ++pos_;
      if (peek() == '+' || peek() == '-') ++pos_;
      if (!digits()) return syntax("invalid number");
    }
    if (pos_ - start > max_number_chars)
      return syntax("number literal longer than " + std::to_string(max_number_chars) + " characters");
    tok = s_.substr(start, pos_ - start);
    return true;
  }

  /// A string's raw text between the quotes (escapes not decoded); validates the escapes.
  bool raw_string(std::string_view& out) {
    ++pos_;  // '"'
    const std::size_t start = pos_;
    while (pos_ < s_.size()) {
      const char c = s_[pos_];
      if (c == '"') {
        out = s_.substr(start, pos_ - start);
        ++pos_;
        return true;
      }
      if (static_cast<unsigned char>(c) < 0x20) return syntax("control character in a string");
      if (c == '\\') {
        if (pos_ + 1 >= s_.size()) break;
        const char e = s_[pos_ + 1];
        if (e == 'u') {
          std::uint32_t ignored = 0;
          if (pos_ + 6 > s_.size() || !internal::decode_hex_number(s_.data() + pos_ + 2, 4, ignored))
            return syntax("invalid \\u escape");
          pos_ += 6;
          continue;
        }
        if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' &&
            e != 't')
          return syntax("invalid escape");
        pos_ += 2;
        continue;
      }
      ++pos_;
    }
    return syntax("unterminated string");
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

  /// A string value, escapes decoded; invalid UTF-8 (raw bytes, lone surrogates) becomes U+FFFD.
  bool string(std::string& out) {
    std::string_view raw;
    if (!raw_string(raw)) return false;
    if (raw.find('\\') == std::string_view::npos) {
      out.assign(raw);
      detail::repair_utf8(out);
      return true;
    }
    out.clear();
    out.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) {
      const char c = raw[i];
      if (c != '\\') {
        out += c;
        continue;
      }
      const char e = raw[++i];
      switch (e) {
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          std::uint32_t cp = 0;
          (void)internal::decode_hex_number(raw.data() + i + 1, 4, cp);
          i += 4;
          if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 < raw.size() && raw[i + 1] == '\\' &&
              raw[i + 2] == 'u') {
            std::uint32_t low = 0;
            (void)internal::decode_hex_number(raw.data() + i + 3, 4, low);
            if (low >= 0xDC00 && low <= 0xDFFF) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
              i += 6;
            } else {
              cp = 0xFFFD;
            }
          } else if (cp >= 0xD800 && cp <= 0xDFFF) {
            cp = 0xFFFD;
          }
          append_utf8(out, cp);
          break;
        }
        default: out += e; break;  // '"', '\\', '/'
      }
    }
    detail::repair_utf8(out);
    return true;
  }

  /// For a number literal out of the range of double: the position of its first significant
  /// digit relative to the decimal point (positive: too large; otherwise too small).
  static long long decimal_magnitude(std::string_view tok) noexcept {
    std::size_t i = tok.front() == '-' ? 1 : 0;
    long long int_digits = 0;
    long long lead_zeros = 0;  // zeros after the point before the first significant digit
    bool significant = false;
    for (; i < tok.size() && tok[i] >= '0' && tok[i] <= '9'; ++i) {
      if (tok[i] != '0') significant = true;
      if (significant) ++int_digits;
    }
    if (i < tok.size() && tok[i] == '.') {
      for (++i; i < tok.size() && tok[i] >= '0' && tok[i] <= '9'; ++i) {
        if (!significant && tok[i] == '0') ++lead_zeros;
        if (tok[i] != '0') significant = true;
      }
    }
    long long exponent = 0;
    if (i < tok.size() && (tok[i] == 'e' || tok[i] == 'E')) {
      ++i;
      const bool neg = i < tok.size() && tok[i] == '-';
      if (i < tok.size() && (tok[i] == '+' || tok[i] == '-')) ++i;
      for (; i < tok.size(); ++i) {
        if (exponent < 1'000'000) exponent = exponent * 10 + (tok[i] - '0');
      }
      if (neg) exponent = -exponent;
    }
    return (int_digits > 0 ? int_digits : -lead_zeros) + exponent;
  }

  // --- typed values ----------------------------------------------------------------------------

  bool string_value(std::string_view name, std::string& out) {
    if (peek() != '"') return fail(std::string(name) + " is not a string");
    return string(out);
  }

  /// An integer written as a JSON number or a decimal string (R8.4).
  template <class Int>
  bool integer_value(std::string_view name, Int& out) {
    std::string_view tok;
    std::string text;
    if (peek() == '"') {
      if (!string(text)) return false;
      tok = text;
    } else if (peek() == '-' || (peek() >= '0' && peek() <= '9')) {
      if (!number_token(tok)) return false;
    } else {
      return fail(std::string(name) + " is not an integer");
    }
    Int v{};
    const auto r = std::from_chars(tok.data(), tok.data() + tok.size(), v);
    if (r.ec != std::errc{} || r.ptr != tok.data() + tok.size()) {
      return fail(std::string(name) + " \"" + std::string(tok.substr(0, 64)) + "\" is not " +
                  (std::numeric_limits<Int>::is_signed ? "a signed " : "an unsigned ") +
                  std::to_string(std::numeric_limits<Int>::digits + (std::numeric_limits<Int>::is_signed ? 1 : 0)) +
                  "-bit integer");
    }
    out = v;
    return true;
  }

  /// A double: a JSON number, or "NaN", "Infinity", "-Infinity" (or a number in a string).
  bool double_value(std::string_view name, double& out) {
    std::string text;
    std::string_view tok;
    if (peek() == '"') {
      if (!string(text)) return false;
      if (text == "NaN") {
        out = std::numeric_limits<double>::quiet_NaN();
        return true;
      }
      if (text == "Infinity") {
        out = std::numeric_limits<double>::infinity();
        return true;
      }
      if (text == "-Infinity") {
        out = -std::numeric_limits<double>::infinity();
        return true;
      }
      tok = text;
    } else if (peek() == '-' || (peek() >= '0' && peek() <= '9')) {
      if (!number_token(tok)) return false;
    } else {
      return fail(std::string(name) + " is not a number");
    }
    double v = 0;
    const auto r = std::from_chars(tok.data(), tok.data() + tok.size(), v);
    if (r.ec == std::errc::result_out_of_range && r.ptr == tok.data() + tok.size()) {
      // Beyond the range of double: infinity or zero of the sign, as JSON parsers do.
      const bool negative = tok.front() == '-';
      if (decimal_magnitude(tok) > 0)
        v = negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
      else
        v = negative ? -0.0 : 0.0;
    } else if (r.ec != std::errc{} || r.ptr != tok.data() + tok.size()) {
      return fail(std::string(name) + " \"" + std::string(tok.substr(0, 64)) + "\" is not a number");
    }
    out = v;
    return true;
  }

  bool bool_value(std::string_view name, bool& out) {
    if (peek() == 't') {
      out = true;
      return literal("true");
    }
    if (peek() == 'f') {
      out = false;
      return literal("false");
    }
    return fail(std::string(name) + " is not true or false");
  }

  /// An enum: an integer, or its name (`SPAN_KIND_SERVER`) from `names`, indexed by value.
  template <std::size_t N>
  bool enum_value(std::string_view name, std::uint64_t& out, const char* const (&names)[N]) {
    if (peek() == '"') {
      const std::size_t start = pos_;
      std::string text;
      if (!string(text)) return false;
      for (std::size_t i = 0; i < N; ++i) {
        if (text == names[i]) {
          out = i;
          return true;
        }
      }
      pos_ = start;
    }
    std::uint32_t v = 0;
    if (!integer_value(name, v)) return false;
    out = v;
    return true;
  }

  /// A hex id of `size` bytes (either case); empty means absent when `empty_ok`.
  bool id_value(std::string_view name, std::uint8_t* out, std::size_t size, bool empty_ok,
                bool& present) {
    std::string text;
    if (!string_value(name, text)) return false;
    if (text.empty() && empty_ok) {
      present = false;
      return true;
    }
    if (text.size() != 2 * size) {
      return fail(std::string(name) + " is " + std::to_string(text.size()) + " hex digits, expected " +
                  std::to_string(2 * size));
    }
    for (std::size_t i = 0; i < size; ++i) {
      if (!internal::decode_hex_byte(text.data() + 2 * i, out[i]))
        return fail(std::string(name) + " \"" + text + "\" is not hex");
    }
    present = true;
    return true;
  }

  // --- OTLP messages ---------------------------------------------------------------------------

  bool resource_spans(std::vector<sdk::span_data>& out) {
    auto res = std::make_shared<sdk::resource>();
    std::size_t scope_index = 0;
    std::size_t library_spans_at = 0;  // offset of an instrumentationLibrarySpans value, if any
    const std::string outer = where_;
    auto scope_spans_array = [&](std::string_view name) {
      return array(name, [&] {
        where_ = outer + ": " + std::string(name) + " " + std::to_string(scope_index++);
        const bool ok = scope_spans(res, out);
        where_ = outer;
        return ok;
      });
    };
    if (!object([&](std::string_view key) {
          if (key == "resource") {
            return object([&](std::string_view k) {
              if (k == "attributes") return attributes(res->attributes);
              return skip_value();  // droppedAttributesCount: not held by sdk::resource
            });
          }
          if (key == "scopeSpans") return scope_spans_array(key);
          if (key == "instrumentationLibrarySpans") {
            // The name before OTLP 0.15, in old Collector files: read after the object, and
            // only when it has no scopeSpans, so that a sender that wrote both is read once.
            library_spans_at = pos_;
            return skip_value();
          }
          if (key == "schemaUrl") return string_value(key, res->schema_url);
          return skip_value();
        }))
      return false;
    if (library_spans_at != 0 && scope_index == 0) {
      const std::size_t end = pos_;
      pos_ = library_spans_at;
      ++depth_;
      if (!scope_spans_array("instrumentationLibrarySpans")) return false;
      --depth_;
      pos_ = end;
    }
    return true;
  }

  bool scope_spans(const std::shared_ptr<sdk::resource>& res, std::vector<sdk::span_data>& out) {
    auto scope = std::make_shared<sdk::instrumentation_scope>();
    const std::string outer = where_;
    return object([&](std::string_view key) {
      if (key == "scope" || key == "instrumentationLibrary") {
        return object([&](std::string_view k) {
          if (k == "name") return string_value(k, scope->name);
          if (k == "version") return string_value(k, scope->version);
          if (k == "attributes") return attributes(scope->attributes);
          return skip_value();
        });
      }
      if (key == "spans") {
        return array(key, [&] {
          if (spans_ >= limits_.max_spans)
            return fail("more than " + std::to_string(limits_.max_spans) + " spans");
          where_ = "span " + std::to_string(spans_++);
          sdk::span_data s;
          if (!span(s)) return false;
          s.resource_ptr = res;
          s.scope_ptr = scope;
          out.push_back(std::move(s));
          where_ = outer;
          return true;
        });
      }
      if (key == "schemaUrl") return string_value(key, scope->schema_url);
      return skip_value();
    });
  }

  bool span(sdk::span_data& s) {
    static constexpr const char* kinds[] = {"SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL",
                                            "SPAN_KIND_SERVER",      "SPAN_KIND_CLIENT",
                                            "SPAN_KIND_PRODUCER",    "SPAN_KIND_CONSUMER"};
    bool trace_id = false;
    bool span_id = false;
    bool parent = false;
    std::size_t event_index = 0;
    std::size_t link_index = 0;
    const std::string outer = where_;
    if (!object([&](std::string_view key) {
          if (key == "traceId") return id_value(key, s.context.trace.bytes.data(), 16, false, trace_id);
          if (key == "spanId") return id_value(key, s.context.span.bytes.data(), 8, false, span_id);
          if (key == "parentSpanId")
            return id_value(key, s.parent_span_id.bytes.data(), 8, true, parent);
          if (key == "traceState") {
            std::string text;
            if (!string_value(key, text)) return false;
            s.context.state = trace::trace_state::parse(text);  // invalid: dropped, span kept
            return true;
          }
          if (key == "name") return string_value(key, s.name);
          if (key == "kind") {
            std::uint64_t kind = 0;
            if (!enum_value(key, kind, kinds)) return false;
            s.kind = detail::kind_of(kind);
            return true;
          }
          if (key == "startTimeUnixNano") return integer_value(key, s.start_time_unix_nano);
          if (key == "endTimeUnixNano") return integer_value(key, s.end_time_unix_nano);
          if (key == "attributes") return attributes(s.attributes);
          if (key == "droppedAttributesCount") return integer_value(key, s.dropped_attributes_count);
          if (key == "events") {
            return array(key, [&] {
              where_ = outer + ": event " + std::to_string(event_index++);
              s.events.emplace_back();
              const bool ok = event(s.events.back());
              where_ = outer;
              return ok;
            });
          }
          if (key == "droppedEventsCount") return integer_value(key, s.dropped_events_count);
          if (key == "links") {
            return array(key, [&] {
              where_ = outer + ": link " + std::to_string(link_index++);
              s.links.emplace_back();
              const bool ok = link(s.links.back());
              where_ = outer;
              return ok;
            });
          }
          if (key == "droppedLinksCount") return integer_value(key, s.dropped_links_count);
          if (key == "status") return status(s.status);
          if (key == "flags") {
            std::uint32_t flags = 0;
            if (!integer_value(key, flags)) return false;
            s.context.flags.value = static_cast<std::uint8_t>(flags & detail::trace_flags_mask);
            s.parent_is_remote = detail::remote_of(flags);
            return true;
          }
          return skip_value();
        }))
      return false;
    if (!trace_id) return fail("traceId is missing");
    if (!span_id) return fail("spanId is missing");
    s.context.remote = false;
    return true;
  }

  bool event(sdk::span_event& e) {
    return object([&](std::string_view key) {
      if (key == "timeUnixNano") return integer_value(key, e.time_unix_nano);
      if (key == "name") return string_value(key, e.name);
      if (key == "attributes") return attributes(e.attributes);
      if (key == "droppedAttributesCount") return integer_value(key, e.dropped_attributes_count);
      return skip_value();
    });
  }

  bool link(sdk::span_link& l) {
    bool trace_id = false;
    bool span_id = false;
    if (!object([&](std::string_view key) {
          if (key == "traceId") return id_value(key, l.context.trace.bytes.data(), 16, false, trace_id);
          if (key == "spanId") return id_value(key, l.context.span.bytes.data(), 8, false, span_id);
          if (key == "traceState") {
            std::string text;
            if (!string_value(key, text)) return false;
            l.context.state = trace::trace_state::parse(text);
            return true;
          }
          if (key == "attributes") return attributes(l.attributes);
          if (key == "droppedAttributesCount") return integer_value(key, l.dropped_attributes_count);
          if (key == "flags") {
            std::uint32_t flags = 0;
            if (!integer_value(key, flags)) return false;
            l.context.flags.value = static_cast<std::uint8_t>(flags & detail::trace_flags_mask);
            l.context.remote = detail::remote_of(flags);
            return true;
          }
          return skip_value();
        }))
      return false;
    if (!trace_id) return fail("traceId is missing");
    if (!span_id) return fail("spanId is missing");
    return true;
  }

  bool status(sdk::span_status& st) {
    static constexpr const char* codes[] = {"STATUS_CODE_UNSET", "STATUS_CODE_OK",
                                            "STATUS_CODE_ERROR"};
    return object([&](std::string_view key) {
      if (key == "message") return string_value(key, st.message);
      if (key == "code") {
        std::uint64_t code = 0;
        if (!enum_value(key, code, codes)) return false;
        st.code = detail::status_of(code);
        return true;
      }
      return skip_value();
    });
  }

  bool attributes(std::vector<sdk::attribute>& attrs) {
    return array("attributes", [&] {
      std::string key;
      any_node value;
      if (!key_value(key, value, 1)) return false;
      attrs.push_back(sdk::attribute{std::move(key), detail::to_attribute_value(std::move(value))});
      return true;
    });
  }

  bool key_value(std::string& key, any_node& value, std::size_t depth) {
    return object([&](std::string_view k) {
      if (k == "key") return string_value(k, key);
      if (k == "value") return any_value(value, depth);
      return skip_value();
    });
  }

  bool any_value(any_node& v, std::size_t depth) {
    if (depth > any_depth_limit_)
      return fail("attribute values nested deeper than " + std::to_string(any_depth_limit_));
    return object([&](std::string_view key) {
      if (key == "stringValue") {
        v.type = any_node::kind::string;
        return string_value(key, v.text);
      }
      if (key == "boolValue") {
        v.type = any_node::kind::boolean;
        return bool_value(key, v.boolean);
      }
      if (key == "intValue") {
        v.type = any_node::kind::integer;
        return integer_value(key, v.integer);
      }
      if (key == "doubleValue") {
        v.type = any_node::kind::floating;
        return double_value(key, v.floating);
      }
      if (key == "bytesValue") {
        v.type = any_node::kind::bytes;
        std::string text;
        if (!string_value(key, text)) return false;
        if (!detail::decode_base64(text, v.text)) return fail("bytesValue is not base64");
        return true;
      }
      if (key == "arrayValue" || key == "kvlistValue") {
        const bool is_array = key == "arrayValue";
        v.type = is_array ? any_node::kind::array : any_node::kind::kvlist;
        v.items.clear();
        v.keys.clear();
        v.packed = false;
        return object([&](std::string_view k) {
          if (k != "values") return skip_value();
          return array(k, [&] {
            if (is_array) {
              any_node element;
              if (!any_value(element, depth + 1)) return false;
              detail::array_append(v, std::move(element));
              return true;
            }
            v.items.emplace_back();
            v.keys.emplace_back();
            return key_value(v.keys.back(), v.items.back(), depth + 1);
          });
        });
      }
      return skip_value();
    });
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  const decode_limits& limits_;
  std::size_t any_depth_limit_;
  std::size_t json_depth_limit_;
  std::size_t depth_ = 0;
  std::size_t spans_ = 0;
  std::string where_;
  std::string error_;
};

}  // namespace

bool decode_json(std::string_view text, std::vector<sdk::span_data>& out, std::string& error,
                 const decode_limits& limits) noexcept {
  return detail::decode_request(text, out, error, limits,
                                [&](std::vector<sdk::span_data>& spans, std::string& why) {
                                  json_decoder d(text, limits);
                                  if (d.request(spans)) return true;
                                  why = d.error();
                                  return false;
                                });
}

}  // namespace ctxflow::viewer
