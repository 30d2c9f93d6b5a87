// SPDX-License-Identifier: Apache-2.0
// Private to redis_streams (needs hiredis): one synchronous hiredis connection, opened on demand,
// with a socket timeout per command, and the helpers that read hiredis replies.
#pragma once

#include <hiredis/hiredis.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ctxflow/integrations/messaging/redis_streams.hpp"
#include "integrations/messaging/redis_link.hpp"

namespace ctxflow::integrations::messaging::detail {

struct reply_deleter {
  void operator()(redisReply* r) const noexcept {
    if (r) freeReplyObject(r);
  }
};
using reply_ptr = std::unique_ptr<redisReply, reply_deleter>;

inline std::string_view as_view(const redisReply* r) noexcept {
  return (r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ||
                r->type == REDIS_REPLY_ERROR))
             ? std::string_view(r->str, r->len)
             : std::string_view();
}

inline bool is_error(const redisReply* r, std::string_view prefix) noexcept {
  return r && r->type == REDIS_REPLY_ERROR && as_view(r).substr(0, prefix.size()) == prefix;
}

/// One hiredis connection, opened on demand and dropped after a connection-level failure.
class connection {
 public:
  connection(const redis_options& o, link_state& link) : options_(o), link_(link) {}
  ~connection() { reset(); }
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// Runs one command with a reply deadline of the command timeout plus `extra` (a BLOCK
  /// wait); null on failure (reported through the link state, or by the caller for error
  /// replies it expects). The caller holds the connection's mutex.
  reply_ptr command(const std::vector<std::string>& args, milliseconds extra = {}) noexcept;

 private:
  bool ensure(std::string_view what) noexcept;

  void fail(std::string_view what, bool timeout, std::string_view why,
            milliseconds limit) noexcept;

  void reset() noexcept;

  const redis_options& options_;
  link_state& link_;
  redisContext* ctx_ = nullptr;
  std::uint64_t epoch_ = 0;           // the link epoch when ctx_ was opened
  milliseconds applied_{-1};          // the socket timeout set on ctx_; -1: not set
};

}  // namespace ctxflow::integrations::messaging::detail
