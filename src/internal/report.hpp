// SPDX-License-Identifier: Apache-2.0
// Internal (target ctxflow_internal): the two ways ctxflow reports a value it will not use.
// Both take the diagnostic code first and show at most a bounded, sanitised part of the value.
#pragma once

#include <string_view>

#include "ctxflow/context/diagnostics.hpp"

namespace ctxflow::internal {

/// report_invalid_input past its rate-limit check: formats and reports.
void report_invalid_input_now(std::string_view code, std::string_view what,
                              std::string_view value) noexcept;

/// Input from a peer (a header, a carrier field) that is dropped: reported at debug level, since
/// a peer sending bad headers must not flood the host's warnings, with at most 64 characters of
/// the value and anything that is not printable ASCII replaced by '?'. Only the invalid path calls
/// this, so a valid parse pays nothing for it. A flood of bad input is counted before anything is
/// copied or formatted; that check is inline at the call, so a suppressed report costs the
/// caller one call (suppress_report) and nothing else.
inline void report_invalid_input(std::string_view code, std::string_view what,
                                 std::string_view value) noexcept {
  if (suppress_report()) return;
  report_invalid_input_now(code, what, value);
}

/// A setting (an environment variable, an option) that is ignored in favour of its default:
/// reported as a warning naming the setting, with at most 200 characters of the value.
/// `instead` names what is used in its place ("using <instead>").
void report_invalid_setting(std::string_view code, std::string_view name, std::string_view value,
                            std::string_view why,
                            std::string_view instead = "the default") noexcept;

}  // namespace ctxflow::internal
