// SPDX-License-Identifier: Apache-2.0
// AnyValue mapping, JSON text of values span_data cannot hold, UTF-8 repair and base64.
#include "viewer/otlp_values.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <iterator>
#include <type_traits>
#include <variant>
#include <utility>

#include "base/hex.hpp"
#include "ctxflow/viewer/json_string.hpp"

namespace ctxflow::viewer::detail {
namespace {

// Length of the valid UTF-8 sequence at `p` (1..4), or 0 when none starts there (overlong
// forms, surrogates and values above U+10FFFF are invalid).
std::size_t utf8_sequence(const unsigned char* p, const unsigned char* end) noexcept {
  const unsigned char c = p[0];
  if (c < 0x80) return 1;
  const auto avail = static_cast<std::size_t>(end - p);
  auto cont = [&](std::size_t i) { return i < avail && (p[i] & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && p[1] < 0xA0) return 0;
    if (c == 0xED && p[1] >= 0xA0) return 0;
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && p[1] < 0x90) return 0;
    if (c == 0xF4 && p[1] >= 0x90) return 0;
    return 4;
  }
  return 0;
}

constexpr char replacement[] = "\xEF\xBF\xBD";

bool valid_utf8(std::string_view s) noexcept {
  auto p = reinterpret_cast<const unsigned char*>(s.data());
  const auto end = p + s.size();
  while (p < end) {
    if (*p < 0x80) {
      ++p;
      continue;
    }
    const std::size_t n = utf8_sequence(p, end);
    if (n == 0) return false;
    p += n;
  }
  return true;
}

// The element type shared by every member of an array, or `empty` when they differ or any is
// not a string, bool, integer or double.
any_node::kind common_scalar(const std::vector<any_node>& items) noexcept {
  const any_node::kind first = items.front().type;
  if (first != any_node::kind::string && first != any_node::kind::boolean &&
      first != any_node::kind::integer && first != any_node::kind::floating)
    return any_node::kind::empty;
  for (const any_node& n : items)
    if (n.type != first) return any_node::kind::empty;
  return first;
}

void append_double(std::string& out, double d) {
  if (std::isnan(d)) {
    out += "\"NaN\"";
  } else if (std::isinf(d)) {
    out += d > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  } else {
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, d);
    out.append(buf, r.ptr);
  }
}

bool is_scalar(any_node::kind k) noexcept {
  return k == any_node::kind::string || k == any_node::kind::boolean ||
         k == any_node::kind::integer || k == any_node::kind::floating;
}

// Whether the packed values of `array` have the type of a scalar of kind `k`.
bool packs(const sdk::attribute_value& values, any_node::kind k) noexcept {
  switch (k) {
    case any_node::kind::string: return std::holds_alternative<std::vector<std::string>>(values);
    case any_node::kind::boolean: return std::holds_alternative<std::vector<bool>>(values);
    case any_node::kind::integer: return std::holds_alternative<std::vector<std::int64_t>>(values);
    case any_node::kind::floating: return std::holds_alternative<std::vector<double>>(values);
    default: return false;
  }
}

void pack(sdk::attribute_value& values, any_node&& e) {
  switch (e.type) {
    case any_node::kind::string: std::get<std::vector<std::string>>(values).push_back(std::move(e.text)); break;
    case any_node::kind::boolean: std::get<std::vector<bool>>(values).push_back(e.boolean); break;
    case any_node::kind::integer: std::get<std::vector<std::int64_t>>(values).push_back(e.integer); break;
    case any_node::kind::floating: std::get<std::vector<double>>(values).push_back(e.floating); break;
    default: break;
  }
}

// The packed values of an array as nodes.
std::vector<any_node> unpacked(const sdk::attribute_value& values) {
  std::vector<any_node> out;
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          for (const std::string& v : x) {
            any_node& n = out.emplace_back();
            n.type = any_node::kind::string;
            n.text = v;
          }
        } else if constexpr (std::is_same_v<T, std::vector<bool>>) {
          for (const bool v : x) {
            any_node& n = out.emplace_back();
            n.type = any_node::kind::boolean;
            n.boolean = v;
          }
        } else if constexpr (std::is_same_v<T, std::vector<std::int64_t>>) {
          for (const std::int64_t v : x) {
            any_node& n = out.emplace_back();
            n.type = any_node::kind::integer;
            n.integer = v;
          }
        } else if constexpr (std::is_same_v<T, std::vector<double>>) {
          for (const double v : x) {
            any_node& n = out.emplace_back();
            n.type = any_node::kind::floating;
            n.floating = v;
          }
        }
      },
      values);
  return out;
}

}  // namespace

void array_append(any_node& array, any_node&& element) {
  if (array.items.empty()) {
    if (!array.packed && is_scalar(element.type)) {
      switch (element.type) {
        case any_node::kind::string: array.values = std::vector<std::string>{}; break;
        case any_node::kind::boolean: array.values = std::vector<bool>{}; break;
        case any_node::kind::integer: array.values = std::vector<std::int64_t>{}; break;
        default: array.values = std::vector<double>{}; break;
      }
      array.packed = true;
    }
    if (array.packed) {
      if (packs(array.values, element.type)) {
        pack(array.values, std::move(element));
        return;
      }
      array.items = unpacked(array.values);
      array.values = false;
      array.packed = false;
    }
  }
  array.items.push_back(std::move(element));
}

sdk::attribute_value to_attribute_value(any_node&& v) {
  switch (v.type) {
    case any_node::kind::empty: return std::string();
    case any_node::kind::string: return std::move(v.text);
    case any_node::kind::boolean: return v.boolean;
    case any_node::kind::integer: return v.integer;
    case any_node::kind::floating: return v.floating;
    case any_node::kind::bytes: {
      sdk::byte_string b;
      b.data.assign(v.text.begin(), v.text.end());
      return b;
    }
    case any_node::kind::array: {
      if (v.packed) return std::move(v.values);
      if (v.items.empty()) return std::vector<std::string>{};
      switch (common_scalar(v.items)) {
        case any_node::kind::string: {
          std::vector<std::string> xs;
          xs.reserve(v.items.size());
          for (any_node& n : v.items) xs.push_back(std::move(n.text));
          return xs;
        }
        case any_node::kind::boolean: {
          std::vector<bool> xs;
          xs.reserve(v.items.size());
          for (const any_node& n : v.items) xs.push_back(n.boolean);
          return xs;
        }
        case any_node::kind::integer: {
          std::vector<std::int64_t> xs;
          xs.reserve(v.items.size());
          for (const any_node& n : v.items) xs.push_back(n.integer);
          return xs;
        }
        case any_node::kind::floating: {
          std::vector<double> xs;
          xs.reserve(v.items.size());
          for (const any_node& n : v.items) xs.push_back(n.floating);
          return xs;
        }
        default: break;
      }
      break;
    }
    case any_node::kind::kvlist: break;
  }
  std::string json;
  append_any_json(json, v);
  return json;
}

void append_any_json(std::string& out, const any_node& v) {
  switch (v.type) {
    case any_node::kind::empty: out += "{}"; return;
    case any_node::kind::string:
      out += "{\"stringValue\":";
      append_json_string(out, v.text);
      out += '}';
      return;
    case any_node::kind::boolean: out += v.boolean ? "{\"boolValue\":true}" : "{\"boolValue\":false}"; return;
    case any_node::kind::integer:
      out += "{\"intValue\":\"";
      out += std::to_string(v.integer);
      out += "\"}";
      return;
    case any_node::kind::floating:
      out += "{\"doubleValue\":";
      append_double(out, v.floating);
      out += '}';
      return;
    case any_node::kind::bytes:
      out += "{\"bytesValue\":\"";
      append_base64(out, v.text);
      out += "\"}";
      return;
    case any_node::kind::array:
      if (v.packed) {
        any_node expanded;
        expanded.type = any_node::kind::array;
        expanded.items = unpacked(v.values);
        append_any_json(out, expanded);
        return;
      }
      out += "{\"arrayValue\":{";
      if (!v.items.empty()) {
        out += "\"values\":[";
        for (std::size_t i = 0; i < v.items.size(); ++i) {
          if (i != 0) out += ',';
          append_any_json(out, v.items[i]);
        }
        out += ']';
      }
      out += "}}";
      return;
    case any_node::kind::kvlist:
      out += "{\"kvlistValue\":{";
      if (!v.items.empty()) {
        out += "\"values\":[";
        for (std::size_t i = 0; i < v.items.size(); ++i) {
          if (i != 0) out += ',';
          out += "{\"key\":";
          append_json_string(out, i < v.keys.size() ? std::string_view(v.keys[i]) : std::string_view());
          out += ",\"value\":";
          append_any_json(out, v.items[i]);
          out += '}';
        }
        out += ']';
      }
      out += "}}";
      return;
  }
}

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  auto p = reinterpret_cast<const unsigned char*>(s.data());
  const auto end = p + s.size();
  while (p < end) {
    const unsigned char c = *p;
    if (c >= 0x80) {
      const std::size_t n = utf8_sequence(p, end);
      if (n == 0) {
        out += replacement;
        ++p;
      } else {
        out.append(reinterpret_cast<const char*>(p), n);
        p += n;
      }
      continue;
    }
    ++p;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char esc[6] = {'\\', 'u', '0', '0', '0', '0'};
          internal::encode_hex_byte(c, esc + 4);
          out.append(esc, 6);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void append_base64(std::string& out, std::string_view data) {
  constexpr char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  auto byte = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(data[i])); };
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const std::uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    const char q[4] = {table[v >> 18], table[(v >> 12) & 63], table[(v >> 6) & 63], table[v & 63]};
    out.append(q, 4);
  }
  if (const std::size_t rest = data.size() - i; rest != 0) {
    std::uint32_t v = byte(i) << 16;
    if (rest == 2) v |= byte(i + 1) << 8;
    const char q[4] = {table[v >> 18], table[(v >> 12) & 63], rest == 2 ? table[(v >> 6) & 63] : '=',
                       '='};
    out.append(q, 4);
  }
}

bool decode_base64(std::string_view text, std::string& out) {
  static constexpr std::array<std::int8_t, 256> values = [] {
    std::array<std::int8_t, 256> t{};
    for (auto& x : t) x = -1;
    for (int c = 'A'; c <= 'Z'; ++c) t[static_cast<std::size_t>(c)] = static_cast<std::int8_t>(c - 'A');
    for (int c = 'a'; c <= 'z'; ++c) t[static_cast<std::size_t>(c)] = static_cast<std::int8_t>(c - 'a' + 26);
    for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = static_cast<std::int8_t>(c - '0' + 52);
    t['+'] = 62;
    t['/'] = 63;
    t['-'] = 62;  // URL-safe alphabet
    t['_'] = 63;
    return t;
  }();
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return false;
  std::string result;
  result.reserve(text.size() / 4 * 3 + 2);
  std::uint32_t acc = 0;
  int bits = 0;
  for (const char c : text) {
    const std::int8_t v = values[static_cast<unsigned char>(c)];
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      result += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  out = std::move(result);
  return true;
}

void repair_utf8(std::string& s) {
  if (valid_utf8(s)) return;
  std::string fixed;
  fixed.reserve(s.size() + 16);
  auto p = reinterpret_cast<const unsigned char*>(s.data());
  const auto end = p + s.size();
  while (p < end) {
    const std::size_t n = utf8_sequence(p, end);
    if (n == 0) {
      fixed += replacement;
      ++p;
    } else {
      fixed.append(reinterpret_cast<const char*>(p), n);
      p += n;
    }
  }
  s = std::move(fixed);
}

void append_spans(std::vector<sdk::span_data>& to, std::vector<sdk::span_data>&& from) {
  if (to.empty()) {
    to.swap(from);
    return;
  }
  // Growth stays geometric (an exact reserve on every call would move every span each time).
  if (to.capacity() < to.size() + from.size()) to.reserve(std::max(to.size() + from.size(), 2 * to.capacity()));
  to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
}

}  // namespace ctxflow::viewer::detail

namespace ctxflow::viewer {

void append_json_string(std::string& out, std::string_view text) {
  detail::append_json_string(out, text);
}

}  // namespace ctxflow::viewer
