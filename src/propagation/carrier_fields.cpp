// SPDX-License-Identifier: Apache-2.0
#include "propagation/carrier_fields.hpp"

namespace ctxflow::propagation::detail {

void set_list_field_in_place(std::vector<string_pair>& list, std::string_view key,
                             std::size_t size, value_writer write) noexcept {
  CTXFLOW_TRY {
    case_insensitive_text_map{}.set_in_place(list, key, size, write);
  } CTXFLOW_CATCH_ALL {
    report_carrier_failure("set");
  }
}

}  // namespace ctxflow::propagation::detail
