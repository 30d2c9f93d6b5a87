// SPDX-License-Identifier: Apache-2.0
// decode_protobuf: a proto3 wire-format reader for ExportTraceServiceRequest (docs/requirements.md
// §8.1), written against the field numbers, with no protobuf library. Every read is checked
// against what remains of its message, varints are at most 10 bytes, groups are rejected and
// unknown fields of the four known wire types are skipped. Spans refer to their resource and
// scope through shared objects that are filled in as the fields arrive, so the order of the
// fields within a message does not matter.
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <utility>

#include "ctxflow/macros.hpp"
#include "ctxflow/viewer/otlp_reader.hpp"
#include "viewer/otlp_values.hpp"

namespace ctxflow::viewer {
namespace {

using detail::any_node;

constexpr std::uint32_t wt_varint = 0;
constexpr std::uint32_t wt_fixed64 = 1;
constexpr std::uint32_t wt_len = 2;
constexpr std::uint32_t wt_fixed32 = 5;

const char* wire_type_name(std::uint32_t wt) noexcept {
  switch (wt) {
    case wt_varint: return "varint";
    case wt_fixed64: return "64-bit";
    case wt_len: return "length-delimited";
    case wt_fixed32: return "32-bit";
    default: return "unknown";
  }
}

/// One field as read: its number, wire type and value (the number, or the bytes of a
/// length-delimited field).
struct field {
  std::uint32_t number = 0;
  std::uint32_t wire = 0;
  std::uint64_t value = 0;
  std::string_view bytes;
};

/// Reads the fields of one message body in order.
class message_reader {
 public:
  explicit message_reader(std::string_view body) noexcept
      : p_(reinterpret_cast<const unsigned char*>(body.data())), end_(p_ + body.size()) {}

  bool done() const noexcept { return p_ == end_; }

  /// Reads the next field; false with `error` set on malformed input.
  bool next(field& f, std::string& error) {
    std::uint64_t tag = 0;
    if (!varint(tag, error)) return false;
    const auto wire = static_cast<std::uint32_t>(tag & 7);
    const std::uint64_t number = tag >> 3;
    if (number == 0 || number > 0x1FFFFFFF) {
      error = "malformed tag (field number " + std::to_string(number) + ")";
      return false;
    }
    f.number = static_cast<std::uint32_t>(number);
    f.wire = wire;
    f.bytes = {};
    f.value = 0;
    switch (wire) {
      case wt_varint: return varint(f.value, error);
      case wt_fixed64: return fixed(8, f.value, error);
      case wt_fixed32: return fixed(4, f.value, error);
      case wt_len: {
        std::uint64_t n = 0;
        if (!varint(n, error)) return false;
        const auto left = static_cast<std::uint64_t>(end_ - p_);
        if (n > left) {
          error = "field " + std::to_string(f.number) + " has length " + std::to_string(n) +
                  " but only " + std::to_string(left) + " bytes remain";
          return false;
        }
        f.bytes = std::string_view(reinterpret_cast<const char*>(p_), static_cast<std::size_t>(n));
        p_ += n;
        return true;
      }
      case 3:
      case 4:
        error = "field " + std::to_string(f.number) + " uses the group wire type " +
                std::to_string(wire) + ", which OTLP does not use";
        return false;
      default:
        error = "field " + std::to_string(f.number) + " has the invalid wire type " +
                std::to_string(wire);
        return false;
    }
  }

 private:
  bool varint(std::uint64_t& out, std::string& error) {
    std::uint64_t v = 0;
    for (int i = 0; i < 10; ++i) {
      if (p_ == end_) {
        error = "truncated varint";
        return false;
      }
      const unsigned char b = *p_++;
      if (i == 9 && b > 1) {
        error = (b & 0x80) != 0 ? "varint longer than 10 bytes" : "varint longer than 64 bits";
        return false;
      }
      v |= static_cast<std::uint64_t>(b & 0x7F) << (7 * i);
      if ((b & 0x80) == 0) {
        out = v;
        return true;
      }
    }
    error = "varint longer than 10 bytes";
    return false;
  }
  bool fixed(int n, std::uint64_t& out, std::string& error) {
    if (end_ - p_ < n) {
      error = "truncated " + std::to_string(8 * n) + "-bit value";
      return false;
    }
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= static_cast<std::uint64_t>(p_[i]) << (8 * i);
    p_ += n;
    out = v;
    return true;
  }

  const unsigned char* p_;
  const unsigned char* end_;
};

class request_decoder {
 public:
  explicit request_decoder(const decode_limits& limits) : limits_(limits) {}

  bool request(std::string_view body, std::vector<sdk::span_data>& out) {
    message_reader r(body);
    field f;
    std::size_t index = 0;
    while (!r.done()) {
      if (!r.next(f, reason_)) return fail("ExportTraceServiceRequest");
      if (f.number == 1) {
        if (!expect(f, wt_len, "ExportTraceServiceRequest", "resource_spans")) return false;
        where_ = "resource_spans " + std::to_string(index++);
        if (!resource_spans(f.bytes, out)) return false;
      }
    }
    return true;
  }

  const std::string& error() const noexcept { return error_; }

 private:
  // Sets the error from `reason_`, prefixed with where it happened.
  bool fail(std::string_view message_name) {
    error_ = where_.empty() ? std::string(message_name) : where_;
    if (!error_.empty()) error_ += ": ";
    error_ += reason_;
    return false;
  }
  bool fail_with(std::string reason) {
    reason_ = std::move(reason);
    return fail("");
  }
  bool expect(const field& f, std::uint32_t wire, std::string_view message_name,
              std::string_view field_name) {
    if (f.wire == wire) return true;
    reason_ = std::string(field_name) + " has wire type " + wire_type_name(f.wire) + ", expected " +
              wire_type_name(wire);
    return fail(message_name);
  }
  bool string_field(const field& f, std::string& out, std::string_view name) {
    if (!expect(f, wt_len, name, name)) return false;
    out.assign(f.bytes);
    detail::repair_utf8(out);
    return true;
  }
  template <class Int>
  bool varint_field(const field& f, Int& out, std::string_view name) {
    if (!expect(f, wt_varint, name, name)) return false;
    out = static_cast<Int>(f.value);
    return true;
  }

  bool resource_spans(std::string_view body, std::vector<sdk::span_data>& out) {
    auto res = std::make_shared<sdk::resource>();
    message_reader r(body);
    field f;
    std::size_t scope_index = 0;
    std::vector<std::string_view> library_spans;
    const std::string outer = where_;
    while (!r.done()) {
      if (!r.next(f, reason_)) return fail("ResourceSpans");
      switch (f.number) {
        case 1:
          if (!expect(f, wt_len, "ResourceSpans", "resource") || !resource(f.bytes, *res)) return false;
          break;
        case 2:
          if (!expect(f, wt_len, "ResourceSpans", "scope_spans")) return false;
          where_ = outer + ": scope_spans " + std::to_string(scope_index++);
          if (!scope_spans(f.bytes, res, out)) return false;
          where_ = outer;
          break;
        case 1000:  // instrumentation_library_spans: the same message before OTLP 0.15
          if (!expect(f, wt_len, "ResourceSpans", "instrumentation_library_spans")) return false;
          library_spans.push_back(f.bytes);
          break;
        case 3:
          if (!string_field(f, res->schema_url, "schema_url")) return false;
          break;
        default: break;
      }
    }
    // Read only from a sender that wrote no scope_spans, so that one that wrote both for old
    // receivers is not read twice.
    if (scope_index == 0) {
      for (const std::string_view body_of_library : library_spans) {
        where_ = outer + ": instrumentation_library_spans " + std::to_string(scope_index++);
        if (!scope_spans(body_of_library, res, out)) return false;
      }
      where_ = outer;
    }
    return true;
  }

  bool resource(std::string_view body, sdk::resource& res) {
    message_reader r(body);
    field f;
    while (!r.done()) {
      if (!r.next(f, reason_)) return fail("Resource");
      if (f.number == 1) {
        if (!expect(f, wt_len, "Resource", "attributes")) return false;
        if (!key_value(f.bytes, res.attributes)) return false;
      }
      // 2: dropped_attributes_count, which sdk::resource does not hold.
    }
    return true;
  }

  bool scope_spans(std::string_view body, const std::shared_ptr<sdk::resource>& res,
                   std::vector<sdk::span_data>& out) {
    auto scope = std::make_shared<sdk::instrumentation_scope>();
    message_reader r(body);
    field f;
    const std::string outer = where_;
    while (!r.done()) {
      if (!r.next(f, reason_)) return fail("ScopeSpans");
      switch (f.number) {
        case 1:
          if (!expect(f, wt_len, "ScopeSpans", "scope")) return false;
          where_ = outer + ": scope";
          if (!instrumentation_scope(f.bytes, *scope)) return false;
          where_ = outer;
          break;
        case 2: {
          if (!expect(f, wt_len, "ScopeSpans", "spans")) return false;
          if (spans_ >= limits_.max_spans)
            return fail_with("more than " + std::to_string(limits_.max_spans) + " spans");
          where_ = "span " + std::to_string(spans_++);
          sdk::span_data s;
          if (!span(f.bytes, s)) return false;
          s.resource_ptr = res;
          s.scope_ptr = scope;
          out.push_back(std::move(s));
          where_ = outer;
          break;
        }
        case 3:
          if (!string_field(f, scope->schema_url, "schema_url")) return false;
          break;
        default: break;
      }
    }
    return true;
  }

  bool instrumentation_scope(std::string_view body, sdk::instrumentation_scope& sc) {
    message_reader r(body);
    field f;
    while (!r.done()) {
      if (!r.next(f, reason_)) return fail("InstrumentationScope");
      switch (f.number) {
        case 1:
          if (!string_field(f, sc.name, "name")) return false;
          break;
        case 2:
          if (!string_field(f, sc.version, "version")) return false;
          break;
        case 3:
          if (!expect(f, wt_len, "InstrumentationScope", "attributes")) return false;
          if (!key_value(f.bytes, sc.attributes)) return false;
          break;
        default: break;  // 4: dropped_attributes_count, not held
      }
    }
    return true;
  }

  // An id field: exactly `size` bytes (or, when `empty_ok`, none).
  bool id_field(const field& f, std::uint8_t* out, std::size_t size, std::string_view name,
                bool empty_ok, bool& present) {
    if (!expect(f, wt_len, name, name)) return false;
    if (empty_ok && f.bytes.empty()) {
      present = false;
      std::memset(out, 0, size);
      return true;
    }
    if (f.bytes.size() != size) {
      return fail_with(std::string(name) + " is " + std::to_string(f.bytes.size()) +
                       " bytes, expected " + std::to_string(size));
    }
    std::memcpy(out, f.bytes.data(), size);
    present = true;
    return true;
  }

  bool span(std::string_view body, sdk::span_data& s) {
    message_reader r(body);
    field f;
    bool trace_id = false;
    bool span_id = false;
    bool parent = false;  // an empty parent_span_id is a root
    std::size_t event_index = 0;
    std::size_t link_index = 0;
    const std::string outer = where_;
    while (!r.done()) {
      if (!r.next(f, reason_)) return fail("Span");
      switch (f.number) {
        case 1:
          if (!id_field(f, s.context.trace.bytes.data(), 16, "trace_id", false, trace_id)) return false;
          break;
        case 2:
          if (!id_field(f, s.context.span.bytes.data(), 8, "span_id", false, span_id)) return false;
          break;
        case 3:
          if (!expect(f, wt_len, "Span", "trace_state")) return false;
          s.context.state = trace::trace_state::parse(f.bytes);  // invalid: dropped, span kept
          break;
        case 4:
          if (!id_field(f, s.parent_span_id.bytes.data(), 8, "parent_span_id", true, parent)) return false;
          break;
        case 5:
          if (!string_field(f, s.name, "name")) return false;
          break;
        case 6: {
          std::uint64_t kind = 0;
          if (!varint_field(f, kind, "kind")) return false;
          s.kind = detail::kind_of(kind);
          break;
        }
        case 7:
          if (!expect(f, wt_fixed64, "Span", "start_time_unix_nano")) return false;
          s.start_time_unix_nano = f.value;
          break;
        case 8:
          if (!expect(f, wt_fixed64, "Span", "end_time_unix_nano")) return false;
          s.end_time_unix_nano = f.value;
          break;
        case 9:
          if (!expect(f, wt_len, "Span", "attributes")) return false;
          if (!key_value(f.bytes, s.attributes)) return false;
          break;
        case 10:
          if (!varint_field(f, s.dropped_attributes_count, "dropped_attributes_count")) return false;
          break;
        case 11:
          if (!expect(f, wt_len, "Span", "events")) return false;
          where_ = outer + ": event " + std::to_string(event_index++);
          s.events.emplace_back();
          if (!event(f.bytes, s.events.back())) return false;
          where_ = outer;
          break;
        case 12:
          if (!varint_field(f, s.dropped_events_count, "dropped_events_count")) return false;
          break;
        case 13:
          if (!expect(f, wt_len, "Span", "links")) return false;
          where_ = outer + ": link " + std::to_string(link_index++);
          s.links.emplace_back();
          if (!link(f.bytes, s.links.back())) return false;
          where_ = outer;
          break;
        case 14:
          if (!varint_field(f, s.dropped_links_count, "dropped_links_count")) return false;
          break;
        case 15:
          if (!expect(f, wt_len, "Span", "status")) return false;
          if (!status(f.bytes, s.status)) return false;
          break;
        case 16:
          if (!expect(f, wt_fixed32, "Span", "flags")) return false;
          s.context.flags.value = static_cast<std::uint8_t>(f.value & detail::trace_flags_mask);
          s.parent_is_remote = detail::remote_of(f.value);
          break;
        default: break;
      }
    }
    if (!trace_id) return fail_with("trace_id is 0 bytes, expected 16");
    if (!span_id) return fail_with("span_id is 0 bytes, expected 8");
    s.context.remote = false;  // the span's own context; its parent's remoteness is in flags
    return true;
  }

  bool event(std::string_view body, sdk::span_event& e) {
    message_reader r(body);
    field f;
    while (!r.done()) {
      if (!r.next(f, reason_)) return fail("Event");
      switch (f.number) {
        case 1:
          if (!expect(f, wt_fixed64, "Event", "time_unix_nano")) return false;
          e.time_unix_nano = f.value;
          break;
        case 2:
          if (!string_field(f, e.name, "name")) return false;
          break;
        case 3:
          if (!expect(f, wt_len, "Event", "attributes")) return false;
          if (!key_value(f.bytes, e.attributes)) return false;
          break;
        case 4:
          if (!varint_field(f, e.dropped_attributes_count, "dropped_attributes_count")) return false;
          break;
        default: break;
      }
    }
    return true;
  }

  bool link(std::string_view body, sdk::span_link& l) {
    message_reader r(body);
    field f;
    bool trace_id = false;
    bool span_id = false;
    while (!r.done()) {
      if (!r.next(f, reason_)) return fail("Link");
      switch (f.number) {
        case 1:
          if (!id_field(f, l.context.trace.bytes.data(), 16, "trace_id", false, trace_id)) return false;
          break;
        case 2:
          if (!id_field(f, l.context.span.bytes.data(), 8, "span_id", false, span_id)) return false;
          break;
        case 3:
          if (!expect(f, wt_len, "Link", "trace_state")) return false;
          l.context.state = trace::trace_state::parse(f.bytes);
          break;
        case 4:
          if (!expect(f, wt_len, "Link", "attributes")) return false;
          if (!key_value(f.bytes, l.attributes)) return false;
          break;
        case 5:
          if (!varint_field(f, l.dropped_attributes_count, "dropped_attributes_count")) return false;
          break;
        case 6:
          if (!expect(f, wt_fixed32, "Link", "flags")) return false;
          l.context.flags.value = static_cast<std::uint8_t>(f.value & detail::trace_flags_mask);
          l.context.remote = detail::remote_of(f.value);
          break;
        default: break;
      }
    }
    if (!trace_id) return fail_with("trace_id is 0 bytes, expected 16");
    if (!span_id) return fail_with("span_id is 0 bytes, expected 8");
    return true;
  }

  bool status(std::string_view body, sdk::span_status& st) {
    message_reader r(body);
    field f;
    while (!r.done()) {
      if (!r.next(f, reason_)) return fail("Status");
      switch (f.number) {
        case 2:
          if (!string_field(f, st.message, "message")) return false;
          break;
        case 3: {
          std::uint64_t code = 0;
          if (!varint_field(f, code, "code")) return false;
          st.code = detail::status_of(code);
          break;
        }
        default: break;
      }
    }
    return true;
  }

  // One KeyValue appended to `attrs`.
  bool key_value(std::string_view body, std::vector<sdk::attribute>& attrs) {
    std::string key;
    any_node value;
    if (!key_value_node(body, key, value, 1)) return false;
    attrs.push_back(sdk::attribute{std::move(key), detail::to_attribute_value(std::move(value))});
    return true;
  }

  bool key_value_node(std::string_view body, std::string& key, any_node& value, std::size_t depth) {
    message_reader r(body);
    field f;
    while (!r.done()) {
      if (!r.next(f, reason_)) return fail("KeyValue");
      switch (f.number) {
        case 1:
          if (!string_field(f, key, "key")) return false;
          break;
        case 2:
          if (!expect(f, wt_len, "KeyValue", "value")) return false;
          if (!any_value(f.bytes, value, depth)) return false;
          break;
        default: break;
      }
    }
    return true;
  }

  bool any_value(std::string_view body, any_node& v, std::size_t depth) {
    if (depth > detail::effective_depth(limits_))
      return fail_with("attribute values nested deeper than " +
                       std::to_string(detail::effective_depth(limits_)));
    message_reader r(body);
    field f;
    while (!r.done()) {
      if (!r.next(f, reason_)) return fail("AnyValue");
      switch (f.number) {
        case 1:
          if (!string_field(f, v.text, "string_value")) return false;
          v.type = any_node::kind::string;
          break;
        case 2:
          if (!expect(f, wt_varint, "AnyValue", "bool_value")) return false;
          v.boolean = f.value != 0;
          v.type = any_node::kind::boolean;
          break;
        case 3:
          if (!expect(f, wt_varint, "AnyValue", "int_value")) return false;
          v.integer = static_cast<std::int64_t>(f.value);
          v.type = any_node::kind::integer;
          break;
        case 4: {
          if (!expect(f, wt_fixed64, "AnyValue", "double_value")) return false;
          std::memcpy(&v.floating, &f.value, sizeof v.floating);
          v.type = any_node::kind::floating;
          break;
        }
        case 5:
          if (!expect(f, wt_len, "AnyValue", "array_value")) return false;
          v.items.clear();
          v.keys.clear();
          v.packed = false;
          v.type = any_node::kind::array;
          if (!array_value(f.bytes, v, depth)) return false;
          break;
        case 6:
          if (!expect(f, wt_len, "AnyValue", "kvlist_value")) return false;
          v.items.clear();
          v.keys.clear();
          v.packed = false;
          v.type = any_node::kind::kvlist;
          if (!kvlist_value(f.bytes, v, depth)) return false;
          break;
        case 7:
          if (!expect(f, wt_len, "AnyValue", "bytes_value")) return false;
          v.text.assign(f.bytes);
          v.type = any_node::kind::bytes;
          break;
        default: break;
      }
    }
    return true;
  }

  bool array_value(std::string_view body, any_node& v, std::size_t depth) {
    message_reader r(body);
    field f;
    while (!r.done()) {
      if (!r.next(f, reason_)) return fail("ArrayValue");
      if (f.number == 1) {
        if (!expect(f, wt_len, "ArrayValue", "values")) return false;
        any_node element;
        if (!any_value(f.bytes, element, depth + 1)) return false;
        detail::array_append(v, std::move(element));
      }
    }
    return true;
  }

  bool kvlist_value(std::string_view body, any_node& v, std::size_t depth) {
    message_reader r(body);
    field f;
    while (!r.done()) {
      if (!r.next(f, reason_)) return fail("KeyValueList");
      if (f.number == 1) {
        if (!expect(f, wt_len, "KeyValueList", "values")) return false;
        v.keys.emplace_back();
        v.items.emplace_back();
        if (!key_value_node(f.bytes, v.keys.back(), v.items.back(), depth + 1)) return false;
      }
    }
    return true;
  }

  const decode_limits& limits_;
  std::size_t spans_ = 0;
  std::string where_;
  std::string reason_;
  std::string error_;
};

}  // namespace

bool decode_protobuf(std::string_view bytes, std::vector<sdk::span_data>& out, std::string& error,
                     const decode_limits& limits) noexcept {
  return detail::decode_request(bytes, out, error, limits,
                                [&](std::vector<sdk::span_data>& spans, std::string& why) {
                                  request_decoder d(limits);
                                  if (d.request(bytes, spans)) return true;
                                  why = d.error();
                                  return false;
                                });
}

}  // namespace ctxflow::viewer
