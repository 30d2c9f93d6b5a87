// SPDX-License-Identifier: Apache-2.0
// Non-owning attribute values for the span API: every OTel attribute type (bool, int64, double,
// string, bytes and homogeneous arrays of those, R7.15) as a view. The SDK copies what it keeps;
// nothing here allocates. See docs/usage/tracing.md.
#pragma once

#include <concepts>
#include <cstdint>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

namespace ctxflow::trace {

/// A view of raw bytes, recorded as a byte array (OTLP `bytes_value`), never as a string.
struct bytes_view {
  std::span<const std::uint8_t> data;
};

/// A non-owning attribute value. Integers of any width become int64, floating-point values
/// become double, character pointers and strings become string views.
///
/// Lifetime: views only; the referenced data must stay valid for the call it is passed to.
/// Thread safety: a value type.
class attribute_value_view {
 public:
  using storage =
      std::variant<bool, std::int64_t, double, std::string_view, bytes_view,
                   std::span<const bool>, std::span<const std::int64_t>, std::span<const double>,
                   std::span<const std::string_view>, std::span<const std::string>>;

  constexpr attribute_value_view() noexcept : value_(std::string_view{}) {}
  constexpr attribute_value_view(bool v) noexcept : value_(v) {}
  template <class T>
    requires(std::integral<T> && !std::same_as<T, bool> && !std::same_as<T, char>)
  constexpr attribute_value_view(T v) noexcept : value_(static_cast<std::int64_t>(v)) {}
  template <class T>
    requires std::floating_point<T>
  constexpr attribute_value_view(T v) noexcept : value_(static_cast<double>(v)) {}
  constexpr attribute_value_view(const char* v) noexcept
      : value_(v ? std::string_view(v) : std::string_view()) {}
  constexpr attribute_value_view(std::string_view v) noexcept : value_(v) {}
  attribute_value_view(const std::string& v) noexcept : value_(std::string_view(v)) {}
  constexpr attribute_value_view(bytes_view v) noexcept : value_(v) {}
  constexpr attribute_value_view(std::span<const bool> v) noexcept : value_(v) {}
  constexpr attribute_value_view(std::span<const std::int64_t> v) noexcept : value_(v) {}
  constexpr attribute_value_view(std::span<const double> v) noexcept : value_(v) {}
  constexpr attribute_value_view(std::span<const std::string_view> v) noexcept : value_(v) {}
  constexpr attribute_value_view(std::span<const std::string> v) noexcept : value_(v) {}
  /// Any contiguous container of bool, int64, double, string_view or string (vector, array).
  template <class R>
    requires(std::ranges::contiguous_range<const R&> && std::ranges::sized_range<const R&> &&
             !std::convertible_to<const R&, std::string_view> &&
             (std::same_as<std::ranges::range_value_t<R>, bool> ||
              std::same_as<std::ranges::range_value_t<R>, std::int64_t> ||
              std::same_as<std::ranges::range_value_t<R>, double> ||
              std::same_as<std::ranges::range_value_t<R>, std::string_view> ||
              std::same_as<std::ranges::range_value_t<R>, std::string>))
  constexpr attribute_value_view(const R& r) noexcept
      : value_(std::span<const std::ranges::range_value_t<R>>(std::ranges::data(r),
                                                              std::ranges::size(r))) {}

  /// The stored alternative.
  constexpr const storage& get() const noexcept { return value_; }

 private:
  storage value_;
};

/// One key and value, as passed to set_attributes, add_event, add_link and start options.
struct attribute_kv {
  std::string_view key;
  attribute_value_view value;
};

}  // namespace ctxflow::trace
