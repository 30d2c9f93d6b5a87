// SPDX-License-Identifier: Apache-2.0
// redis_streams: the Redis Streams message transport (hiredis): XADD to append, XREAD or
// XREADGROUP (with XACK) to fetch. Header fields and the body are stored as the entry's fields.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "ctxflow/export.hpp"
#include "ctxflow/integrations/messaging/message.hpp"

namespace ctxflow::messaging {

/// How redis_streams connects and reads.
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
};

/// Redis Streams as a transport.
///
/// Contract: append is `XADD <destination> * <header fields...> body <body>`: every header
/// becomes a field, and the field named `body` (reserved) holds the payload. fetch is
/// `XREAD COUNT <max> BLOCK <wait> STREAMS <destination> <last id>`, or with a group
/// `XREADGROUP GROUP <group> <consumer> ... >` (the group is created with MKSTREAM on first use)
/// and acknowledge is `XACK`. `messaging.system` is `redis`.
/// Thread safety: distinct objects: safe. Shared objects: safe: appends and acknowledgements
/// share one connection, fetches use another, each behind its own mutex (a blocking fetch never
/// holds up an append).
/// Errors: a failed command is reported (`messaging.redis.failed`) and gives an empty result;
/// the broken connection is reopened on the next call.
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

  /// True when a `PING` succeeds.
  bool ping() noexcept;

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace ctxflow::messaging
