// SPDX-License-Identifier: Apache-2.0
// W3C Baggage parsing and serialisation (R4.1-R4.7) and the baggage propagator. Extract
// makes two passes over the carrier's fields: one to size a single allocation (bounded by the
// limits, never by the input), one to validate and decode members straight into it.
#include "ctxflow/propagation/w3c_baggage.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/macros.hpp"
#include "propagation/baggage_impl.hpp"
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

// A validated member, as views into the header.
struct member_view {
  std::string_view key, value, metadata;
};

// R4.2/R4.5: key token, '=', value of baggage-octets; metadata after the first ';'.
bool split_member(std::string_view m, member_view& out) noexcept {
  const std::size_t semi = m.find(';');
  std::string_view kv = m.substr(0, semi);
  if (semi != std::string_view::npos) {
    out.metadata = internal::trim_ows(m.substr(semi + 1));
    if (!all_of(out.metadata, metadata_char)) return false;
  } else {
    out.metadata = {};
  }
  const std::size_t eq = kv.find('=');
  if (eq == std::string_view::npos) return false;
  out.key = internal::trim_ows(kv.substr(0, eq));
  out.value = internal::trim_ows(kv.substr(eq + 1));
  return is_baggage_key(out.key) && all_of(out.value, octet);
}

// Parses the fields produced by `for_each_field(visitor)` into one block.
template <class ForEachField>
baggage parse_fields(const ForEachField& for_each_field, const baggage_limits& limits,
                     bool& saw_field, bool& saw_invalid) noexcept {
  // Pass 1: an upper bound of what can be accepted, capped by the limits.
  std::size_t total = 0, pieces = 0;
  for_each_field([&](std::string_view f) noexcept {
    saw_field = true;
    total += f.size();
    pieces += 1 + static_cast<std::size_t>(std::count(f.begin(), f.end(), ','));
    return true;
  });
  if (!saw_field || limits.max_members == 0) return {};
  const std::size_t max_entries = std::min(pieces, limits.max_members);
  const std::size_t max_text = std::min(total, limits.max_bytes);
  baggage::impl* block = baggage::impl::allocate(max_entries, max_text);
  if (!block) {
    report(severity::error, "propagation.baggage.alloc_failed", "baggage allocation failed");
    return {};
  }
  // Pass 2: validate and decode.
  std::size_t bytes = 0, accepted = 0;
  bool full = false;
  for_each_field([&](std::string_view field) noexcept {
    while (!full) {
      const std::size_t comma = field.find(',');
      const std::string_view m = internal::trim_ows(field.substr(0, comma));
      if (!m.empty()) {
        member_view mv;
        if (!split_member(m, mv)) {
          saw_invalid = true;
        } else {
          const std::size_t next = bytes + (accepted ? 1 : 0) + m.size();
          bool replaces = false;
          for (const auto& e : std::span<const baggage::entry>(block->entries(), block->count))
            replaces = replaces || e.name == mv.key;
          if (next > limits.max_bytes || (!replaces && block->count == max_entries)) {
            full = true;  // R4.4: stop accepting once a limit would be exceeded
            break;
          }
          bytes = next;
          ++accepted;
          baggage::entry e;
          e.name = detail::copy_text(*block, mv.key);
          char* vout = block->text() + block->text_used;
          const std::size_t vn = decode_value(mv.value, vout);
          block->text_used += vn;
          e.value = std::string_view(vout, vn);
          e.metadata = detail::copy_text(*block, mv.metadata);
          detail::append_entry(*block, e);
        }
      }
      if (comma == std::string_view::npos) break;
      field.remove_prefix(comma + 1);
    }
    return !full;
  });
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
      [&](auto&& visit) { getter.get_all(baggage_header, visit); }, limits_, saw_field,
      saw_invalid);
  if (saw_invalid) internal::report_invalid_input("propagation.baggage.invalid",
                                          "invalid baggage members dropped", {});
  if (b.empty()) return ctx;  // R4.5, R5.2
  return with_baggage(ctx, b);
}

}  // namespace ctxflow::propagation
