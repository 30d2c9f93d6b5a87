// SPDX-License-Identifier: Apache-2.0
// The span return path of the batch span processor (see span_returns.hpp).
#include "sdk/span_returns.hpp"

namespace ctxflow::sdk::detail {

void release_foreign(span_ring& ring, std::uint64_t upto) noexcept {
  ring.reclaim(upto, release_spans{});
}

}  // namespace ctxflow::sdk::detail
