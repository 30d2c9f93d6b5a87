// SPDX-License-Identifier: Apache-2.0
// How the built-in propagators read and write a carrier's fields on their hot paths: straight
// through a header list when the carrier interface exposes one (carrier_getter::string_pairs,
// carrier_setter::string_pair_list), through its virtual calls otherwise. The header name is a
// constant at every call, so the inlined walk compares it without a loop. The result is the same
// either way (docs/design/propagation.md, "Carriers").
#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "ctxflow/propagation/text_map.hpp"

namespace ctxflow::propagation::detail {

/// Passes every value of the fields named `key` (case-insensitively) to `each`, in carrier
/// order, until `each` returns false: what getter.get_all(key, each) does.
template <class Each>
inline void for_each_value(const carrier_getter& getter, std::string_view key, Each& each) noexcept {
  const std::span<const string_pair> fields = getter.string_pairs();
  if (fields.data() == nullptr) {
    getter.get_all(key, each);
    return;
  }
  const folded_key k(key);
  for (const string_pair& field : fields)
    if (k.matches(field.first) && !each(std::string_view(field.second))) return;
}

/// setter.set_in_place out of line: the interface's default formats into a buffer on the stack,
/// which, inlined, would give every caller that frame (and its saved registers) on the list path
/// too.
template <class Write>
[[gnu::noinline, gnu::cold]] void set_in_place_through_interface(carrier_setter& setter,
                                                                 std::string_view key,
                                                                 std::size_t size,
                                                                 Write& write) noexcept {
  setter.set_in_place(key, size, write);
}

/// setter.set_in_place(key, size, write). On a header list that already has exactly one field
/// of that name with a value of that size (a reused carrier), the value is written over in the
/// walk that finds it; anything else (a field to add, resize or deduplicate, or no list) is left
/// to setter.set_in_place, which does the same through case_insensitive_text_map.
template <class Write>
inline void set_field_in_place(carrier_setter& setter, std::string_view key, std::size_t size,
                               Write& write) noexcept {
  if (std::vector<string_pair>* list = setter.string_pair_list()) {
    const folded_key k(key);
    string_pair* field = nullptr;
    for (string_pair& f : *list) {
      if (!k.matches(f.first)) continue;
      if (field != nullptr) {  // a second field of that name: removed on the general path
        field = nullptr;
        break;
      }
      field = &f;
    }
    if (field != nullptr && field->second.size() == size) {
      write(field->second.data());
      return;
    }
  }
  set_in_place_through_interface(setter, key, size, write);
}

}  // namespace ctxflow::propagation::detail
