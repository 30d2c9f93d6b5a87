// SPDX-License-Identifier: Apache-2.0
// Private: reporting malformed remote input. Only the invalid path calls this, so the valid
// fast path stays free of diagnostics work. Reports are at debug level: a peer sending bad
// headers must not flood the host's warnings; the channel's rate limit applies as well.
#pragma once

#include <string_view>

namespace ctxflow::propagation::detail {

/// Reports `code` with `what` and a sanitised prefix of the offending value.
void report_invalid(std::string_view code, std::string_view what, std::string_view value) noexcept;

}  // namespace ctxflow::propagation::detail
