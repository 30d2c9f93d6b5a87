// SPDX-License-Identifier: Apache-2.0
// The one replaceable, rate-limited channel through which ctxflow reports misuse and faults
// (token misuse, leaked scopes, malformed input, export failures). Telemetry never throws into
// the host; it reports here instead. The default handler writes warnings and errors to stderr.
// See R1.12 and docs/requirements.md, "Reliability".
#pragma once

#include <cstdint>
#include <functional>
#include <source_location>
#include <string_view>

#include "ctxflow/export.hpp"

namespace ctxflow {

/// How serious a report is.
enum class severity : std::uint8_t { debug, info, warning, error };

/// One report. The views are valid only during the handler call.
struct diagnostic {
  severity level = severity::warning;
  /// A stable, dotted identifier such as `context.detach.out_of_order`; tests match on it.
  std::string_view code;
  /// Human-readable text.
  std::string_view message;
  /// The user's code location involved (the attach site for token misuse), when known.
  std::source_location where{};
  bool has_where = false;
};

/// Receives reports. It may be called from any thread, concurrently; it must not throw.
using diagnostics_handler = std::function<void(const diagnostic&)>;

/// Replaces the process-wide handler and returns the previous one. An empty function restores
/// the default (stderr) handler.
///
/// Thread safety: may be called from any thread. A report already being delivered may still
/// reach the previous handler.
CTXFLOW_API diagnostics_handler set_diagnostics_handler(diagnostics_handler handler) noexcept;

/// Sets how many reports per second reach the handler (default 100). A window opens with the
/// first report after the previous one ended and lets that many through; once they are used up,
/// it lasts until the wall clock leaves the second after the one it opened in (more than one
/// second, at most two). Excess reports are counted and summarised in one
/// `diagnostics.suppressed` report, delivered just before the first report of a later window;
/// diagnostics_stats() includes them at any time. While a window's reports are used up, a report
/// costs a read of the wall-clock second (`time()`) and a per-thread counter increment: no lock,
/// no formatting, no shared write.
CTXFLOW_API void set_diagnostics_rate_limit(std::uint32_t per_second) noexcept;

/// Strict mode adds attach sites to token-misuse reports and reports scopes still attached when
/// a task, a bound call or a worker job ends. Default: off, or on when the environment variable
/// `CTXFLOW_STRICT_CONTEXT` is `1` at start-up.
CTXFLOW_API void set_strict_mode(bool on) noexcept;
CTXFLOW_API bool strict_mode() noexcept;

/// Counters of every report made since start (including suppressed ones). `suppressed` is exact
/// when taken: it sums the per-thread counts.
struct diagnostics_counters {
  std::uint64_t reported = 0;
  std::uint64_t suppressed = 0;
};
CTXFLOW_API diagnostics_counters diagnostics_stats() noexcept;

/// Reports a diagnostic. Never throws; safe to call from any thread.
CTXFLOW_API void report(severity level, std::string_view code, std::string_view message) noexcept;
CTXFLOW_API void report(severity level, std::string_view code, std::string_view message,
                        const std::source_location& where) noexcept;

/// For callers that build an expensive message (a sanitised copy of a peer's header, say): true
/// when the rate limit is suppressing reports right now, in which case the report has been
/// counted as suppressed and the caller must skip it; false means report() it as usual. This is
/// the check report() and reportf() make first, so calling it costs nothing extra.
CTXFLOW_API bool suppress_report() noexcept;

/// printf-style convenience: formats into a bounded stack buffer (longer text is truncated).
CTXFLOW_API void reportf(severity level, std::string_view code, const char* format, ...) noexcept
    __attribute__((format(printf, 3, 4)));

}  // namespace ctxflow
