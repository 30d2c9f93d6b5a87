// SPDX-License-Identifier: Apache-2.0
// Bounded decoders for OTLP responses (R8.10, R8.11): a proto3 wire reader and a small JSON
// reader that extract partial_success and google.rpc.Status fields (with a RetryInfo among the
// binary status's details, R8.19) and skip the rest.
#include "ctxflow/exporters/otlp/response.hpp"
#include "ctxflow/macros.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "base/hex.hpp"

namespace ctxflow::exporters::otlp {
namespace {

constexpr std::size_t max_message = 4096;

// ---------------------------------------------------------------------------------------------
// Protobuf.

struct pb_reader {
  const unsigned char* p;
  const unsigned char* end;

  bool done() const noexcept { return p >= end; }

  bool varint(std::uint64_t& v) noexcept {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p >= end) return false;
      const unsigned char b = *p++;
      v |= std::uint64_t{b & 0x7Fu} << shift;
      if ((b & 0x80) == 0) return true;
    }
    return false;
  }

  /// Reads a length-delimited payload.
  bool bytes(std::string_view& out) noexcept {
    std::uint64_t n = 0;
    if (!varint(n) || n > static_cast<std::uint64_t>(end - p)) return false;
    out = {reinterpret_cast<const char*>(p), static_cast<std::size_t>(n)};
    p += n;
    return true;
  }

  bool skip(std::uint32_t wire) noexcept {
    std::uint64_t v = 0;
    std::string_view s;
    switch (wire) {
      case 0: return varint(v);
      case 1:
        if (end - p < 8) return false;
        p += 8;
        return true;
      case 2: return bytes(s);
      case 5:
        if (end - p < 4) return false;
        p += 4;
        return true;
      default: return false;  // groups and invalid wire types
    }
  }

  bool key(std::uint32_t& field, std::uint32_t& wire) noexcept {
    std::uint64_t k = 0;
    if (!varint(k) || k > 0xFFFFFFFFu) return false;
    field = static_cast<std::uint32_t>(k >> 3);
    wire = static_cast<std::uint32_t>(k & 7);
    return field != 0;
  }
};

pb_reader reader_of(std::string_view s) noexcept {
  auto p = reinterpret_cast<const unsigned char*>(s.data());
  return {p, p + s.size()};
}

void keep_message(std::string& dst, std::string_view src) {
  dst.assign(src.substr(0, max_message));
}

bool parse_partial_success(std::string_view body, export_response& out) {
  pb_reader r = reader_of(body);
  while (!r.done()) {
    std::uint32_t field = 0, wire = 0;
    if (!r.key(field, wire)) return false;
    if (field == 1 && wire == 0) {
      std::uint64_t v = 0;
      if (!r.varint(v)) return false;
      out.rejected_spans = static_cast<std::int64_t>(v);
    } else if (field == 2 && wire == 2) {
      std::string_view s;
      if (!r.bytes(s)) return false;
      keep_message(out.error_message, s);
    } else if (!r.skip(wire)) {
      return false;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// JSON: a validating reader that only materialises the fields asked for.

class json_reader {
 public:
  explicit json_reader(std::string_view s) noexcept : p_(s.data()), end_(s.data() + s.size()) {}

  void ws() noexcept {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }
  bool at_end() noexcept {
    ws();
    return p_ == end_;
  }
  bool peek(char c) noexcept {
    ws();
    return p_ < end_ && *p_ == c;
  }
  bool eat(char c) noexcept {
    if (!peek(c)) return false;
    ++p_;
    return true;
  }

  /// Parses a string; when `out` is non-null, stores the decoded text (truncated).
  bool string(std::string* out) {
    if (!eat('"')) return false;
    while (p_ < end_) {
      const char c = *p_++;
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c != '\\') {
        put(out, c);
        continue;
      }
      if (p_ >= end_) return false;
      const char e = *p_++;
      switch (e) {
        case '"': put(out, '"'); break;
        case '\\': put(out, '\\'); break;
        case '/': put(out, '/'); break;
        case 'b': put(out, '\b'); break;
        case 'f': put(out, '\f'); break;
        case 'n': put(out, '\n'); break;
        case 'r': put(out, '\r'); break;
        case 't': put(out, '\t'); break;
        case 'u': {
          std::uint32_t cp = 0;
          if (!hex4(cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            std::uint32_t lo = 0;
            if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return false;
            p_ += 2;
            if (!hex4(lo) || lo < 0xDC00 || lo > 0xDFFF) return false;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return false;
          }
          put_utf8(out, cp);
          break;
        }
        default: return false;
      }
    }
    return false;
  }

  /// Parses a JSON number token into `text`.
  bool number(std::string_view& text) noexcept {
    ws();
    const char* start = p_;
    if (p_ < end_ && *p_ == '-') ++p_;
    const char* digits = p_;
    while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    if (p_ == digits) return false;
    if (p_ < end_ && *p_ == '.') {
      ++p_;
      const char* frac = p_;
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
      if (p_ == frac) return false;
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      const char* exp = p_;
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
      if (p_ == exp) return false;
    }
    text = {start, static_cast<std::size_t>(p_ - start)};
    return true;
  }

  bool literal(std::string_view word) noexcept {
    ws();
    if (static_cast<std::size_t>(end_ - p_) < word.size() ||
        std::memcmp(p_, word.data(), word.size()) != 0)
      return false;
    p_ += word.size();
    return true;
  }

  /// Skips any value, at most `depth` levels deep.
  bool skip(int depth) {
    if (depth <= 0) return false;
    ws();
    if (p_ >= end_) return false;
    std::string_view num;
    switch (*p_) {
      case '"': return string(nullptr);
      case '{':
        return object(depth, [&](std::string_view) { return skip(depth - 1); });
      case '[': {
        ++p_;
        if (eat(']')) return true;
        do {
          if (!skip(depth - 1)) return false;
        } while (eat(','));
        return eat(']');
      }
      case 't': return literal("true");
      case 'f': return literal("false");
      case 'n': return literal("null");
      default: return number(num);
    }
  }

  /// Parses an object, calling `member(key)` with the reader positioned at each value.
  template <class Fn>
  bool object(int depth, Fn&& member) {
    if (depth <= 0 || !eat('{')) return false;
    if (eat('}')) return true;
    std::string k;
    do {
      k.clear();
      if (!string(&k) || !eat(':')) return false;
      if (!member(std::string_view(k))) return false;
    } while (eat(','));
    return eat('}');
  }

  /// An integer given as a number or a decimal string (R8.4).
  bool integer(std::int64_t& v) {
    std::string_view text;
    std::string s;
    if (peek('"')) {
      if (!string(&s)) return false;
      text = s;
    } else if (!number(text)) {
      return false;
    }
    const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
    if (r.ec == std::errc() && r.ptr == text.data() + text.size()) return true;
    // A number in exponent or fractional form: accept it when it is integral.
    double d = 0;
    const auto rd = std::from_chars(text.data(), text.data() + text.size(), d);
    if (rd.ec != std::errc() || rd.ptr != text.data() + text.size()) return false;
    if (!(d >= -9.2e18 && d <= 9.2e18) || static_cast<double>(static_cast<std::int64_t>(d)) != d)
      return false;
    v = static_cast<std::int64_t>(d);
    return true;
  }

 private:
  bool hex4(std::uint32_t& v) noexcept {
    if (end_ - p_ < 4 || !internal::decode_hex_number(p_, 4, v)) return false;
    p_ += 4;
    return true;
  }
  static void put(std::string* out, char c) {
    if (out != nullptr && out->size() < max_message) out->push_back(c);
  }
  static void put_utf8(std::string* out, std::uint32_t cp) {
    if (cp < 0x80) {
      put(out, static_cast<char>(cp));
    } else if (cp < 0x800) {
      put(out, static_cast<char>(0xC0 | (cp >> 6)));
      put(out, static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      put(out, static_cast<char>(0xE0 | (cp >> 12)));
      put(out, static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      put(out, static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      put(out, static_cast<char>(0xF0 | (cp >> 18)));
      put(out, static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      put(out, static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      put(out, static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  const char* p_;
  const char* end_;
};

constexpr int max_depth = 64;

std::optional<export_response> export_response_json(std::string_view body) {
  export_response out;
  json_reader r(body);
  if (r.at_end()) return out;
  const bool ok = r.object(max_depth, [&](std::string_view k) {
    if (k != "partialSuccess" && k != "partial_success") return r.skip(max_depth - 1);
    if (r.literal("null")) return true;
    out.has_partial_success = true;
    return r.object(max_depth - 1, [&](std::string_view pk) {
      if (pk == "rejectedSpans" || pk == "rejected_spans") return r.integer(out.rejected_spans);
      if (pk == "errorMessage" || pk == "error_message") return r.string(&out.error_message);
      return r.skip(max_depth - 2);
    });
  });
  if (!ok || !r.at_end()) return std::nullopt;
  return out;
}

std::optional<rpc_status> rpc_status_json(std::string_view body) {
  rpc_status out;
  json_reader r(body);
  const bool ok = r.object(max_depth, [&](std::string_view k) {
    if (k == "code") {
      std::int64_t v = 0;
      if (!r.integer(v)) return false;
      out.code = static_cast<std::int32_t>(v);
      return true;
    }
    if (k == "message") return r.string(&out.message);
    return r.skip(max_depth - 1);
  });
  if (!ok || !r.at_end()) return std::nullopt;
  return out;
}

std::optional<export_response> export_response_protobuf(std::string_view body) {
  export_response out;
  pb_reader r = reader_of(body);
  while (!r.done()) {
    std::uint32_t field = 0, wire = 0;
    if (!r.key(field, wire)) return std::nullopt;
    if (field == 1 && wire == 2) {
      std::string_view inner;
      if (!r.bytes(inner)) return std::nullopt;
      out.has_partial_success = true;
      if (!parse_partial_success(inner, out)) return std::nullopt;
    } else if (!r.skip(wire)) {
      return std::nullopt;
    }
  }
  return out;
}

/// A google.protobuf.Duration {int64 seconds = 1; int32 nanos = 2;} as milliseconds, clamped to
/// [0, about 31 years].
bool parse_duration(std::string_view body, std::chrono::milliseconds& out) {
  std::int64_t seconds = 0;
  std::int64_t nanos = 0;
  pb_reader r = reader_of(body);
  while (!r.done()) {
    std::uint32_t field = 0, wire = 0;
    if (!r.key(field, wire)) return false;
    std::uint64_t v = 0;
    if ((field == 1 || field == 2) && wire == 0) {
      if (!r.varint(v)) return false;
      (field == 1 ? seconds : nanos) = static_cast<std::int64_t>(v);
    } else if (!r.skip(wire)) {
      return false;
    }
  }
  constexpr std::int64_t max_seconds = 1'000'000'000;
  seconds = std::clamp<std::int64_t>(seconds, 0, max_seconds);
  nanos = std::clamp<std::int64_t>(static_cast<std::int32_t>(nanos), 0, 999'999'999);
  out = std::chrono::milliseconds(seconds * 1000 + nanos / 1'000'000);
  return true;
}

/// A google.protobuf.Any of the details: the delay of a google.rpc.RetryInfo
/// {Duration retry_delay = 1;}, nothing for any other type.
bool parse_detail(std::string_view body, std::optional<std::chrono::milliseconds>& delay) {
  std::string_view type_url, value;
  pb_reader r = reader_of(body);
  while (!r.done()) {
    std::uint32_t field = 0, wire = 0;
    if (!r.key(field, wire)) return false;
    if ((field == 1 || field == 2) && wire == 2) {
      if (!r.bytes(field == 1 ? type_url : value)) return false;
    } else if (!r.skip(wire)) {
      return false;
    }
  }
  if (type_url != "type.googleapis.com/google.rpc.RetryInfo") return true;
  r = reader_of(value);
  std::chrono::milliseconds d{0};
  while (!r.done()) {
    std::uint32_t field = 0, wire = 0;
    if (!r.key(field, wire)) return false;
    std::string_view duration;
    if (field == 1 && wire == 2) {
      if (!r.bytes(duration) || !parse_duration(duration, d)) return false;
    } else if (!r.skip(wire)) {
      return false;
    }
  }
  delay = d;
  return true;
}

std::optional<rpc_status> rpc_status_protobuf(std::string_view body) {
  rpc_status out;
  pb_reader r = reader_of(body);
  while (!r.done()) {
    std::uint32_t field = 0, wire = 0;
    if (!r.key(field, wire)) return std::nullopt;
    if (field == 1 && wire == 0) {
      std::uint64_t v = 0;
      if (!r.varint(v)) return std::nullopt;
      out.code = static_cast<std::int32_t>(v);
    } else if (field == 2 && wire == 2) {
      std::string_view s;
      if (!r.bytes(s)) return std::nullopt;
      keep_message(out.message, s);
    } else if (field == 3 && wire == 2) {
      std::string_view detail;
      if (!r.bytes(detail) || !parse_detail(detail, out.retry_delay)) return std::nullopt;
    } else if (!r.skip(wire)) {
      return std::nullopt;
    }
  }
  return out;
}

template <class Fn>
auto guarded(Fn&& fn) noexcept -> decltype(fn()) {
  CTXFLOW_TRY {
    return fn();
  } CTXFLOW_CATCH_ALL {
    return std::nullopt;
  }
}

}  // namespace

std::optional<export_response> parse_export_response_protobuf(std::string_view body) noexcept {
  return guarded([&] { return export_response_protobuf(body); });
}
std::optional<export_response> parse_export_response_json(std::string_view body) noexcept {
  return guarded([&] { return export_response_json(body); });
}
std::optional<rpc_status> parse_rpc_status_protobuf(std::string_view body) noexcept {
  return guarded([&] { return rpc_status_protobuf(body); });
}
std::optional<rpc_status> parse_rpc_status_json(std::string_view body) noexcept {
  return guarded([&] { return rpc_status_json(body); });
}

}  // namespace ctxflow::exporters::otlp
