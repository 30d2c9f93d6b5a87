// SPDX-License-Identifier: Apache-2.0
// context_key: an opaque, unique key for a value stored in a context (R1.2). Two keys made with
// the same name are still different keys; the name is only for debugging.
#pragma once

#include <cstdint>
#include <string_view>

#include "ctxflow/export.hpp"

namespace ctxflow {

/// A unique key. Cheap to copy; compare keys with `==`.
///
/// Thread safety: immutable after construction.
class context_key {
 public:
  /// Makes a new key. `name` must outlive the key (string literals do).
  CTXFLOW_API explicit context_key(std::string_view name) noexcept;

  std::uint64_t id() const noexcept { return id_; }
  std::string_view name() const noexcept { return name_; }
  friend bool operator==(const context_key& a, const context_key& b) noexcept {
    return a.id_ == b.id_;
  }

 private:
  std::uint64_t id_;
  std::string_view name_;
};

}  // namespace ctxflow
