// SPDX-License-Identifier: Apache-2.0
// Internal (target ctxflow_internal): reading OTEL_* environment variables by the rules in
// docs/requirements.md ("Environment variables"): empty means unset; booleans, integers and
// durations are parsed strictly, and a bad value is reported against the variable's name and
// treated as unset.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/ascii.hpp"

namespace ctxflow::internal {

/// The diagnostic code env parsing reports under unless the caller names another.
inline constexpr std::string_view env_invalid_code = "sdk.env.invalid";

/// The variable's value; nullopt when unset or empty.
std::optional<std::string> env_string(const char* name);
/// `true` (any case) is true; anything else false, with a warning unless it is `false`.
std::optional<bool> env_bool(const char* name, std::string_view code = env_invalid_code);
/// An integer in [0, 2^31-1]; anything else is reported and treated as unset.
std::optional<std::uint32_t> env_uint(const char* name, std::string_view code = env_invalid_code);
/// Milliseconds, >= 0; a bad or negative value is reported and treated as unset.
std::optional<std::chrono::milliseconds> env_millis(const char* name,
                                                    std::string_view code = env_invalid_code);

/// Parses `text` as env_uint does, reporting against `name`.
std::optional<std::uint32_t> parse_uint(const char* name, std::string_view text,
                                        std::string_view code = env_invalid_code);

/// ASCII lower case. (Trimming is internal::trim_ows, base/ascii.hpp.)
std::string to_lower(std::string_view s);

}  // namespace ctxflow::internal
