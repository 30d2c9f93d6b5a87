// SPDX-License-Identifier: Apache-2.0
// Internal (target ctxflow_internal): the two ways ctxflow reports a value it will not use.
// Both take the diagnostic code first and show at most a bounded, sanitised part of the value.
#pragma once

#include <string_view>

namespace ctxflow::internal {

/// Input from a peer (a header, a carrier field) that is dropped: reported at debug level, since
/// a peer sending bad headers must not flood the host's warnings, with at most 64 characters of
/// the value and anything that is not printable ASCII replaced by '?'. Only the invalid path calls
/// this, so a valid parse pays nothing for it.
void report_invalid_input(std::string_view code, std::string_view what,
                          std::string_view value) noexcept;

/// A setting (an environment variable, an option) that is ignored in favour of its default:
/// reported as a warning naming the setting, with at most 200 characters of the value.
/// `instead` names what is used in its place ("using <instead>").
void report_invalid_setting(std::string_view code, std::string_view name, std::string_view value,
                            std::string_view why,
                            std::string_view instead = "the default") noexcept;

}  // namespace ctxflow::internal
