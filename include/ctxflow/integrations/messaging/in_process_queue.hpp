// SPDX-License-Identifier: Apache-2.0
// in_process_queue: the embedded message transport: named FIFO destinations in memory, with
// blocking fetch. The same producer/consumer helpers work on it as on Redis Streams.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>

#include "ctxflow/export.hpp"
#include "ctxflow/integrations/messaging/legacy_namespace.hpp"
#include "ctxflow/integrations/messaging/message.hpp"

namespace ctxflow::integrations::messaging {

/// An in-memory transport: each destination is a FIFO; a message is delivered to one consumer.
///
/// Contract: ids are `<sequence>-0`, increasing per queue; `messaging.system` is `ctxflow`
/// (R9.10). close() wakes every waiting fetch and makes later appends fail.
/// Thread safety: distinct objects: safe. Shared objects: safe.
class CTXFLOW_API in_process_queue final : public transport {
 public:
  in_process_queue() = default;
  in_process_queue(const in_process_queue&) = delete;
  in_process_queue& operator=(const in_process_queue&) = delete;

  std::optional<std::string> append(std::string_view destination, const header_list& headers,
                                    std::string_view body) noexcept override;
  std::vector<message> fetch(std::string_view destination, std::size_t max,
                             std::chrono::milliseconds wait) noexcept override;
  std::string_view system() const noexcept override { return "ctxflow"; }

  /// Messages waiting in `destination`.
  std::size_t size(std::string_view destination) const;
  /// Wakes every waiting fetch; appends fail afterwards.
  void close() noexcept;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::deque<message>, std::less<>> queues_;  // guarded by mu_
  std::uint64_t next_id_ = 1;                                       // guarded by mu_
  bool closed_ = false;                                             // guarded by mu_
};

}  // namespace ctxflow::integrations::messaging
