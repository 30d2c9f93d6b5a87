// SPDX-License-Identifier: Apache-2.0
// OTEL_* parsing helpers; the rules are in docs/requirements.md ("Environment variables").
#include "internal/env.hpp"

#include <cctype>
#include <charconv>
#include <cstdlib>

#include "internal/report.hpp"

namespace ctxflow::internal {

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<std::string> env_string(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

std::optional<bool> env_bool(const char* name, std::string_view code) {
  std::optional<std::string> v = env_string(name);
  if (!v) return std::nullopt;
  const std::string lower = to_lower(trim_ows(*v));
  if (lower == "true") return true;
  if (lower != "false")
    report_invalid_setting(code, name, *v, "expected true or false; treated as false");
  return false;
}

std::optional<std::uint32_t> parse_uint(const char* name, std::string_view text,
                                        std::string_view code) {
  const std::string_view t = trim_ows(text);
  std::int64_t n = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
  if (t.empty() || ec != std::errc() || p != t.data() + t.size()) {
    report_invalid_setting(code, name, text, "not an integer");
    return std::nullopt;
  }
  if (n < 0 || n > 2147483647) {
    report_invalid_setting(code, name, text, "out of range 0..2147483647");
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(n);
}

std::optional<std::uint32_t> env_uint(const char* name, std::string_view code) {
  std::optional<std::string> v = env_string(name);
  if (!v) return std::nullopt;
  return parse_uint(name, *v, code);
}

std::optional<std::chrono::milliseconds> env_millis(const char* name, std::string_view code) {
  std::optional<std::uint32_t> v = env_uint(name, code);
  if (!v) return std::nullopt;
  return std::chrono::milliseconds(*v);
}

}  // namespace ctxflow::internal
