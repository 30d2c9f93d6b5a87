// SPDX-License-Identifier: Apache-2.0
// W3C Baggage parsing and serialisation (R4.1-R4.7) and the baggage propagator. Extract
// reads the carrier's fields once, validating each member as it goes and keeping views of the
// accepted ones; the baggage is then built in one allocation of exactly the size it needs.
#include "ctxflow/propagation/w3c_baggage.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <new>
#include <type_traits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/macros.hpp"
#include "propagation/baggage_impl.hpp"
#include "propagation/carrier_fields.hpp"
#include "base/hex.hpp"
#include "internal/report.hpp"
#include "base/ascii.hpp"

namespace ctxflow::propagation {
namespace {

constexpr std::array<bool, 256> make_table(bool (*pred)(unsigned)) {
  std::array<bool, 256> t{};
  for (unsigned c = 0; c < 256; ++c) t[c] = pred(c);
  return t;
}

// tchar (RFC 7230 §3.2.6).
constexpr std::array<bool, 256> tchar = make_table([](unsigned c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  for (char s : std::string_view("!#$%&'*+-.^_`|~"))
    if (c == static_cast<unsigned char>(s)) return true;
  return false;
});
// baggage-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E (R4.2).
constexpr std::array<bool, 256> octet = make_table([](unsigned c) {
  return c == 0x21 || (c >= 0x23 && c <= 0x2B) || (c >= 0x2D && c <= 0x3A) ||
         (c >= 0x3C && c <= 0x5B) || (c >= 0x5D && c <= 0x7E);
});
// Metadata is kept opaque, but it must stay inside one list member of a header.
constexpr std::array<bool, 256> metadata_char = make_table([](unsigned c) {
  return c == ' ' || c == '\t' || c == ';' || c == 0x21 || (c >= 0x23 && c <= 0x2B) ||
         (c >= 0x2D && c <= 0x3A) || (c >= 0x3C && c <= 0x5B) || (c >= 0x5D && c <= 0x7E);
});

bool all_of(std::string_view s, const std::array<bool, 256>& table) noexcept {
  for (char c : s)
    if (!table[static_cast<unsigned char>(c)]) return false;
  return true;
}

// Percent-decodes `in` into `out` and replaces every maximal invalid UTF-8 subpart with
// U+FFFD (R4.3). A `%` not followed by two hex digits is kept literally (R4.3).
// The output is never longer than the input: every byte >= 0x80 comes from a 3-character
// escape, and U+FFFD is 3 bytes. Returns the output length.
std::size_t decode_value(std::string_view in, char* out) noexcept {
  if (in.find('%') == std::string_view::npos) {
    std::memcpy(out, in.data(), in.size());
    return in.size();
  }
  char* o = out;
  unsigned char pending[4];
  std::size_t npending = 0, need = 0;
  unsigned lo = 0x80, hi = 0xBF;
  auto replacement = [&] {
    *o++ = static_cast<char>(0xEF);
    *o++ = static_cast<char>(0xBF);
    *o++ = static_cast<char>(0xBD);
  };
  auto feed = [&](unsigned char b) {
    for (;;) {
      if (npending == 0) {
        if (b < 0x80) {
          *o++ = static_cast<char>(b);
        } else if (b >= 0xC2 && b <= 0xDF) {
          need = 1, lo = 0x80, hi = 0xBF, pending[npending++] = b;
        } else if (b >= 0xE0 && b <= 0xEF) {
          need = 2, lo = b == 0xE0 ? 0xA0 : 0x80, hi = b == 0xED ? 0x9F : 0xBF;
          pending[npending++] = b;
        } else if (b >= 0xF0 && b <= 0xF4) {
          need = 3, lo = b == 0xF0 ? 0x90 : 0x80, hi = b == 0xF4 ? 0x8F : 0xBF;
          pending[npending++] = b;
        } else {
          replacement();
        }
        return;
      }
      if (b >= lo && b <= hi) {
        pending[npending++] = b;
        lo = 0x80, hi = 0xBF;
        if (npending == need + 1) {
          std::memcpy(o, pending, npending);
          o += npending;
          npending = 0;
        }
        return;
      }
      replacement();  // the maximal subpart so far; look at b afresh
      npending = 0;
    }
  };
  for (std::size_t i = 0; i < in.size();) {
    std::uint8_t byte = 0;
    if (in[i] == '%' && i + 2 < in.size() && internal::decode_hex_byte(in.data() + i + 1, byte)) {
      feed(byte);
      i += 3;
    } else {
      feed(static_cast<unsigned char>(in[i]));
      ++i;
    }
  }
  if (npending != 0) replacement();
  return static_cast<std::size_t>(o - out);
}

// Character classes of the one-pass member scan (R4.2): key (tchar), value (baggage-octet),
// metadata (kept opaque, but it must stay inside one list member) and optional whitespace.
enum : std::uint8_t { key_char = 1, value_char = 2, meta_char = 4, ows_char = 8 };
constexpr std::array<std::uint8_t, 256> char_class = [] {
  std::array<std::uint8_t, 256> t{};
  for (unsigned c = 0; c < 256; ++c) {
    t[c] = static_cast<std::uint8_t>((tchar[c] ? key_char : 0) | (octet[c] ? value_char : 0) |
                                     (metadata_char[c] ? meta_char : 0) |
                                     (c == ' ' || c == '\t' ? ows_char : 0));
  }
  return t;
}();

// A member accepted by the scan: views into the header.
struct member_view {
  std::string_view key, value, metadata;
  bool escaped = false;  // the value holds a '%' and needs decoding
};

static_assert(std::is_trivially_copyable_v<member_view> && std::is_trivially_destructible_v<member_view>);

// Scratch list of the members found so far: on the stack for up to 64 members (the common
// case), on the heap beyond (at most limits.max_members entries, once).
class member_list {
 public:
  member_list() noexcept = default;
  member_list(const member_list&) = delete;
  member_list& operator=(const member_list&) = delete;
  ~member_list() {
    if (data_ != local()) delete[] data_;
  }
  std::size_t size() const noexcept { return size_; }
  member_view* data() noexcept { return data_; }
  // Room for one more, within `max`; false when the heap scratch cannot be had.
  bool reserve_one(std::size_t max) noexcept {
    if (size_ < capacity_) return true;
    const std::size_t next = std::min(max, capacity_ * 4);
    auto* grown = new (std::nothrow) member_view[next];
    if (!grown) return false;
    std::copy(data_, data_ + size_, grown);
    if (data_ != local()) delete[] data_;
    data_ = grown;
    capacity_ = next;
    return true;
  }
  void push(const member_view& m) noexcept { new (data_ + size_++) member_view(m); }
  void erase(std::size_t i) noexcept {
    std::copy(data_ + i + 1, data_ + size_, data_ + i);
    --size_;
  }

 private:
  static constexpr std::size_t local_capacity = 64;
  member_view* local() noexcept { return std::launder(reinterpret_cast<member_view*>(local_)); }

  // Raw storage: only what is pushed is ever written (an array of views would be zeroed, 3.5 KiB,
  // on every extract).
  alignas(member_view) unsigned char local_[local_capacity * sizeof(member_view)];
  member_view* data_ = local();
  std::size_t size_ = 0;
  std::size_t capacity_ = local_capacity;
};

// One pass over the fields: each member is validated as it is read (R4.2/R4.5: key token, '=',
// value of baggage-octets, metadata after the first ';'), the limits are applied (R4.4) and a
// repeated name replaces the earlier member (R4.6). Nothing is copied.
class member_scanner {
 public:
  member_scanner(const baggage_limits& limits, member_list& out) noexcept
      : limits_(limits), out_(out) {}

  // Scans one field; false once a limit stops the list.
  bool field(std::string_view f) noexcept {
    const char* p = f.data();
    const char* const end = p + f.size();
    while (p != end) {
      p = member(p, end);
      if (full_) return false;
      if (p != end) ++p;  // the ','
    }
    return true;
  }
  bool saw_invalid() const noexcept { return saw_invalid_; }

 private:
  static bool is(char c, std::uint8_t cls) noexcept {
    return (char_class[static_cast<unsigned char>(c)] & cls) != 0;
  }
  static const char* skip_ows(const char* p, const char* end) noexcept {
    while (p != end && is(*p, ows_char)) ++p;
    return p;
  }

  // Skips baggage-octets from `p`; sets `escaped` when one of them is a '%'. With SSE2, 16
  // characters at a time while 16 remain (a value usually ends within the first block), then
  // one table look-up per character.
  static const char* scan_value(const char* p, const char* end, bool& escaped) noexcept {
#if defined(__SSE2__)
    while (end - p >= 16) {
      const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      // Signed compares: bytes >= 0x80 are negative, so "< 0x21" catches them with controls.
      __m128i bad = _mm_or_si128(_mm_cmplt_epi8(c, _mm_set1_epi8(0x21)),
                                 _mm_cmpgt_epi8(c, _mm_set1_epi8(0x7E)));
      bad = _mm_or_si128(bad, _mm_cmpeq_epi8(c, _mm_set1_epi8('"')));
      bad = _mm_or_si128(bad, _mm_cmpeq_epi8(c, _mm_set1_epi8(',')));
      bad = _mm_or_si128(bad, _mm_cmpeq_epi8(c, _mm_set1_epi8(';')));
      bad = _mm_or_si128(bad, _mm_cmpeq_epi8(c, _mm_set1_epi8('\\')));
      const auto stop = static_cast<unsigned>(_mm_movemask_epi8(bad));
      const auto percent = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(c, _mm_set1_epi8('%'))));
      if (stop == 0) {
        escaped |= percent != 0;
        p += 16;
        continue;
      }
      const int n = std::countr_zero(stop);
      escaped |= (percent & ((1u << n) - 1)) != 0;
      return p + n;
    }
#endif
    while (p != end && is(*p, value_char)) {
      escaped |= *p == '%';
      ++p;
    }
    return p;
  }

  // Scans the member at `p`; returns where it ends (its ',' or `end`).
  const char* member(const char* p, const char* end) noexcept {
    p = skip_ows(p, end);
    if (p == end || *p == ',') return p;  // empty and OWS-only members are skipped
    const char* const start = p;
    while (p != end && is(*p, key_char)) ++p;
    const std::string_view key(start, static_cast<std::size_t>(p - start));
    p = skip_ows(p, end);
    if (key.empty() || p == end || *p != '=') return invalid(p, end);
    p = skip_ows(p + 1, end);
    const char* const value_start = p;
    bool escaped = false;
    p = scan_value(p, end, escaped);
    const std::string_view value(value_start, static_cast<std::size_t>(p - value_start));
    const char* last = p;  // one past the member's last character that is not OWS
    p = skip_ows(p, end);
    std::string_view metadata;
    if (p != end && *p == ';') {
      last = ++p;
      p = skip_ows(p, end);
      const char* const meta_start = p;
      while (p != end && is(*p, meta_char)) ++p;
      const char* meta_end = p;
      while (meta_end != meta_start && is(meta_end[-1], ows_char)) --meta_end;
      metadata = std::string_view(meta_start, static_cast<std::size_t>(meta_end - meta_start));
      if (meta_end != meta_start) last = meta_end;
    }
    if (p != end && *p != ',') return invalid(p, end);
    accept(member_view{key, value, metadata, escaped}, static_cast<std::size_t>(last - start));
    return p;
  }

  const char* invalid(const char* p, const char* end) noexcept {
    saw_invalid_ = true;
    const void* comma = std::memchr(p, ',', static_cast<std::size_t>(end - p));
    return comma ? static_cast<const char*>(comma) : end;
  }

  // `size`: the member's length without surrounding whitespace, as the byte limit counts it.
  void accept(const member_view& m, std::size_t size) noexcept {
    std::size_t same = out_.size();
    for (std::size_t i = 0; i < out_.size(); ++i) {
      const member_view& o = out_.data()[i];
      // Keys are never empty; the first byte settles most pairs without a memcmp call.
      if (o.key.size() == m.key.size() && o.key[0] == m.key[0] &&
          std::memcmp(o.key.data(), m.key.data(), m.key.size()) == 0) {
        same = i;
        break;
      }
    }
    const bool replaces = same != out_.size();
    const std::size_t next = bytes_ + (accepted_ ? 1 : 0) + size;
    if (next > limits_.max_bytes || (!replaces && out_.size() == limits_.max_members)) {
      full_ = true;  // R4.4: stop accepting once a limit would be exceeded
      return;
    }
    if (replaces) {
      out_.erase(same);  // R4.6: the last value wins, and the name moves to the end
    } else if (!out_.reserve_one(limits_.max_members)) {
      report(severity::error, "propagation.baggage.alloc_failed", "baggage allocation failed");
      full_ = true;
      return;
    }
    bytes_ = next;
    ++accepted_;
    out_.push(m);
  }

  const baggage_limits& limits_;
  member_list& out_;
  std::size_t bytes_ = 0, accepted_ = 0;
  bool full_ = false, saw_invalid_ = false;
};

// Parses the fields produced by `for_each_field(visitor)`: one pass to validate and collect
// the members, then the baggage is built in one allocation of exactly the size it needs.
template <class ForEachField>
baggage parse_fields(const ForEachField& for_each_field, const baggage_limits& limits,
                     bool& saw_field, bool& saw_invalid) noexcept {
  if (limits.max_members == 0) {
    for_each_field([&](std::string_view) noexcept {
      saw_field = true;
      return false;
    });
    return {};
  }
  member_list members;
  member_scanner scan(limits, members);
  for_each_field([&](std::string_view f) noexcept {
    saw_field = true;
    return scan.field(f);
  });
  saw_invalid = scan.saw_invalid();
  if (members.size() == 0) return {};
  std::size_t text = 0;
  const member_view* ms = members.data();
  for (std::size_t i = 0; i < members.size(); ++i)
    text += ms[i].key.size() + ms[i].value.size() + ms[i].metadata.size();
  baggage::impl* block = baggage::impl::allocate(members.size(), text);
  if (!block) {
    report(severity::error, "propagation.baggage.alloc_failed", "baggage allocation failed");
    return {};
  }
  baggage::entry* entries = block->entries();
  for (std::size_t i = 0; i < members.size(); ++i) {
    baggage::entry& e = entries[i];
    e.name = detail::copy_text(*block, ms[i].key);
    if (ms[i].escaped) {
      char* vout = block->text() + block->text_used;
      const std::size_t vn = decode_value(ms[i].value, vout);
      block->text_used += vn;
      e.value = std::string_view(vout, vn);
    } else {
      e.value = detail::copy_text(*block, ms[i].value);
    }
    e.metadata = detail::copy_text(*block, ms[i].metadata);
  }
  block->count = static_cast<std::uint32_t>(members.size());
  return detail::baggage_access::adopt(block);
}

void append_encoded(std::string& out, std::string_view value) {
  for (char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (octet[c] && c != '%') {
      out.push_back(ch);
    } else {
      char esc[3] = {'%'};
      internal::encode_hex_byte(c, esc + 1, internal::upper_hex_digits);
      out.append(esc, 3);
    }
  }
}

}  // namespace

bool is_baggage_key(std::string_view key) noexcept { return !key.empty() && all_of(key, tchar); }

baggage parse_baggage(std::span<const std::string_view> fields,
                      const baggage_limits& limits) noexcept {
  bool saw_field = false, saw_invalid = false;
  return parse_fields(
      [&](auto&& visit) {
        for (std::string_view f : fields)
          if (!visit(f)) return;
      },
      limits, saw_field, saw_invalid);
}

std::string serialize_baggage(const baggage& b, const baggage_limits& limits) noexcept {
  std::string out;
  CTXFLOW_TRY {
    std::string member;
    std::size_t count = 0;
    for (const baggage::entry& e : b.get_all()) {
      if (!is_baggage_key(e.name)) {  // R4.8 [D]
        reportf(severity::warning, "propagation.baggage.invalid_name",
                "baggage entry not sent: its name is not a token (%zu bytes)", e.name.size());
        continue;
      }
      member.assign(e.name).push_back('=');
      append_encoded(member, e.value);
      if (!e.metadata.empty()) {
        if (all_of(e.metadata, metadata_char)) {
          member.push_back(';');
          member.append(e.metadata);
        } else {
          report(severity::warning, "propagation.baggage.invalid_metadata",
                 "baggage metadata not sent: it has characters a header cannot carry");
        }
      }
      const std::size_t next = out.size() + (count ? 1 : 0) + member.size();
      if (next > limits.max_bytes || count == limits.max_members) continue;  // R4.4
      if (count++) out.push_back(',');
      out.append(member);
    }
  } CTXFLOW_CATCH_ALL {
    report(severity::error, "propagation.baggage.alloc_failed", "baggage serialisation failed");
    return {};
  }
  return out;
}

void w3c_baggage_propagator::inject(const context& ctx, carrier_setter& setter) const noexcept {
  const auto* slot = ctx.baggage_slot();
  if (!slot) return;
  const std::string header = serialize_baggage(baggage::from(ctx), limits_);
  if (!header.empty()) setter.set(baggage_header, header);
}

context w3c_baggage_propagator::extract(const context& ctx,
                                        const carrier_getter& getter) const noexcept {
  bool saw_field = false, saw_invalid = false;
  baggage b = parse_fields(
      [&](auto&& visit) { detail::for_each_value(getter, baggage_header, visit); }, limits_, saw_field,
      saw_invalid);
  if (saw_invalid) internal::report_invalid_input("propagation.baggage.invalid",
                                          "invalid baggage members dropped", {});
  if (b.empty()) return ctx;  // R4.5, R5.2
  return with_baggage(ctx, b);
}

}  // namespace ctxflow::propagation
