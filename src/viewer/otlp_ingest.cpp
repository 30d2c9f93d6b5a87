// SPDX-License-Identifier: Apache-2.0
// ingest(): content negotiation, bounded gzip inflation, decoding and the OTLP answer bodies.
#include "ctxflow/viewer/otlp_ingest.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <utility>

#include "ctxflow/macros.hpp"
#include "ctxflow/viewer/trace_store.hpp"

namespace ctxflow::viewer {
namespace {

// google.rpc.Code values used in answers.
constexpr int code_invalid_argument = 3;
constexpr int code_resource_exhausted = 8;
constexpr int code_internal = 13;

enum class format { protobuf, json, unsupported };

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

format format_of(std::string_view content_type) noexcept {
  const std::string_view media = trim(content_type.substr(0, content_type.find(';')));
  if (iequals(media, "application/x-protobuf") || iequals(media, "application/protobuf"))
    return format::protobuf;
  if (iequals(media, "application/json")) return format::json;
  return format::unsupported;
}

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put_string_field(std::string& out, unsigned field, std::string_view s) {
  put_varint(out, (field << 3) | 2);
  put_varint(out, s.size());
  out.append(s);
}

// The message is sent back to the client; keep it short.
std::string clip(std::string message) {
  constexpr std::size_t max = 1024;
  if (message.size() > max) {
    message.resize(max);
    message += "...";
  }
  return message;
}

enum class inflate_outcome { ok, too_large, malformed };

// Inflates one or more gzip members from `in` into `out`, never holding more than `limit` + 1
// bytes of output.
inflate_outcome gunzip(std::string_view in, std::size_t limit, std::string& out,
                       std::string& message) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) {
    message = "cannot start inflating";
    return inflate_outcome::malformed;
  }
  struct end_guard {
    z_stream* z;
    ~end_guard() { inflateEnd(z); }
  } guard{&zs};

  const std::size_t cap = limit == SIZE_MAX ? limit : limit + 1;  // one byte past: "too large"
  out.resize(std::min<std::size_t>(cap, std::max<std::size_t>(in.size() * 4, 4096)));
  std::size_t produced = 0;
  auto* next_in = reinterpret_cast<const Bytef*>(in.data());
  std::size_t left_in = in.size();
  while (true) {
    if (produced == out.size()) {
      if (out.size() >= cap) {
        out.clear();
        message = "the inflated body is larger than " + std::to_string(limit) + " bytes";
        return inflate_outcome::too_large;
      }
      out.resize(std::min(cap, out.size() * 2));
    }
    const uInt in_chunk = static_cast<uInt>(std::min<std::size_t>(left_in, 1u << 30));
    const uInt out_chunk = static_cast<uInt>(std::min<std::size_t>(out.size() - produced, 1u << 30));
    zs.next_in = const_cast<Bytef*>(next_in);
    zs.avail_in = in_chunk;
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    zs.avail_out = out_chunk;
    const int rc = inflate(&zs, Z_NO_FLUSH);
    const std::size_t used_in = in_chunk - zs.avail_in;
    next_in += used_in;
    left_in -= used_in;
    produced += out_chunk - zs.avail_out;
    if (rc == Z_STREAM_END) {
      if (left_in == 0) break;
      // Another gzip member follows (RFC 1952 allows several).
      if (inflateReset(&zs) != Z_OK) {
        message = "cannot inflate the next gzip member";
        return inflate_outcome::malformed;
      }
      continue;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && left_in == 0 && produced < out.size()) {
      message = "the gzip body is truncated";
      return inflate_outcome::malformed;
    }
    if (rc == Z_BUF_ERROR) continue;  // no room for output: the loop grows `out`
    message = std::string("the gzip body is malformed: ") + (zs.msg != nullptr ? zs.msg : "error " + std::to_string(rc));
    return inflate_outcome::malformed;
  }
  out.resize(produced);
  return inflate_outcome::ok;
}

std::string success_body(std::size_t rejected, std::string_view message, bool json) {
  std::string out;
  if (json) {
    if (rejected == 0) return "{}";
    out = "{\"partialSuccess\":{\"rejectedSpans\":\"" + std::to_string(rejected) +
          "\",\"errorMessage\":";
    append_json_string(out, message);
    out += "}}";
    return out;
  }
  if (rejected == 0) return out;
  std::string inner;
  put_varint(inner, (1u << 3) | 0);
  put_varint(inner, rejected);
  put_string_field(inner, 2, message);
  put_string_field(out, 1, inner);
  return out;
}

void fail(ingest_result& r, int status, int code, std::string message, bool json) {
  r.status = status;
  r.message = clip(std::move(message));
  r.content_type = json ? "application/json" : "application/x-protobuf";
  r.body = rpc_status_body(code, r.message, json);
  r.spans.clear();
}

}  // namespace

std::string rpc_status_body(int code, std::string_view message, bool json) {
  std::string out;
  if (json) {
    out = "{\"code\":" + std::to_string(code) + ",\"message\":";
    append_json_string(out, message);
    out += '}';
    return out;
  }
  if (code != 0) {
    put_varint(out, (1u << 3) | 0);
    put_varint(out, static_cast<std::uint64_t>(static_cast<std::int64_t>(code)));
  }
  if (!message.empty()) put_string_field(out, 2, message);
  return out;
}

ingest_result ingest(std::string_view content_type, std::string_view content_encoding,
                     std::string_view body, const ingest_limits& limits) noexcept {
  ingest_result r;
  const format f = format_of(content_type);
  const bool json = f != format::protobuf;
  CTXFLOW_TRY {
    if (f == format::unsupported) {
      fail(r, 415, code_invalid_argument,
           "unsupported content type '" + std::string(content_type.substr(0, 100)) +
               "': send application/x-protobuf or application/json",
           true);
      return r;
    }
    const std::string_view encoding = trim(content_encoding);
    std::string inflated;
    std::string_view payload = body;
    if (iequals(encoding, "gzip")) {
      std::string message;
      switch (gunzip(body, limits.max_body_bytes, inflated, message)) {
        case inflate_outcome::ok: break;
        case inflate_outcome::too_large:
          fail(r, 413, code_resource_exhausted, message, json);
          return r;
        case inflate_outcome::malformed:
          fail(r, 400, code_invalid_argument, message, json);
          return r;
      }
      payload = inflated;
    } else if (!encoding.empty() && !iequals(encoding, "identity")) {
      fail(r, 415, code_invalid_argument,
           "unsupported content encoding '" + std::string(encoding.substr(0, 100)) +
               "': send gzip or no encoding",
           json);
      return r;
    }
    if (payload.size() > limits.max_body_bytes) {
      fail(r, 413, code_resource_exhausted,
           "the body is larger than " + std::to_string(limits.max_body_bytes) + " bytes", json);
      return r;
    }
    std::string error;
    const bool ok = json ? decode_json(payload, r.spans, error, limits.decode)
                         : decode_protobuf(payload, r.spans, error, limits.decode);
    if (!ok) {
      fail(r, 400, code_invalid_argument,
           std::string(json ? "undecodable OTLP/JSON request: "
                            : "undecodable OTLP/protobuf request: ") + error,
           json);
      return r;
    }
    const auto bad = std::remove_if(r.spans.begin(), r.spans.end(), [](const sdk::span_data& s) {
      return !s.context.trace.valid() || !s.context.span.valid();
    });
    r.rejected = static_cast<std::size_t>(r.spans.end() - bad);
    r.spans.erase(bad, r.spans.end());
    if (r.rejected != 0)
      r.message = std::to_string(r.rejected) + " spans rejected: a trace or span id is invalid";
    r.status = 200;
    r.content_type = json ? "application/json" : "application/x-protobuf";
    r.body = success_body(r.rejected, r.message, json);
    return r;
  }
  CTXFLOW_CATCH_ALL {
    ingest_result e;
    CTXFLOW_TRY { fail(e, 500, code_internal, current_exception_message(), json); }
    CTXFLOW_CATCH_ALL { e.status = 500; }
    return e;
  }
}

}  // namespace ctxflow::viewer
