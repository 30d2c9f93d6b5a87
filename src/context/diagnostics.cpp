// SPDX-License-Identifier: Apache-2.0
// The diagnostics channel: a replaceable handler behind a per-second rate limit.
#include "ctxflow/context/diagnostics.hpp"

#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <time.h>
#include <utility>

#include "base/per_thread.hpp"
#include "context/state.hpp"
#include "ctxflow/macros.hpp"

namespace ctxflow {
namespace {

const char* severity_name(severity s) noexcept {
  switch (s) {
    case severity::debug: return "debug";
    case severity::info: return "info";
    case severity::warning: return "warning";
    case severity::error: return "error";
  }
  return "?";
}

void default_handler(const diagnostic& d) noexcept {
  if (d.level < severity::warning) return;
  if (d.has_where) {
    std::fprintf(stderr, "ctxflow %s [%.*s] %.*s (at %s:%u)\n", severity_name(d.level),
                 static_cast<int>(d.code.size()), d.code.data(), static_cast<int>(d.message.size()),
                 d.message.data(), d.where.file_name(), static_cast<unsigned>(d.where.line()));
  } else {
    std::fprintf(stderr, "ctxflow %s [%.*s] %.*s\n", severity_name(d.level),
                 static_cast<int>(d.code.size()), d.code.data(), static_cast<int>(d.message.size()),
                 d.message.data());
  }
}

void deliver(const std::shared_ptr<const diagnostics_handler>& h, const diagnostic& d) noexcept {
  if (!h || !*h) {
    default_handler(d);
    return;
  }
  CTXFLOW_TRY {
    (*h)(d);
  } CTXFLOW_CATCH_ALL {
    // A handler that throws must not take the host down; fall back to stderr for this report.
    default_handler(d);
  }
}

constexpr std::int64_t window_ns = 1'000'000'000;

// Monotonic time for the rate-limit window's length under the lock. The coarse clock (a few ms of
// resolution, plenty for a one-second window) is several times cheaper to read than the precise
// one.
std::int64_t now_ns() noexcept {
#if defined(CLOCK_MONOTONIC_COARSE)
  timespec ts{};
  if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) == 0)
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
#endif
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The wall-clock second, for the flood path: on Linux time() reads one word the kernel keeps up
// to date (no system call, no retry loop), about half the cost of the coarse clock above.
std::int64_t wall_second() noexcept { return static_cast<std::int64_t>(std::time(nullptr)); }

// The per-thread shards of the suppressed count (state.hpp). The slot is a constant-initialised
// thread-local; the thread's first suppressed report links it under the lock and arms the exit
// hook that folds it into the process-wide count.
void retire_shard(detail::diagnostics_shard& shard) noexcept;
using shards = internal::per_thread<detail::diagnostics_shard, &retire_shard>;

void retire_shard(detail::diagnostics_shard& shard) noexcept {
  if (!shard.linked) return;
  auto& st = detail::diagnostics();
  std::lock_guard lock(st.mu);
  st.suppressed.fetch_add(shard.suppressed.load(std::memory_order_relaxed),
                          std::memory_order_relaxed);
  shard.suppressed.store(0, std::memory_order_relaxed);
  if (shard.prev) shard.prev->next = shard.next;
  else st.shards = shard.next;
  if (shard.next) shard.next->prev = shard.prev;
  shard.prev = shard.next = nullptr;
  shard.linked = false;
}

[[gnu::noinline]] void count_in_new_shard(detail::diagnostics_shard& shard) noexcept {
  auto& st = detail::diagnostics();
  if (!shards::arm()) {  // the thread is exiting: its shard is gone
    st.suppressed.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  std::lock_guard lock(st.mu);
  shard.next = st.shards;
  if (st.shards) st.shards->prev = &shard;
  st.shards = &shard;
  shard.linked = true;
  shard.suppressed.store(shard.suppressed.load(std::memory_order_relaxed) + 1,
                         std::memory_order_relaxed);
}

// Counts one suppressed report in this thread's shard: a load and a store that only this thread
// makes, no read-modify-write and no shared cache line.
void count_suppressed() noexcept {
  detail::diagnostics_shard& shard = shards::slot();
  if (!shard.linked) [[unlikely]] {
    count_in_new_shard(shard);
    return;
  }
  shard.suppressed.store(shard.suppressed.load(std::memory_order_relaxed) + 1,
                         std::memory_order_relaxed);
}

// Every report suppressed so far: the locked count (exited threads included) plus the shards.
std::uint64_t total_suppressed_locked(const detail::diagnostics_state& st) noexcept {
  std::uint64_t total = st.suppressed.load(std::memory_order_relaxed);
  for (const detail::diagnostics_shard* s = st.shards; s; s = s->next)
    total += s->suppressed.load(std::memory_order_relaxed);
  return total;
}

// The flood path: while the window is full, a report costs a relaxed load of the second the
// window opened in, a read of the wall-clock second and the shard increment, without the lock,
// formatting or the handler. Returns true when the report was suppressed (and counted).
//
// A full window suppresses until the wall clock leaves the second after the one the window
// opened in: the window opened less than a second before that second began, so it has lasted
// more than a second by then, and at most two. One unsigned comparison tests both seconds; a
// clock set back before the window's second, or moved past the next one, fails it and the report
// takes the locked path, which decides on the monotonic clock. The time is read on every
// suppressed report, so a report made after the window ended, however long after, is delivered.
bool suppressed_unlocked() noexcept {
  const std::int64_t from = detail::diagnostics_suppress_from_s.load(std::memory_order_relaxed);
  if (from == 0 || static_cast<std::uint64_t>(wall_second() - from) >= 2) return false;
  count_suppressed();
  return true;
}

void report_impl(severity level, std::string_view code, std::string_view message,
                 const std::source_location* where) noexcept {
  if (suppressed_unlocked()) return;
  auto& st = detail::diagnostics();
  std::shared_ptr<const diagnostics_handler> handler;
  std::uint64_t summary = 0;
  {
    std::lock_guard lock(st.mu);
    const std::int64_t now = now_ns();
    if (now - st.window_start_ns >= window_ns) {
      st.window_start_ns = now;
      st.window_start_s = wall_second();
      st.in_window = 0;
      detail::diagnostics_suppress_from_s.store(0, std::memory_order_relaxed);
      // Everything suppressed since the last summary, with or without the lock.
      const std::uint64_t total = total_suppressed_locked(st);
      summary = total - std::exchange(st.summarised, total);
    }
    if (st.in_window >= st.per_second) {
      st.suppressed.fetch_add(1, std::memory_order_relaxed);
      // Arms the flood path (not with a wall clock that cannot be read: 0 and -1 never arm it).
      if (st.window_start_s > 0)
        detail::diagnostics_suppress_from_s.store(st.window_start_s, std::memory_order_relaxed);
      return;
    }
    ++st.in_window;
    handler = st.handler;
  }
  st.reported.fetch_add(1, std::memory_order_relaxed);
  if (summary != 0) {
    char buf[96];
    int n = std::snprintf(buf, sizeof buf, "%llu diagnostics were suppressed by the rate limit",
                          static_cast<unsigned long long>(summary));
    deliver(handler, diagnostic{severity::warning, "diagnostics.suppressed",
                                std::string_view(buf, n > 0 ? static_cast<std::size_t>(n) : 0), {},
                                false});
  }
  diagnostic d{level, code, message, {}, false};
  if (where) {
    d.where = *where;
    d.has_where = true;
  }
  deliver(handler, d);
}

}  // namespace

diagnostics_handler set_diagnostics_handler(diagnostics_handler handler) noexcept {
  auto& st = detail::diagnostics();
  std::shared_ptr<const diagnostics_handler> next;
  if (handler) {
    CTXFLOW_TRY {
      next = std::make_shared<const diagnostics_handler>(std::move(handler));
    } CTXFLOW_CATCH_ALL {
      return {};
    }
  }
  std::shared_ptr<const diagnostics_handler> prev;
  {
    std::lock_guard lock(st.mu);
    prev = std::exchange(st.handler, std::move(next));
    st.in_window = 0;
    detail::diagnostics_suppress_from_s.store(0, std::memory_order_relaxed);
  }
  return prev ? *prev : diagnostics_handler{};
}

void set_diagnostics_rate_limit(std::uint32_t per_second) noexcept {
  auto& st = detail::diagnostics();
  std::lock_guard lock(st.mu);
  st.per_second = per_second == 0 ? 1 : per_second;
  // Re-checked against the new limit.
  detail::diagnostics_suppress_from_s.store(0, std::memory_order_relaxed);
}

void set_strict_mode(bool on) noexcept {
  detail::strict_flag().store(on, std::memory_order_relaxed);
}

bool strict_mode() noexcept { return detail::strict_flag().load(std::memory_order_relaxed); }

diagnostics_counters diagnostics_stats() noexcept {
  auto& st = detail::diagnostics();
  std::lock_guard lock(st.mu);
  return {st.reported.load(std::memory_order_relaxed), total_suppressed_locked(st)};
}

bool suppress_report() noexcept { return suppressed_unlocked(); }

void report(severity level, std::string_view code, std::string_view message) noexcept {
  report_impl(level, code, message, nullptr);
}

void report(severity level, std::string_view code, std::string_view message,
            const std::source_location& where) noexcept {
  report_impl(level, code, message, &where);
}

void reportf(severity level, std::string_view code, const char* format, ...) noexcept {
  if (suppressed_unlocked()) return;  // before any formatting
  char buf[512];
  va_list args;
  va_start(args, format);
  int n = std::vsnprintf(buf, sizeof buf, format, args);
  va_end(args);
  if (n < 0) n = 0;
  if (static_cast<std::size_t>(n) >= sizeof buf) n = sizeof buf - 1;
  report_impl(level, code, std::string_view(buf, static_cast<std::size_t>(n)), nullptr);
}

}  // namespace ctxflow
