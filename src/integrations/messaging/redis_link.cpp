// SPDX-License-Identifier: Apache-2.0
// redis_streams: the link state. Outages begin with the first failure of a connection opened
// since the last one, are reported once (and their end once), and pace reconnects with a
// doubling backoff.
#include "integrations/messaging/redis_link.hpp"

#include <algorithm>

#include "ctxflow/context/diagnostics.hpp"

namespace ctxflow::integrations::messaging::detail {

namespace {

long long to_ms(mono_clock::duration d) noexcept {
  return static_cast<long long>(std::chrono::duration_cast<milliseconds>(d).count());
}

}  // namespace

std::uint64_t link_state::epoch() const noexcept {
  std::lock_guard lock(mu_);
  return epoch_;
}

bool link_state::may_connect() noexcept {
  std::lock_guard lock(mu_);
  if (!down_) return true;
  const mono_clock::time_point now = mono_clock::now();
  if (now < next_attempt_) {
    fast_failures_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  next_attempt_ = now + delay_;  // this caller's attempt; a concurrent one waits for it
  return true;
}

void link_state::failed(std::uint64_t conn_epoch, bool timeout, std::string_view what,
                        std::string_view why, milliseconds limit) noexcept {
  bool starts = false;
  milliseconds delay{};
  {
    std::lock_guard lock(mu_);
    if (conn_epoch != epoch_) return;  // part of an outage already counted
    ++epoch_;
    const mono_clock::time_point now = mono_clock::now();
    if (!down_) {
      down_ = true;
      starts = true;
      since_ = now;
      attempts_ = 0;
      delay_ = std::max(options_.reconnect_backoff, milliseconds(0));
      outages_.fetch_add(1, std::memory_order_relaxed);
    } else {
      delay_ = std::min(delay_ * 2, std::max(options_.reconnect_backoff_max, delay_));
    }
    ++attempts_;
    next_attempt_ = now + delay_;
    delay = delay_;
  }
  const severity level = starts ? severity::warning : severity::debug;
  const auto mb = static_cast<long long>(options_.reconnect_backoff_max.count());
  if (timeout) {
    reportf(level, "messaging.redis.timeout",
            "redis %.*s at %s:%u: no reply within %lld ms; connection dropped, calls fail "
            "fast until a reconnect in %lld ms (backoff doubling to %lld ms)",
            static_cast<int>(what.size()), what.data(), options_.host.c_str(),
            static_cast<unsigned>(options_.port), static_cast<long long>(limit.count()),
            static_cast<long long>(delay.count()), mb);
  } else {
    reportf(level, "messaging.redis.unavailable",
            "redis at %s:%u unavailable (%.*s: %.*s); calls fail fast until a reconnect in "
            "%lld ms (backoff doubling to %lld ms)",
            options_.host.c_str(), static_cast<unsigned>(options_.port),
            static_cast<int>(what.size()), what.data(), static_cast<int>(why.size()),
            why.data(), static_cast<long long>(delay.count()), mb);
  }
}

void link_state::succeeded() noexcept {
  long long down_for = 0;
  std::uint64_t attempts = 0;
  {
    std::lock_guard lock(mu_);
    if (!down_) return;
    down_ = false;
    down_for = to_ms(mono_clock::now() - since_);
    attempts = attempts_;
    delay_ = options_.reconnect_backoff;
  }
  // A warning like the outage report, so the default (stderr) handler shows both.
  reportf(severity::warning, "messaging.redis.recovered",
          "redis at %s:%u reachable again after %lld ms (%llu failed attempts)",
          options_.host.c_str(), static_cast<unsigned>(options_.port), down_for,
          static_cast<unsigned long long>(attempts));
}

bool link_state::available() const noexcept {
  std::lock_guard lock(mu_);
  return !down_;
}
}  // namespace ctxflow::integrations::messaging::detail
