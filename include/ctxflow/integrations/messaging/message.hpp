// SPDX-License-Identifier: Apache-2.0
// Messages and the transport interface behind ctxflow's producer and consumer helpers. Two
// transports implement it: redis_streams (Redis Streams through hiredis) and in_process_queue
// (the embedded default). Headers are (name, value) pairs, so the propagators inject into and
// extract from them directly. See docs/usage/integrations.md.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ctxflow/integrations/messaging/legacy_namespace.hpp"

namespace ctxflow::integrations::messaging {

/// Message header fields in order (the creation context travels here, R9.8).
using header_list = std::vector<std::pair<std::string, std::string>>;

/// One message as a consumer receives it.
struct message {
  /// The id the transport gave it (a Redis stream entry id, or the queue's sequence id).
  std::string id;
  std::string destination;
  header_list headers;
  std::string body;
  /// True when the transport hands the message out again after an earlier delivery was not
  /// acknowledged (Redis Streams: claimed from the pending entries). Handlers must be idempotent.
  bool redelivered = false;
};

/// A queue backend: appends to and fetches from named destinations.
///
/// Thread safety: implementations are safe to call from many threads.
/// Errors: failures are values (an empty optional, an empty batch) and are reported through
/// ctxflow::report; nothing throws.
class transport {
 public:
  virtual ~transport() = default;
  /// Appends a message to `destination`; returns its id, or nothing when it failed.
  virtual std::optional<std::string> append(std::string_view destination,
                                            const header_list& headers,
                                            std::string_view body) noexcept = 0;
  /// Up to `max` messages of `destination`, waiting at most `wait` for the first (zero: do not
  /// wait). Empty on timeout or failure.
  virtual std::vector<message> fetch(std::string_view destination, std::size_t max,
                                     std::chrono::milliseconds wait) noexcept = 0;
  /// Marks a fetched message as processed, after its handler returned (a no-op where the
  /// transport has no such notion). A message never acknowledged may be delivered again.
  virtual void acknowledge(const message& m) noexcept { (void)m; }
  /// The `messaging.system` value (R9.10).
  virtual std::string_view system() const noexcept = 0;
  /// The broker's address and port for `server.address` / `server.port`; empty / 0 when none.
  virtual std::string_view server_address() const noexcept { return {}; }
  virtual std::uint16_t server_port() const noexcept { return 0; }
};

}  // namespace ctxflow::integrations::messaging
