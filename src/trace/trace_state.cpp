// SPDX-License-Identifier: Apache-2.0
// trace_state: parsing (R3.3-R3.6), validated mutation (R3.7), serialisation and truncation
// (R3.9, R3.10). A list is one allocation: an impl header, the member views, then the text.
#include "ctxflow/trace/trace_state.hpp"

#include <array>
#include <cstdint>
#include <cstring>
#include <new>
#include <type_traits>

#include "base/ascii.hpp"
#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/macros.hpp"

namespace ctxflow::trace {

// The parser keeps members in raw storage and never destroys them.
static_assert(std::is_trivially_destructible_v<trace_state::member>);

namespace {

constexpr bool is_lcalpha(char c) noexcept { return c >= 'a' && c <= 'z'; }
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_keychar(char c) noexcept {
  return is_lcalpha(c) || is_digit(c) || c == '_' || c == '-' || c == '*' || c == '/' || c == '@';
}
// chr = %x20 / nblk-chr; nblk-chr = %x21-2B / %x2D-3C / %x3E-7E (no ',' and no '=').
constexpr bool is_value_char(char c) noexcept {
  return c >= 0x20 && c <= 0x7E && c != ',' && c != '=';
}

// Character classes of the one-pass member scan in parser::feed.
enum : std::uint8_t { ows_class = 1, key_first_class = 2, key_class = 4, value_class = 8 };
constexpr std::array<std::uint8_t, 256> member_class = [] {
  std::array<std::uint8_t, 256> t{};
  for (unsigned u = 0; u < 256; ++u) {
    const char c = static_cast<char>(u);
    std::uint8_t v = 0;
    if (c == ' ' || c == '\t') v |= ows_class;
    if (is_lcalpha(c) || is_digit(c)) v |= key_first_class;
    if (is_keychar(c)) v |= key_class;
    if (u < 0x80 && (is_value_char(c) || c == '\t')) v |= value_class;  // a tab only as OWS
    t[u] = v;
  }
  return t;
}();

}  // namespace

bool trace_state::valid_key(std::string_view key) noexcept {
  if (key.empty() || key.size() > max_key_size) return false;
  if (!is_lcalpha(key[0]) && !is_digit(key[0])) return false;
  for (std::size_t i = 1; i < key.size(); ++i)
    if (!is_keychar(key[i])) return false;
  return true;
}

bool trace_state::valid_value(std::string_view value) noexcept {
  if (value.empty() || value.size() > max_value_size) return false;
  if (value.back() == ' ') return false;
  for (char c : value)
    if (!is_value_char(c)) return false;
  return true;
}

void trace_state::parser::feed(std::string_view field) noexcept {
  // One pass per member, each character classified by one table look-up (R3.3, R3.4).
  const char* p = field.data();
  const char* const end = p + field.size();
  auto cls = [](char c) noexcept { return member_class[static_cast<unsigned char>(c)]; };
  while (!failed_) {
    while (p != end && (cls(*p) & ows_class) != 0) ++p;
    if (p == end) return;
    if (*p == ',') {  // empty and OWS-only members are skipped (R3.4)
      ++p;
      continue;
    }
    const char* const key_start = p;
    if ((cls(*p) & key_first_class) == 0) break;
    ++p;
    while (p != end && (cls(*p) & key_class) != 0) ++p;
    const std::string_view key(key_start, static_cast<std::size_t>(p - key_start));
    if (p == end || *p != '=' || key.size() > max_key_size) break;
    const char* const value_start = ++p;
    const char* tab = nullptr;  // the first tab: tabs are only allowed in the trailing OWS
    while (p != end && (cls(*p) & value_class) != 0) {
      if (*p == '\t' && tab == nullptr) tab = p;
      ++p;
    }
    if (p != end && *p != ',') break;  // '=' or a character outside chr
    const char* value_end = p;
    while (value_end != value_start && (cls(value_end[-1]) & ows_class) != 0) --value_end;
    const std::string_view value(value_start, static_cast<std::size_t>(value_end - value_start));
    if (value.empty() || value.size() > max_value_size || (tab && tab < value_end)) break;
    bool duplicate = false;  // keep the first occurrence (R3.6)
    const member* have = members();
    for (std::uint32_t i = 0; i < count_ && !duplicate; ++i) duplicate = have[i].first == key;
    if (!duplicate) {
      if (count_ == max_members) break;  // a 33rd member drops the whole header (R3.5)
      new (storage_ + count_ * sizeof(member)) member{key, value};
      ++count_;
    }
    if (p == end) return;
    ++p;  // the ','
  }
  failed_ = true;
}

trace_state trace_state::parser::finish() noexcept {
  if (failed_ || count_ == 0) return {};
  return build(std::span<const member>(members(), count_));
}

void trace_state::impl::destroy() const noexcept {
  this->~impl();
  ::operator delete(const_cast<impl*>(this));
}

trace_state trace_state::build(std::span<const member> in) noexcept {
  if (in.empty()) return {};
  std::size_t text = in.size() - 1;  // commas
  for (const member& m : in) text += m.first.size() + 1 + m.second.size();
  static_assert(alignof(member) <= alignof(std::max_align_t));
  constexpr std::size_t head = (sizeof(impl) + alignof(member) - 1) / alignof(member) * alignof(member);
  void* raw = ::operator new(head + in.size() * sizeof(member) + text, std::nothrow);
  if (!raw) {
    report(severity::error, "trace.tracestate.alloc_failed", "tracestate allocation failed");
    return {};
  }
  impl* p = new (raw) impl();
  p->count = static_cast<std::uint32_t>(in.size());
  p->text_size = static_cast<std::uint32_t>(text);
  auto* members = reinterpret_cast<member*>(static_cast<char*>(raw) + head);
  char* out = reinterpret_cast<char*>(members + in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (i != 0) *out++ = ',';
    std::memcpy(out, in[i].first.data(), in[i].first.size());
    const std::string_view key(out, in[i].first.size());
    out += key.size();
    *out++ = '=';
    std::memcpy(out, in[i].second.data(), in[i].second.size());
    const std::string_view value(out, in[i].second.size());
    out += value.size();
    new (&members[i]) member(key, value);
  }
  return trace_state(ctxflow::detail::ref_ptr<const impl>::adopt(p));
}

std::span<const trace_state::member> trace_state::members() const noexcept {
  if (!impl_) return {};
  constexpr std::size_t head = (sizeof(impl) + alignof(member) - 1) / alignof(member) * alignof(member);
  const auto* m = reinterpret_cast<const member*>(reinterpret_cast<const char*>(impl_.get()) + head);
  return {m, impl_->count};
}

std::string_view trace_state::header() const noexcept {
  if (!impl_) return {};
  const std::span<const member> m = members();
  return {reinterpret_cast<const char*>(m.data() + m.size()), impl_->text_size};
}

trace_state trace_state::parse(std::string_view header) noexcept {
  parser p;
  p.feed(header);
  return p.finish();
}

std::optional<std::string_view> trace_state::get(std::string_view key) const noexcept {
  for (const member& m : members())
    if (m.first == key) return m.second;
  return std::nullopt;
}

trace_state trace_state::set(std::string_view key, std::string_view value) const noexcept {
  if (!valid_key(key) || !valid_value(value)) {
    report(severity::warning, "trace.tracestate.invalid",
           "tracestate set() ignored: the key or value does not match the W3C grammar");
    return *this;
  }
  std::array<member, max_members> next{};
  std::size_t n = 0;
  next[n++] = member{key, value};
  for (const member& m : members()) {
    if (n == max_members) break;  // the right-most entry falls off (R3.7)
    if (m.first != key) next[n++] = m;
  }
  trace_state out = build(std::span<const member>(next.data(), n));
  return out.empty() ? *this : out;
}

trace_state trace_state::erase(std::string_view key) const noexcept {
  if (!get(key)) return *this;
  std::array<member, max_members> next{};
  std::size_t n = 0;
  for (const member& m : members())
    if (m.first != key) next[n++] = m;
  return build(std::span<const member>(next.data(), n));
}

std::string trace_state::to_header(std::size_t max_size) const noexcept {
  const std::string_view full = header();
  const std::span<const member> ms = members();
  std::array<bool, max_members> keep{};
  std::size_t total = full.size();
  if (total > max_size) {
    // R3.9: drop whole entries, first those longer than 128 characters, then from the right.
    for (std::size_t i = 0; i < ms.size(); ++i) keep[i] = true;
    std::size_t kept = ms.size();
    auto entry_size = [&](std::size_t i) { return ms[i].first.size() + 1 + ms[i].second.size(); };
    auto drop = [&](std::size_t i) {
      keep[i] = false;
      --kept;
      total -= entry_size(i) + (kept > 0 ? 1 : 0);
    };
    for (std::size_t i = ms.size(); i-- > 0 && total > max_size;)
      if (entry_size(i) > 128) drop(i);
    for (std::size_t i = ms.size(); i-- > 0 && total > max_size;)
      if (keep[i]) drop(i);
    if (kept == 0) total = 0;
  }
  std::string out;
  CTXFLOW_TRY {
    out.reserve(total);
    if (total == full.size()) {
      out.assign(full);
    } else {
      for (std::size_t i = 0; i < ms.size(); ++i) {
        if (!keep[i]) continue;
        if (!out.empty()) out.push_back(',');
        out.append(ms[i].first).push_back('=');
        out.append(ms[i].second);
      }
    }
  } CTXFLOW_CATCH_ALL {
    report(severity::error, "trace.tracestate.alloc_failed", "tracestate serialisation failed");
    return {};
  }
  return out;
}

}  // namespace ctxflow::trace
