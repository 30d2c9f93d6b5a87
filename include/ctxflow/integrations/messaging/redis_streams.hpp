// SPDX-License-Identifier: Apache-2.0
// redis_streams: the Redis Streams message transport (hiredis): XADD to append, XREAD or
// XREADGROUP (with XACK, and XAUTOCLAIM for the pending messages of consumers that died) to
// fetch. Header fields and the body are stored as the entry's fields. Every call is bounded by
// a command timeout; a lost server is reconnected with backoff.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "ctxflow/export.hpp"
#include "ctxflow/integrations/messaging/legacy_namespace.hpp"
#include "ctxflow/integrations/messaging/message.hpp"

namespace ctxflow::integrations::messaging {

/// How redis_streams connects, reads and recovers.
struct redis_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  std::chrono::milliseconds connect_timeout{2000};
  /// Consumer group; empty: plain XREAD from `start_id`, tracking the last id per destination.
  std::string group;
  /// This consumer's name in the group.
  std::string consumer_name = "ctxflow";
  /// Where reading starts: `0` (everything) or `$` (only new entries). For a group, the id the
  /// group is created at.
  std::string start_id = "0";
  /// How long any command may wait for its reply. A fetch that blocks (`wait` > 0) gets its
  /// `wait` on top, so a long BLOCK is never cut short. When it passes, the call fails
  /// (`messaging.redis.timeout`) and the connection is dropped. Zero: no limit (a frozen server
  /// then hangs the caller; not recommended).
  std::chrono::milliseconds command_timeout{5000};
  /// The first pause before reconnecting after the connection was lost; it doubles with every
  /// failed attempt up to `reconnect_backoff_max` and starts again from here after a success.
  /// Zero: reconnect on every call.
  std::chrono::milliseconds reconnect_backoff{100};
  std::chrono::milliseconds reconnect_backoff_max{5000};
  /// With a group: a message delivered to some consumer of the group and not acknowledged for
  /// this long (its consumer died, or its handler threw) is claimed by the next fetch
  /// (XAUTOCLAIM) and handed out again. Keep it above the longest handler run: a message still
  /// being handled after `claim_idle` is handed out a second time. Zero: pending messages are
  /// never claimed.
  std::chrono::milliseconds claim_idle{30000};
};

/// Counters of one redis_streams, for monitoring and tests.
struct redis_stats {
  /// Connections opened or tried (the first one included).
  std::uint64_t connect_attempts = 0;
  /// Commands that got no reply within the command timeout.
  std::uint64_t timeouts = 0;
  /// Times the server became unreachable (each outage counts once).
  std::uint64_t outages = 0;
  /// Calls refused without contacting the server because a reconnect was not due yet.
  std::uint64_t fast_failures = 0;
  /// Messages taken over from idle pending entries (XAUTOCLAIM).
  std::uint64_t claimed = 0;
  /// False during an outage (between a lost connection and the next successful command).
  bool available = true;
};

/// Redis Streams as a transport.
///
/// Contract: append is `XADD <destination> * <header fields...> body <body>`: every header
/// becomes a field, and the field named `body` (reserved) holds the payload. fetch is
/// `XREAD COUNT <max> BLOCK <wait> STREAMS <destination> <last id>`, or with a group
/// `XREADGROUP GROUP <group> <consumer> ... >` (the group is created with MKSTREAM on first use,
/// and again when the server lost it, e.g. after a restart) and acknowledge is `XACK`.
/// `messaging.system` is `redis`.
///
/// Delivery with a group is at least once: the consumer acknowledges a message only after its
/// handler returned. A message whose handler threw, whose consumer died, or that was delivered
/// while the reply was lost (a timeout) stays pending; once it has been idle for `claim_idle`,
/// a fetch of any consumer of the group claims it (`XAUTOCLAIM`, before reading new messages)
/// and returns it again, with its original headers (so the process span links to, or continues,
/// the producer's span) and `message::redelivered` set. A message can therefore be handled more
/// than once: handlers must be idempotent. Without a group, fetch moves past what it returned and
/// nothing is redelivered.
///
/// Failures: every command is bounded by `command_timeout` (plus the BLOCK wait of a fetch).
/// A timeout, a lost connection or a refused connect starts an outage: it is reported once
/// (`messaging.redis.timeout` or `messaging.redis.unavailable`, naming host:port and the
/// command), the connection is dropped, and until the next reconnect is due (`reconnect_backoff`
/// doubling to `reconnect_backoff_max`) every call fails at once without contacting the server
/// (append gives nothing, fetch an empty batch, acknowledge is dropped and the message stays
/// pending; stats().available tells such a failure from an empty poll). The first command that
/// succeeds again ends the outage (`messaging.redis.recovered`). An error reply is reported as
/// `messaging.redis.failed`. An append that timed out may still have been applied by the server.
/// SIGPIPE is blocked on the calling thread during a command, so a reset connection is an error
/// value, never a signal.
///
/// Thread safety: distinct objects: safe. Shared objects: safe: appends and acknowledgements
/// share one connection, fetches use another, each behind its own mutex (a blocking fetch never
/// holds up an append); the outage state is shared by both.
class CTXFLOW_API redis_streams final : public transport {
 public:
  explicit redis_streams(redis_options options = {});
  ~redis_streams() override;
  redis_streams(const redis_streams&) = delete;
  redis_streams& operator=(const redis_streams&) = delete;

  std::optional<std::string> append(std::string_view destination, const header_list& headers,
                                    std::string_view body) noexcept override;
  std::vector<message> fetch(std::string_view destination, std::size_t max,
                             std::chrono::milliseconds wait) noexcept override;
  void acknowledge(const message& m) noexcept override;
  std::string_view system() const noexcept override { return "redis"; }
  std::string_view server_address() const noexcept override;
  std::uint16_t server_port() const noexcept override;

  /// True when a `PING` succeeds (false at once during an outage's backoff).
  bool ping() noexcept;
  /// A snapshot of the counters.
  redis_stats stats() const noexcept;

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace ctxflow::integrations::messaging
