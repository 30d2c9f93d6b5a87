// SPDX-License-Identifier: Apache-2.0
// Force-included into the fuzz build only. clang 14 cannot compile libstdc++'s
// std::source_location (it lacks __builtin_source_location), and ctxflow's context API uses it
// for attach sites. When the library did not provide it, this supplies a minimal equivalent
// built on the builtins clang 14 does have, so the fuzz targets can compile the real sources.
// `current` is constexpr, not consteval: clang 14 rejects a consteval default argument in some
// calls (src/sdk/init.cpp: "cannot take address of consteval function"), and the builtins in
// the default arguments name the caller either way.
#pragma once

#include <source_location>

#if !defined(__cpp_lib_source_location)
#include <cstdint>

namespace std {  // NOLINT: a stand-in for a missing standard type, fuzz build only
struct source_location {
  static constexpr source_location current(const char* file = __builtin_FILE(),
                                           const char* function = __builtin_FUNCTION(),
                                           std::uint_least32_t line = __builtin_LINE(),
                                           std::uint_least32_t column = __builtin_COLUMN()) noexcept {
    source_location s;
    s.file_ = file;
    s.function_ = function;
    s.line_ = line;
    s.column_ = column;
    return s;
  }
  constexpr source_location() noexcept = default;
  constexpr const char* file_name() const noexcept { return file_; }
  constexpr const char* function_name() const noexcept { return function_; }
  constexpr std::uint_least32_t line() const noexcept { return line_; }
  constexpr std::uint_least32_t column() const noexcept { return column_; }

 private:
  const char* file_ = "";
  const char* function_ = "";
  std::uint_least32_t line_ = 0;
  std::uint_least32_t column_ = 0;
};
}  // namespace std
#endif
