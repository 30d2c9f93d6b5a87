// SPDX-License-Identifier: Apache-2.0
// Private to redis_streams: whether the server is reachable, shared by a transport's
// connections. It turns connection failures into outages that are reported once, with a
// reconnect backoff during which calls fail without touching the network. No hiredis here.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string_view>

#include "ctxflow/integrations/messaging/redis_streams.hpp"

namespace ctxflow::integrations::messaging::detail {

using mono_clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

/// Whether the server is reachable, shared by a transport's connections. An outage begins with
/// the first failure of a connection opened since the last one began; every connection opened
/// before it is dropped on its next use (its socket may be dead). During an outage one
/// reconnect is allowed per backoff step; the first successful command ends it.
class link_state {
 public:
  explicit link_state(const redis_options& o) : options_(o) {}

  std::uint64_t epoch() const noexcept;

  /// True when a connection may be opened now. During an outage only one caller per backoff
  /// step gets true (it takes the slot); the others fail fast.
  bool may_connect() noexcept;

  /// A connect or a command of a connection opened at `conn_epoch` failed. `what` names the
  /// command, `why` the cause.
  void failed(std::uint64_t conn_epoch, bool timeout, std::string_view what,
              std::string_view why, milliseconds limit) noexcept;

  /// A command got a reply: ends an outage.
  void succeeded() noexcept;

  bool available() const noexcept;

  std::atomic<std::uint64_t> connect_attempts_{0};
  std::atomic<std::uint64_t> timeouts_{0};
  std::atomic<std::uint64_t> outages_{0};
  std::atomic<std::uint64_t> fast_failures_{0};

 private:
  const redis_options& options_;
  mutable std::mutex mu_;
  std::uint64_t epoch_ = 0;          // guarded by mu_: bumped when an outage begins or goes on
  bool down_ = false;                // guarded by mu_
  mono_clock::time_point since_{};        // guarded by mu_: when the outage began
  mono_clock::time_point next_attempt_{}; // guarded by mu_
  milliseconds delay_{};             // guarded by mu_: the current backoff step
  std::uint64_t attempts_ = 0;       // guarded by mu_: failures in this outage
};

}  // namespace ctxflow::integrations::messaging::detail
