// SPDX-License-Identifier: Apache-2.0
// Private: reading OTEL_* environment variables by the rules of spec-requirements.md §10 (empty
// means unset; booleans, integers, durations, enums), reporting bad values by variable name.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ctxflow::sdk::detail {

/// The variable's value; nullopt when unset or empty.
std::optional<std::string> env_string(const char* name);
/// `true` (any case) is true; anything else false, with a warning unless it is `false`.
std::optional<bool> env_bool(const char* name);
/// An integer in [0, 2^31-1]; anything else is reported and treated as unset.
std::optional<std::uint32_t> env_uint(const char* name);
/// Milliseconds, >= 0; a bad or negative value is reported and treated as unset.
std::optional<std::chrono::milliseconds> env_millis(const char* name);

/// Parses `text` as env_uint does, reporting against `name`.
std::optional<std::uint32_t> parse_uint(const char* name, std::string_view text);

/// Reports `sdk.env.invalid` naming `name`.
void report_invalid(const char* name, std::string_view value, std::string_view why) noexcept;

std::string to_lower(std::string_view s);
std::string_view trim(std::string_view s) noexcept;

}  // namespace ctxflow::sdk::detail
