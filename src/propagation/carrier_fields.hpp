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

/// The field of a header list that a value of `size` characters can be written over in place:
/// the only field named `key` when it is spelled as the key and its value has exactly that size,
/// which is what a reused carrier presents. Null when the setter has no list, or when a field
/// has to be added, resized or deduplicated, or a name differs from the key in case only: the
/// caller then goes through setter.set_in_place, which does all that through
/// case_insensitive_text_map, so the carrier ends up the same either way. The walk calls
/// nothing, so a caller that only tail-calls after it saves no registers.
inline string_pair* field_to_overwrite(const carrier_setter& setter, std::string_view key,
                                       std::size_t size) noexcept {
  std::vector<string_pair>* list = setter.string_pair_list();
  if (list == nullptr) return nullptr;
  const folded_key k(key);
  string_pair* field = nullptr;
  for (string_pair& f : *list) {
    const folded_key::match m = k.compare(f.first);
    if (m == folded_key::match::no) continue;
    // A second field of that name (removed on the general path), or one to fold.
    if (m == folded_key::match::case_only || field != nullptr) return nullptr;
    field = &f;
  }
  return field != nullptr && field->second.size() == size ? field : nullptr;
}

}  // namespace ctxflow::propagation::detail
