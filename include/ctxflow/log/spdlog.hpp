// SPDX-License-Identifier: Apache-2.0
// The ids of the current span in every spdlog line: a pattern flag (`%*` by default) that
// writes `trace_id=<32 hex> span_id=<16 hex>`, or nothing outside a span, and one-line ways to
// give a logger (or every logger) a pattern that uses it:
//
//   ctxflow::log::set_spdlog_pattern("[%H:%M:%S.%e] [%l] [%*] %v");
//
// The flag reads ctxflow's current context when the line is formatted, so a coroutine task
// that moved to another thread logs its own span's ids. Formatting happens on the logging
// thread only with synchronous loggers; see docs/usage/logging.md for async loggers.
// Also brings the {fmt} formatters (ctxflow/log/fmt.hpp).
#pragma once

#include <spdlog/common.h>
#include <spdlog/logger.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>

#include <array>
#include <cstddef>
#include <ctime>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/log/fmt.hpp"
#include "ctxflow/log/ids.hpp"
#include "ctxflow/macros.hpp"

namespace ctxflow::log {

/// The pattern flag character the functions below register unless told otherwise: `%*`.
inline constexpr char spdlog_ids_flag_char = '*';

/// A pattern like spdlog's default (`%+`) with the ids in brackets before the message:
/// `[2024-05-01 12:00:00.123] [app] [info] [trace_id=... span_id=...] text`.
inline constexpr std::string_view default_spdlog_pattern =
    "[%Y-%m-%d %H:%M:%S.%e] [%n] [%^%l%$] [%*] %v";

/// spdlog flag formatter: writes current_ids() (`trace_id=<32 hex> span_id=<16 hex>`), or
/// nothing when no valid span is current.
///
/// Context: reads the current context of the thread that formats the line (current_ids()).
/// Cost: a thread-local load and 66 characters built in a stack buffer, appended to spdlog's
/// line buffer; no allocation of its own. Padding specs (`%20*`) are ignored.
/// Thread safety: stateless; spdlog clones it per formatter.
class spdlog_ids_flag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&, spdlog::memory_buf_t& dest) override {
    std::array<char, ids::text_size> text;
    const std::size_t n = current_ids().write(text);
    dest.append(text.data(), text.data() + n);
  }
  std::unique_ptr<spdlog::custom_flag_formatter> clone() const override {
    return std::make_unique<spdlog_ids_flag>();
  }
};

/// A pattern formatter for `pattern` in which `%<flag>` (default `%*`) is spdlog_ids_flag. Give
/// it to `logger.set_formatter` or `spdlog::set_formatter`.
/// Errors: may throw std::bad_alloc.
inline std::unique_ptr<spdlog::pattern_formatter> make_spdlog_formatter(
    std::string_view pattern = default_spdlog_pattern, char flag = spdlog_ids_flag_char) {
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<spdlog_ids_flag>(flag).set_pattern(std::string(pattern));
  return formatter;
}

/// Sets `pattern`, with `%<flag>` (default `%*`) as the ids of the current span, on every sink
/// of `logger`. Returns false, after reporting `log.spdlog.formatter_failed`, if that threw.
inline bool set_spdlog_pattern(spdlog::logger& logger,
                               std::string_view pattern = default_spdlog_pattern,
                               char flag = spdlog_ids_flag_char) noexcept {
  CTXFLOW_TRY {
    logger.set_formatter(make_spdlog_formatter(pattern, flag));
    return true;
  }
  CTXFLOW_CATCH_ALL {
    ctxflow::report(ctxflow::severity::error, "log.spdlog.formatter_failed",
                    ctxflow::current_exception_message());
  }
  return false;
}

/// The same for every logger in spdlog's registry (the default logger included) and for the
/// loggers spdlog's factories create later (spdlog::set_formatter). A logger constructed
/// directly and never registered needs the overload above.
inline bool set_spdlog_pattern(std::string_view pattern = default_spdlog_pattern,
                               char flag = spdlog_ids_flag_char) noexcept {
  CTXFLOW_TRY {
    spdlog::set_formatter(make_spdlog_formatter(pattern, flag));
    return true;
  }
  CTXFLOW_CATCH_ALL {
    ctxflow::report(ctxflow::severity::error, "log.spdlog.formatter_failed",
                    ctxflow::current_exception_message());
  }
  return false;
}

}  // namespace ctxflow::log
