// SPDX-License-Identifier: Apache-2.0
// Text-map carriers (R5.3): the getter/setter concepts a carrier type satisfies, ready-made
// adapters for std::map, std::unordered_map, std::multimap, a vector of header pairs and a
// case-insensitive HTTP header view, and the small type-erased interfaces (carrier_getter,
// carrier_setter) through which the virtual propagators reach a templated carrier.
// See docs/design/propagation.md, "Carriers".
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <map>
#include <new>
#include <optional>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/export.hpp"
#include "ctxflow/macros.hpp"

namespace ctxflow::propagation {

/// A non-owning reference to a callable taking a `std::string_view`. When the callable returns
/// `bool`, `false` stops the enumeration; a `void` callable sees every item.
///
/// Lifetime: must not outlive the callable it refers to.
class string_visitor {
 public:
  template <class F>
    requires(!std::same_as<std::remove_cvref_t<F>, string_visitor> &&
             std::invocable<F&, std::string_view>)
  string_visitor(F& f) noexcept  // NOLINT: implicit by design, like function_ref
      : obj_(static_cast<void*>(&f)), fn_([](void* o, std::string_view s) noexcept -> bool {
          if constexpr (std::same_as<std::invoke_result_t<F&, std::string_view>, void>) {
            (*static_cast<F*>(o))(s);
            return true;
          } else {
            return static_cast<bool>((*static_cast<F*>(o))(s));
          }
        }) {}
  /// Passes one item; false means stop.
  bool operator()(std::string_view s) const noexcept { return fn_(obj_, s); }

 private:
  void* obj_;
  bool (*fn_)(void*, std::string_view) noexcept;
};

/// A non-owning reference to a callable `void(char* out) noexcept` that writes a value of a size
/// agreed beforehand into `out` (carrier_setter::set_in_place).
///
/// Lifetime: must not outlive the callable it refers to.
class value_writer {
 public:
  template <class F>
    requires(!std::same_as<std::remove_cvref_t<F>, value_writer> && std::invocable<F&, char*>)
  value_writer(F& f) noexcept  // NOLINT: implicit by design, like function_ref
      : obj_(static_cast<void*>(&f)),
        fn_([](void* o, char* out) noexcept { (*static_cast<F*>(o))(out); }) {}
  /// Writes the value into `out`.
  void operator()(char* out) const noexcept { fn_(obj_, out); }

 private:
  void* obj_;
  void (*fn_)(void*, char*) noexcept;
};

/// One field of a header-list carrier: (name, value).
using string_pair = std::pair<std::string, std::string>;

/// Type-erased read access to one carrier, as a propagator sees it (R5.3).
///
/// Thread safety: used by one call at a time.
class carrier_getter {
 public:
  virtual ~carrier_getter() = default;
  /// The carrier's fields, when it is a contiguous array of string_pair read case-insensitively
  /// (getter_ref sets them for a `std::vector`, `std::array` or `std::span` of string_pair with
  /// case_insensitive_text_map): a propagator may walk them itself, without a virtual call per
  /// look-up. get_all(key, each) passes exactly the values of the fields whose name iequals
  /// `key`, in order. Empty for every other carrier.
  std::span<const string_pair> string_pairs() const noexcept { return pairs_; }
  /// The first value of `key`, or nothing.
  virtual std::optional<std::string_view> get(std::string_view key) const noexcept = 0;
  /// Every value of `key` in carrier order. The default passes the single value of get().
  virtual void get_all(std::string_view key, string_visitor each) const noexcept {
    if (auto v = get(key)) each(*v);
  }
  /// Every key of the carrier.
  virtual void keys(string_visitor each) const noexcept = 0;

 protected:
  carrier_getter() noexcept = default;
  explicit carrier_getter(std::span<const string_pair> pairs) noexcept : pairs_(pairs) {}
  carrier_getter(const carrier_getter&) noexcept = default;
  carrier_getter& operator=(const carrier_getter&) noexcept = default;

 private:
  std::span<const string_pair> pairs_;
};

/// Type-erased write access to one carrier.
class carrier_setter {
 public:
  virtual ~carrier_setter() = default;
  /// The carrier itself, when it is a `std::vector<string_pair>` written with
  /// case_insensitive_text_map (setter_ref sets it): a propagator may then write the field
  /// through case_insensitive_text_map directly, without a virtual call, with the same result as
  /// set() or set_in_place(). Null for every other carrier.
  std::vector<string_pair>* string_pair_list() const noexcept { return list_; }
  /// Replaces the field `key` with `value` (R5.3).
  virtual void set(std::string_view key, std::string_view value) noexcept = 0;
  /// Replaces the field `key` with the `size` characters `write` puts at the pointer it is
  /// given. setter_ref hands `write` the field's own storage when the text map can give it (the
  /// default text maps, for fields that are `std::string`s): a value formatted this way, such as
  /// a `traceparent`, goes straight into the carrier, with no temporary and, in a reused carrier,
  /// no allocation. The default writes into a buffer (on the stack up to 256 characters) and
  /// calls set().
  virtual void set_in_place(std::string_view key, std::size_t size, value_writer write) noexcept {
    char buf[256];
    char* out = size <= sizeof buf ? buf : new (std::nothrow) char[size];
    if (!out) {
      report(severity::error, "propagation.carrier.failed", "carrier value allocation failed");
      return;
    }
    write(out);
    set(key, std::string_view(out, size));
    if (out != buf) delete[] out;
  }

 protected:
  carrier_setter() noexcept = default;
  explicit carrier_setter(std::vector<string_pair>* list) noexcept : list_(list) {}
  carrier_setter(const carrier_setter&) noexcept = default;
  carrier_setter& operator=(const carrier_setter&) noexcept = default;

 private:
  std::vector<string_pair>* list_ = nullptr;
};

/// A getter for carrier type `Carrier`: stateless, `get` returns the first value (R5.3).
/// `keys(carrier, visitor)` passes every key. `get_all` is optional (see multi_value_getter).
template <class Getter, class Carrier>
concept text_map_getter =
    requires(const Getter& g, const Carrier& c, std::string_view key, string_visitor v) {
      { g.get(c, key) } -> std::convertible_to<std::optional<std::string_view>>;
      g.keys(c, v);
    };

/// A getter that can also list every value of a key in carrier order (R2.10, R3.2, R4.1).
template <class Getter, class Carrier>
concept multi_value_getter =
    text_map_getter<Getter, Carrier> &&
    requires(const Getter& g, const Carrier& c, std::string_view key, string_visitor v) {
      g.get_all(c, key, v);
    };

/// A setter for carrier type `Carrier`: `set` replaces the field (R5.3).
template <class Setter, class Carrier>
concept text_map_setter = requires(const Setter& s, Carrier& c, std::string_view k,
                                   std::string_view v) { s.set(c, k, v); };

namespace detail {

constexpr char ascii_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

/// Eight bytes with 'A'-'Z' lowercased and every other byte unchanged (SWAR ascii_lower).
constexpr std::uint64_t ascii_lower8(std::uint64_t x) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101ULL;
  constexpr std::uint64_t high = 0x8080808080808080ULL;
  const std::uint64_t low7 = x & ~high;  // adding below cannot carry across bytes
  const std::uint64_t ge_a = low7 + ones * (0x80 - 'A');
  const std::uint64_t gt_z = low7 + ones * (0x7F - 'Z');
  const std::uint64_t upper = ge_a & ~gt_z & ~x & high;  // bytes >= 0x80 stay as they are
  return x | (upper >> 2);                               // 0x80 >> 2 == 'a' - 'A'
}

inline std::uint64_t load8(const char* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

/// ASCII case-insensitive equality of `n` bytes, eight at a time.
constexpr bool iequals_n(const char* a, const char* b, std::size_t n) noexcept {
  if (!std::is_constant_evaluated() && n >= 8) {
    std::uint64_t diff = 0;
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) diff |= ascii_lower8(load8(a + i)) ^ ascii_lower8(load8(b + i));
    if (i != n)  // the last, overlapping, eight bytes
      diff |= ascii_lower8(load8(a + n - 8)) ^ ascii_lower8(load8(b + n - 8));
    return diff == 0;
  }
  for (std::size_t i = 0; i < n; ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

/// ASCII case-insensitive equality, as HTTP field names compare (R5.3). This runs for every
/// field of every carrier a propagator reads, so the length test stays inline at the call.
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && iequals_n(a.data(), b.data(), a.size());
}

/// iequals_n kept out of the callers' loops: folded_key calls it only for a name that differs
/// from the key in case bits alone, so the loop over a carrier's fields keeps the fold's
/// constants out of its registers.
[[gnu::noinline, gnu::cold]] inline bool iequals_n_out_of_line(const char* a, const char* b,
                                                              std::size_t n) noexcept {
  return iequals_n(a, b, n);
}

/// A field name to look for among many (a propagator's header in a carrier's fields):
/// matches(name) is iequals(name, key). A name of 8 to 16 characters (every header a propagator
/// reads) is compared with two overlapping 8-byte loads of `name` against the key's words,
/// without a loop and without folding case: equal words match, and words that differ in any bit
/// but the ASCII case bit (0x20) cannot match. Only names that differ from the key in case bits
/// alone (a name spelled with other capitals) are folded and compared again. Nothing is folded
/// when the key is set up.
class folded_key {
 public:
  explicit folded_key(std::string_view key) noexcept : key_(key) {
    if (key.size() >= 8 && key.size() <= 16) {
      first_ = load8(key.data());
      last_ = load8(key.data() + key.size() - 8);
    }
  }
  /// What compare() can tell without folding case.
  enum class match {
    no,         // the name cannot match, whatever its case
    same,       // the name is spelled as the key
    case_only,  // only a fold can tell: iequals decides
  };
  /// matches() without the fold: no call, so a loop over fields keeps its registers.
  match compare(std::string_view name) const noexcept {
    if (name.size() != key_.size()) return match::no;
    if (key_.size() < 8 || key_.size() > 16) return match::case_only;
    const std::uint64_t diff = word_difference(name.data());
    if (diff == 0) return match::same;
    return (diff & ~case_bits) != 0 ? match::no : match::case_only;  // beyond the case of letters
  }
  /// iequals(name, key).
  bool matches(std::string_view name) const noexcept {
    if (name.size() != key_.size()) return false;
    if (key_.size() >= 8 && key_.size() <= 16) {
      const std::uint64_t diff = word_difference(name.data());
      if (diff == 0) return true;
      if ((diff & ~case_bits) != 0) return false;  // differs beyond the case of letters
      return iequals_n_out_of_line(name.data(), key_.data(), name.size());
    }
    return iequals_n(name.data(), key_.data(), name.size());
  }

 private:
  static constexpr std::uint64_t case_bits = 0x2020202020202020ULL;
  // The bits in which a name of the key's length (8 to 16) differs from the key, from two
  // overlapping 8-byte loads.
  std::uint64_t word_difference(const char* p) const noexcept {
    return (load8(p) ^ first_) | (load8(p + key_.size() - 8) ^ last_);
  }
  std::string_view key_;
  std::uint64_t first_ = 0;
  std::uint64_t last_ = 0;
};

/// Reports a carrier that threw (user extension point, R1.12).
CTXFLOW_API void report_carrier_failure(const char* what) noexcept;

template <class C>
concept pair_sequence = requires(const C& c) {
  typename C::value_type::first_type;
  typename C::value_type::second_type;
  c.begin();
  c.end();
};
template <class C>
concept keyed_map = pair_sequence<C> && requires(const C& c, const typename C::key_type& k) {
  typename C::key_type;
  typename C::mapped_type;
  c.find(k);
  c.equal_range(k);
};

/// Replaces `field` with `value`, reusing the field's buffer when it can (re-injecting into a
/// reused carrier then allocates nothing).
template <class T>
void assign_value(T& field, std::string_view value) {
  if constexpr (requires { field.assign(value.data(), value.size()); }) {
    field.assign(value.data(), value.size());
  } else {
    field = T(value);
  }
}

/// A field value a setter can resize and write into (`std::string`).
template <class T>
concept writable_value = requires(T& v, std::size_t n) {
  v.resize(n);
  { v.data() } -> std::same_as<char*>;
};

template <class C>
auto map_range(const C& c, std::string_view key) {
  if constexpr (requires { c.equal_range(key); }) {
    return c.equal_range(key);
  } else {
    return c.equal_range(typename C::key_type(key));
  }
}

}  // namespace detail

/// Text map for `std::map`, `std::unordered_map` and `std::multimap` keyed by string: exact,
/// case-sensitive lookups (store HTTP headers lowercased, or use case_insensitive_text_map).
/// For a multimap, `get` is the first value and `get_all` lists every value in order; `set`
/// replaces every value of the key with one.
struct map_text_map {
  template <detail::keyed_map C>
  std::optional<std::string_view> get(const C& c, std::string_view key) const {
    auto [b, e] = detail::map_range(c, key);
    if (b == e) return std::nullopt;
    return std::string_view(b->second);
  }
  template <detail::keyed_map C>
  void get_all(const C& c, std::string_view key, string_visitor each) const {
    auto [b, e] = detail::map_range(c, key);
    for (; b != e; ++b)
      if (!each(std::string_view(b->second))) return;
  }
  template <detail::keyed_map C>
  void keys(const C& c, string_visitor each) const {
    for (const auto& kv : c)
      if (!each(std::string_view(kv.first))) return;
  }
  template <detail::keyed_map C>
  void set(C& c, std::string_view key, std::string_view value) const {
    typename C::key_type k(key);
    auto [b, e] = c.equal_range(k);
    if (b != e && std::next(b) == e) {
      b->second.assign(value.data(), value.size());
      return;
    }
    c.erase(b, e);
    c.emplace(std::move(k), typename C::mapped_type(value));
  }
  /// set() of a value of `size` characters that `write` puts straight into the field's string.
  template <detail::keyed_map C>
    requires detail::writable_value<typename C::mapped_type>
  void set_in_place(C& c, std::string_view key, std::size_t size, value_writer write) const {
    typename C::key_type k(key);
    const auto range = c.equal_range(k);
    auto field = range.first;
    if (range.first == range.second || std::next(range.first) != range.second) {
      c.erase(range.first, range.second);
      if constexpr (requires { c.emplace(std::move(k), typename C::mapped_type()).first; }) {
        field = c.emplace(std::move(k), typename C::mapped_type()).first;
      } else {
        field = c.emplace(std::move(k), typename C::mapped_type());
      }
    }
    field->second.resize(size);
    write(field->second.data());
  }
};

/// Text map for any sequence of (name, value) pairs, e.g.
/// `std::vector<std::pair<std::string, std::string>>`, with case-insensitive names as HTTP
/// requires (R5.3). `set` replaces the first field with that name (keeping its spelling) and
/// removes the others, or appends.
struct case_insensitive_text_map {
  template <detail::pair_sequence C>
  std::optional<std::string_view> get(const C& c, std::string_view key) const {
    const detail::folded_key k(key);
    for (const auto& kv : c)
      if (k.matches(std::string_view(kv.first))) return std::string_view(kv.second);
    return std::nullopt;
  }
  template <detail::pair_sequence C>
  void get_all(const C& c, std::string_view key, string_visitor each) const {
    const detail::folded_key k(key);
    for (const auto& kv : c)
      if (k.matches(std::string_view(kv.first)) && !each(std::string_view(kv.second))) return;
  }
  template <detail::pair_sequence C>
  void keys(const C& c, string_visitor each) const {
    for (const auto& kv : c)
      if (!each(std::string_view(kv.first))) return;
  }
  template <class C>
    requires detail::pair_sequence<C> && (!detail::keyed_map<C>) &&
             requires(C& c, std::string_view k) { c.emplace_back(k, k); }
  void set(C& c, std::string_view key, std::string_view value) const {
    const detail::folded_key k(key);
    bool found = false;
    for (auto it = c.begin(); it != c.end();) {
      if (k.matches(std::string_view(it->first))) {
        if (!found) {
          detail::assign_value(it->second, value);
          found = true;
        } else {
          it = c.erase(it);
          continue;
        }
      }
      ++it;
    }
    if (!found) c.emplace_back(key, value);
  }
  /// set() of a value of `size` characters that `write` puts straight into the field's string
  /// (resized in place: a reused field of the same size is simply overwritten).
  template <class C>
    requires detail::pair_sequence<C> && (!detail::keyed_map<C>) &&
             detail::writable_value<typename C::value_type::second_type> &&
             requires(C& c, std::string_view k) { c.emplace_back(k, k); }
  void set_in_place(C& c, std::string_view key, std::size_t size, value_writer write) const {
    const detail::folded_key k(key);
    bool found = false;
    for (auto it = c.begin(); it != c.end();) {
      if (k.matches(std::string_view(it->first))) {
        if (!found) {
          it->second.resize(size);
          write(it->second.data());
          found = true;
        } else {
          it = c.erase(it);
          continue;
        }
      }
      ++it;
    }
    if (!found) {
      c.emplace_back(key, std::string_view());
      auto& value = std::prev(c.end())->second;
      value.resize(size);
      write(value.data());
    }
  }
};

/// The text map used for `Carrier` when none is named: map_text_map for keyed maps,
/// case_insensitive_text_map for sequences of pairs.
template <class Carrier>
struct default_text_map {
  using type = std::conditional_t<detail::keyed_map<Carrier>, map_text_map, case_insensitive_text_map>;
};
template <class Carrier>
using default_text_map_t = typename default_text_map<std::remove_cvref_t<Carrier>>::type;

namespace detail {

/// A carrier whose fields are a contiguous array of string_pair.
template <class C>
concept string_pair_array =
    std::ranges::contiguous_range<const C> && std::ranges::sized_range<const C> &&
    std::same_as<std::ranges::range_value_t<const C>, string_pair>;

/// The fields getter_ref exposes through carrier_getter::string_pairs(): the carrier's own
/// array when it is a contiguous range of string_pair read with case_insensitive_text_map.
template <class Getter, class Carrier>
std::span<const string_pair> string_pairs_of(const Carrier& c) noexcept {
  if constexpr (std::same_as<Getter, case_insensitive_text_map> && string_pair_array<Carrier>) {
    return std::span<const string_pair>(std::ranges::data(c), std::ranges::size(c));
  } else {
    return {};
  }
}

/// The list setter_ref exposes through carrier_setter::string_pair_list().
template <class Setter, class Carrier>
std::vector<string_pair>* string_pair_list_of(Carrier& c) noexcept {
  if constexpr (std::same_as<Setter, case_insensitive_text_map> &&
                std::same_as<Carrier, std::vector<string_pair>>) {
    return &c;
  } else {
    return nullptr;
  }
}

}  // namespace detail

/// Wraps a carrier and its getter as a carrier_getter. A getter that throws is reported
/// (`propagation.carrier.failed`) and treated as "no value".
template <class Carrier, class Getter = default_text_map_t<Carrier>>
  requires text_map_getter<Getter, Carrier>
class getter_ref final : public carrier_getter {
 public:
  explicit getter_ref(const Carrier& c, Getter g = {}) noexcept
      : carrier_getter(detail::string_pairs_of<Getter>(c)), carrier_(c), getter_(g) {}

  std::optional<std::string_view> get(std::string_view key) const noexcept override {
    CTXFLOW_TRY {
      return getter_.get(carrier_, key);
    } CTXFLOW_CATCH_ALL {
      detail::report_carrier_failure("get");
      return std::nullopt;
    }
  }
  void get_all(std::string_view key, string_visitor each) const noexcept override {
    if constexpr (multi_value_getter<Getter, Carrier>) {
      CTXFLOW_TRY {
        getter_.get_all(carrier_, key, each);
      } CTXFLOW_CATCH_ALL {
        detail::report_carrier_failure("get_all");
      }
    } else {
      carrier_getter::get_all(key, each);
    }
  }
  void keys(string_visitor each) const noexcept override {
    CTXFLOW_TRY {
      getter_.keys(carrier_, each);
    } CTXFLOW_CATCH_ALL {
      detail::report_carrier_failure("keys");
    }
  }

 private:
  const Carrier& carrier_;
  [[no_unique_address]] Getter getter_;
};

/// Wraps a carrier and its setter as a carrier_setter. A setter that throws is reported
/// (`propagation.carrier.failed`); the field may then be missing.
template <class Carrier, class Setter = default_text_map_t<Carrier>>
  requires text_map_setter<Setter, Carrier>
class setter_ref final : public carrier_setter {
 public:
  explicit setter_ref(Carrier& c, Setter s = {}) noexcept
      : carrier_setter(detail::string_pair_list_of<Setter>(c)), carrier_(c), setter_(s) {}

  void set(std::string_view key, std::string_view value) noexcept override {
    CTXFLOW_TRY {
      setter_.set(carrier_, key, value);
    } CTXFLOW_CATCH_ALL {
      detail::report_carrier_failure("set");
    }
  }
  void set_in_place(std::string_view key, std::size_t size, value_writer write) noexcept override {
    if constexpr (requires { setter_.set_in_place(carrier_, key, size, write); }) {
      CTXFLOW_TRY {
        setter_.set_in_place(carrier_, key, size, write);
      } CTXFLOW_CATCH_ALL {
        detail::report_carrier_failure("set");
      }
    } else {
      carrier_setter::set_in_place(key, size, write);
    }
  }

 private:
  Carrier& carrier_;
  [[no_unique_address]] Setter setter_;
};

}  // namespace ctxflow::propagation
