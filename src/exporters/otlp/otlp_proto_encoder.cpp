// SPDX-License-Identifier: Apache-2.0
// The proto3 wire encoder for ExportTraceServiceRequest (R8.1-R8.3). Two passes over the
// grouped batch: the first computes every nested message's length in pre-order into a
// per-thread array, the second writes into a buffer of exactly the final size, reading the
// lengths back in the same order. No allocation per field; the scratch arrays keep their
// capacity between calls.
#include "ctxflow/exporters/otlp/proto_encoder.hpp"

#include <bit>
#include <cstring>

#include "otlp_common.hpp"

namespace ctxflow::exporters::otlp {
namespace {

using detail::grouped_batch;

// Wire types (docs/requirements.md §8.1).
constexpr std::uint32_t wt_varint = 0;
constexpr std::uint32_t wt_fixed64 = 1;
constexpr std::uint32_t wt_len = 2;
constexpr std::uint32_t wt_fixed32 = 5;

constexpr std::uint32_t tag(std::uint32_t field, std::uint32_t wire) noexcept {
  return (field << 3) | wire;
}

constexpr std::size_t varint_size(std::uint64_t v) noexcept {
  // 1 byte per started group of 7 bits; 0 takes one byte.
  return v == 0 ? 1 : (static_cast<std::size_t>(64 - std::countl_zero(v)) + 6) / 7;
}

constexpr std::size_t tag_size(std::uint32_t field) noexcept { return field < 16 ? 1 : 2; }

/// Size of a length-delimited field with a body of `n` bytes.
constexpr std::size_t len_field(std::uint32_t field, std::size_t n) noexcept {
  return tag_size(field) + varint_size(n) + n;
}

struct encoder_state {
  grouped_batch groups;
  std::vector<std::uint32_t> sizes;  // message body lengths, pre-order
  std::size_t cursor = 0;
};

encoder_state& state() {
  thread_local encoder_state s;
  return s;
}

// ---------------------------------------------------------------------------------------------
// Size pass. Each size_* returns the body length of one message and records it (pre-order).

class sizer {
 public:
  explicit sizer(std::vector<std::uint32_t>& sizes) : sizes_(sizes) {}

  static std::size_t string_field(std::uint32_t field, std::string_view s) {
    if (s.empty()) return 0;
    return len_field(field, detail::utf8_sanitized_size(s));
  }
  static std::size_t string_field_always(std::uint32_t field, std::string_view s) {
    return len_field(field, detail::utf8_sanitized_size(s));
  }

  std::size_t request(const grouped_batch& g) {
    std::size_t n = 0;
    for (const auto& r : g.resources) n += len_field(1, resource_spans(g, r));
    return n;
  }

 private:
  std::size_t open() {
    sizes_.push_back(0);
    return sizes_.size() - 1;
  }
  std::size_t close(std::size_t idx, std::size_t n) {
    sizes_[idx] = static_cast<std::uint32_t>(n);
    return n;
  }

  std::size_t resource_spans(const grouped_batch& g, const grouped_batch::resource_group& r) {
    const std::size_t idx = open();
    std::size_t n = len_field(1, resource(r.resource));
    for (std::uint32_t i = r.scope_begin; i < r.scope_end; ++i)
      n += len_field(2, scope_spans(g, g.scopes[i]));
    if (r.resource != nullptr) n += string_field(3, r.resource->schema_url);
    return close(idx, n);
  }

  std::size_t resource(const sdk::resource* res) {
    const std::size_t idx = open();
    std::size_t n = 0;
    if (res != nullptr) n += attributes(1, res->attributes);
    return close(idx, n);
  }

  std::size_t scope_spans(const grouped_batch& g, const grouped_batch::scope_group& sg) {
    const std::size_t idx = open();
    std::size_t n = len_field(1, scope(sg.scope));
    for (std::uint32_t i = sg.span_begin; i < sg.span_end; ++i) n += len_field(2, span(*g.spans[i]));
    if (sg.scope != nullptr) n += string_field(3, sg.scope->schema_url);
    return close(idx, n);
  }

  std::size_t scope(const sdk::instrumentation_scope* sc) {
    const std::size_t idx = open();
    std::size_t n = 0;
    if (sc != nullptr) {
      n += string_field(1, sc->name);
      n += string_field(2, sc->version);
      n += attributes(3, sc->attributes);
    }
    return close(idx, n);
  }

  std::size_t span(const sdk::span_data& s) {
    const std::size_t idx = open();
    std::size_t n = len_field(1, 16) + len_field(2, 8);
    if (const std::size_t ts = detail::trace_state_size(s.context.state)) n += len_field(3, ts);
    if (s.parent_span_id.valid()) n += len_field(4, 8);
    n += string_field(5, s.name);
    n += 1 + varint_size(detail::kind_value(s.kind));
    if (s.start_time_unix_nano != 0) n += 1 + 8;
    if (s.end_time_unix_nano != 0) n += 1 + 8;
    n += attributes(9, s.attributes);
    if (s.dropped_attributes_count != 0) n += 1 + varint_size(s.dropped_attributes_count);
    for (const auto& e : s.events) n += len_field(11, event(e));
    if (s.dropped_events_count != 0) n += 1 + varint_size(s.dropped_events_count);
    for (const auto& l : s.links) n += len_field(13, link(l));
    if (s.dropped_links_count != 0) n += 1 + varint_size(s.dropped_links_count);
    n += len_field(15, status(s.status));
    n += 2 + 4;  // flags: always non-zero (HAS_IS_REMOTE)
    return close(idx, n);
  }

  std::size_t event(const sdk::span_event& e) {
    const std::size_t idx = open();
    std::size_t n = 0;
    if (e.time_unix_nano != 0) n += 1 + 8;
    n += string_field(2, e.name);
    n += attributes(3, e.attributes);
    if (e.dropped_attributes_count != 0) n += 1 + varint_size(e.dropped_attributes_count);
    return close(idx, n);
  }

  std::size_t link(const sdk::span_link& l) {
    const std::size_t idx = open();
    std::size_t n = len_field(1, 16) + len_field(2, 8);
    if (const std::size_t ts = detail::trace_state_size(l.context.state)) n += len_field(3, ts);
    n += attributes(4, l.attributes);
    if (l.dropped_attributes_count != 0) n += 1 + varint_size(l.dropped_attributes_count);
    n += 1 + 4;
    return close(idx, n);
  }

  std::size_t status(const sdk::span_status& st) {
    const std::size_t idx = open();
    std::size_t n = string_field(2, st.message);
    if (const auto c = detail::status_value(st.code)) n += 1 + varint_size(c);
    return close(idx, n);
  }

  std::size_t attributes(std::uint32_t field, const std::vector<sdk::attribute>& attrs) {
    std::size_t n = 0;
    for (const auto& a : attrs) n += len_field(field, key_value(a));
    return n;
  }

  std::size_t key_value(const sdk::attribute& a) {
    const std::size_t idx = open();
    const std::size_t n = string_field(1, a.key) + len_field(2, any_value(a.value));
    return close(idx, n);
  }

  // AnyValue body for one attribute value; arrays nest an ArrayValue of AnyValue.
  std::size_t any_value(const sdk::attribute_value& v) {
    const std::size_t idx = open();
    const std::size_t n = std::visit([this](const auto& x) { return member(x); }, v);
    return close(idx, n);
  }

  static std::size_t member(bool) { return 1 + 1; }
  static std::size_t member(std::int64_t x) {
    return 1 + varint_size(static_cast<std::uint64_t>(x));
  }
  static std::size_t member(double) { return 1 + 8; }
  static std::size_t member(const std::string& x) { return string_field_always(1, x); }
  static std::size_t member(const sdk::byte_string& x) { return len_field(7, x.data.size()); }

  template <class T>
  std::size_t member(const std::vector<T>& xs) {
    const std::size_t array_idx = open();
    std::size_t body = 0;
    for (const auto& x : xs) {
      const std::size_t idx = open();
      body += len_field(1, close(idx, member(static_cast<T>(x))));
    }
    close(array_idx, body);
    return len_field(5, body);
  }
  std::size_t member(const std::vector<std::string>& xs) {
    const std::size_t array_idx = open();
    std::size_t body = 0;
    for (const auto& x : xs) {
      const std::size_t idx = open();
      body += len_field(1, close(idx, member(x)));
    }
    close(array_idx, body);
    return len_field(5, body);
  }

  std::vector<std::uint32_t>& sizes_;
};

// ---------------------------------------------------------------------------------------------
// Write pass: mirrors the size pass exactly, consuming the recorded lengths in order.

class writer {
 public:
  writer(char* out, const std::vector<std::uint32_t>& sizes) : p_(out), sizes_(sizes) {}

  char* end() const noexcept { return p_; }

  void request(const grouped_batch& g) {
    for (const auto& r : g.resources) resource_spans(g, r);
  }

 private:
  void byte(std::uint8_t b) noexcept { *p_++ = static_cast<char>(b); }
  void varint(std::uint64_t v) noexcept {
    while (v >= 0x80) {
      byte(static_cast<std::uint8_t>(v | 0x80));
      v >>= 7;
    }
    byte(static_cast<std::uint8_t>(v));
  }
  void key(std::uint32_t field, std::uint32_t wire) noexcept { varint(tag(field, wire)); }
  void fixed64(std::uint64_t v) noexcept {
    for (int i = 0; i < 8; ++i) byte(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  void fixed32(std::uint32_t v) noexcept {
    for (int i = 0; i < 4; ++i) byte(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  void raw(const void* data, std::size_t n) noexcept {
    if (n != 0) std::memcpy(p_, data, n);
    p_ += n;
  }
  void bytes_field(std::uint32_t field, const void* data, std::size_t n) noexcept {
    key(field, wt_len);
    varint(n);
    raw(data, n);
  }
  void string_always(std::uint32_t field, std::string_view s) noexcept {
    const std::size_t n = detail::utf8_sanitized_size(s);
    key(field, wt_len);
    varint(n);
    p_ = detail::write_utf8_sanitized(s, n, p_);
  }
  void string_field(std::uint32_t field, std::string_view s) noexcept {
    if (!s.empty()) string_always(field, s);
  }
  void varint_field(std::uint32_t field, std::uint64_t v) noexcept {
    if (v == 0) return;
    key(field, wt_varint);
    varint(v);
  }
  void fixed64_field(std::uint32_t field, std::uint64_t v) noexcept {
    if (v == 0) return;
    key(field, wt_fixed64);
    fixed64(v);
  }
  /// Starts a nested message field: tag and the recorded length.
  void open(std::uint32_t field) noexcept {
    key(field, wt_len);
    varint(sizes_[cursor_++]);
  }
  void trace_state(std::uint32_t field, const trace::trace_state& ts) noexcept {
    const std::size_t n = detail::trace_state_size(ts);
    if (n == 0) return;
    key(field, wt_len);
    varint(n);
    p_ = detail::write_trace_state(ts, p_);
  }

  void resource_spans(const grouped_batch& g, const grouped_batch::resource_group& r) noexcept {
    open(1);
    open(1);  // resource
    if (r.resource != nullptr) attributes(1, r.resource->attributes);
    for (std::uint32_t i = r.scope_begin; i < r.scope_end; ++i) scope_spans(g, g.scopes[i]);
    if (r.resource != nullptr) string_field(3, r.resource->schema_url);
  }

  void scope_spans(const grouped_batch& g, const grouped_batch::scope_group& sg) noexcept {
    open(2);
    open(1);  // scope
    if (sg.scope != nullptr) {
      string_field(1, sg.scope->name);
      string_field(2, sg.scope->version);
      attributes(3, sg.scope->attributes);
    }
    for (std::uint32_t i = sg.span_begin; i < sg.span_end; ++i) span(*g.spans[i]);
    if (sg.scope != nullptr) string_field(3, sg.scope->schema_url);
  }

  void span(const sdk::span_data& s) noexcept {
    open(2);
    bytes_field(1, s.context.trace.bytes.data(), 16);
    bytes_field(2, s.context.span.bytes.data(), 8);
    trace_state(3, s.context.state);
    if (s.parent_span_id.valid()) bytes_field(4, s.parent_span_id.bytes.data(), 8);
    string_field(5, s.name);
    key(6, wt_varint);
    varint(detail::kind_value(s.kind));
    fixed64_field(7, s.start_time_unix_nano);
    fixed64_field(8, s.end_time_unix_nano);
    attributes(9, s.attributes);
    varint_field(10, s.dropped_attributes_count);
    for (const auto& e : s.events) event(e);
    varint_field(12, s.dropped_events_count);
    for (const auto& l : s.links) link(l);
    varint_field(14, s.dropped_links_count);
    open(15);  // status
    string_field(2, s.status.message);
    varint_field(3, detail::status_value(s.status.code));
    key(16, wt_fixed32);
    fixed32(detail::span_flags(s));
  }

  void event(const sdk::span_event& e) noexcept {
    open(11);
    fixed64_field(1, e.time_unix_nano);
    string_field(2, e.name);
    attributes(3, e.attributes);
    varint_field(4, e.dropped_attributes_count);
  }

  void link(const sdk::span_link& l) noexcept {
    open(13);
    bytes_field(1, l.context.trace.bytes.data(), 16);
    bytes_field(2, l.context.span.bytes.data(), 8);
    trace_state(3, l.context.state);
    attributes(4, l.attributes);
    varint_field(5, l.dropped_attributes_count);
    key(6, wt_fixed32);
    fixed32(detail::link_flags(l.context));
  }

  void attributes(std::uint32_t field, const std::vector<sdk::attribute>& attrs) noexcept {
    for (const auto& a : attrs) {
      open(field);
      string_field(1, a.key);
      open(2);
      std::visit([this](const auto& x) { member(x); }, a.value);
    }
  }

  void member(bool x) noexcept {
    key(2, wt_varint);
    byte(x ? 1 : 0);
  }
  void member(std::int64_t x) noexcept {
    key(3, wt_varint);
    varint(static_cast<std::uint64_t>(x));
  }
  void member(double x) noexcept {
    key(4, wt_fixed64);
    fixed64(std::bit_cast<std::uint64_t>(x));
  }
  void member(const std::string& x) noexcept { string_always(1, x); }
  void member(const sdk::byte_string& x) noexcept {
    bytes_field(7, x.data.data(), x.data.size());
  }
  template <class T>
  void member(const std::vector<T>& xs) noexcept {
    open(5);
    for (const auto& x : xs) {
      open(1);
      member(static_cast<T>(x));
    }
  }
  void member(const std::vector<std::string>& xs) noexcept {
    open(5);
    for (const auto& x : xs) {
      open(1);
      member(x);
    }
  }

  char* p_;
  const std::vector<std::uint32_t>& sizes_;
  std::size_t cursor_ = 0;
};

}  // namespace

void encode_protobuf(std::span<const sdk::span_data* const> batch, std::string& out) {
  encoder_state& st = state();
  detail::group_batch(batch, st.groups);
  st.sizes.clear();
  sizer sz(st.sizes);
  const std::size_t total = sz.request(st.groups);
  out.resize(total);
  writer w(out.data(), st.sizes);
  w.request(st.groups);
}

}  // namespace ctxflow::exporters::otlp
