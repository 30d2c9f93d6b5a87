// SPDX-License-Identifier: Apache-2.0
// Reading a recorded span's attributes in the integration tests.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "ctxflow/sdk/span_data.hpp"

namespace ctxflow::test {

/// The attribute named `key`, or null.
inline const sdk::attribute* find_attribute(const sdk::span_data& s, std::string_view key) {
  for (const auto& a : s.attributes)
    if (a.key == key) return &a;
  return nullptr;
}

/// The string attribute named `key`; when there is none, a text naming the keys present (so a
/// failed comparison shows what the span has).
inline std::string string_attribute(const sdk::span_data& s, std::string_view key) {
  const sdk::attribute* a = find_attribute(s, key);
  if (a && std::holds_alternative<std::string>(a->value)) return std::get<std::string>(a->value);
  std::string present;
  for (const auto& attr : s.attributes) present += " " + attr.key;
  return "<absent; present:" + present + ">";
}

/// The integer attribute named `key`, or -1.
inline std::int64_t int_attribute(const sdk::span_data& s, std::string_view key) {
  const sdk::attribute* a = find_attribute(s, key);
  if (!a || !std::holds_alternative<std::int64_t>(a->value)) return -1;
  return std::get<std::int64_t>(a->value);
}

}  // namespace ctxflow::test
