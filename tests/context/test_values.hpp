// SPDX-License-Identifier: Apache-2.0
// Small helpers shared by the context tests.
#pragma once

#include "ctxflow/context/ref_counted.hpp"

namespace ctxflow::test {

/// A ref_counted value with an int payload, for putting into slots.
class int_value final : public detail::ref_counted {
 public:
  explicit int_value(int v) noexcept : value(v) {}
  const int value;
};

inline int value_of(const detail::ref_counted* p) {
  return p ? static_cast<const int_value*>(p)->value : -1;
}

}  // namespace ctxflow::test
