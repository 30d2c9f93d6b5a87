// SPDX-License-Identifier: Apache-2.0
// Private to redis_streams (needs hiredis): the transport's state. Two connections, one for XADD,
// XGROUP and XACK (the writer) and one for blocking reads (the reader), each behind its own
// mutex, the groups created so far, and where reading and claiming stand per destination.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "ctxflow/integrations/messaging/redis_streams.hpp"
#include "integrations/messaging/redis_connection.hpp"
#include "integrations/messaging/redis_link.hpp"

namespace ctxflow::integrations::messaging {

namespace detail {

/// Where the claim scan of one destination stands.
struct claim_cursor {
  std::string next = "0-0";
  mono_clock::time_point not_before{};
};

}  // namespace detail

struct redis_streams::impl {
  explicit impl(redis_options o)
      : options(std::move(o)), link(options), writer(options, link), reader(options, link) {}

  bool grouped() const noexcept { return !options.group.empty(); }

  /// Creates the consumer group of `destination` once (MKSTREAM). Needs writer_mu. In
  /// redis_streams.cpp.
  void ensure_group(const std::string& destination);

  /// Result of one read under reader_mu.
  enum class read_result { done, no_group };

  /// Claims idle pending entries of `destination` (XAUTOCLAIM). Needs reader_mu. In
  /// redis_reader.cpp, like read().
  read_result claim(const std::string& destination, std::size_t max, std::vector<message>& out);

  /// XREAD / XREADGROUP of `destination`. Needs reader_mu.
  read_result read(const std::string& destination, std::size_t max,
                   std::chrono::milliseconds wait, std::vector<message>& out);

  redis_options options;
  detail::link_state link;
  std::mutex writer_mu;
  detail::connection writer;        // guarded by writer_mu
  std::set<std::string> groups;     // guarded by writer_mu
  std::mutex reader_mu;
  detail::connection reader;        // guarded by reader_mu
  std::map<std::string, std::string> last_ids;                // guarded by reader_mu (XREAD)
  std::map<std::string, detail::claim_cursor> claim_cursors;  // guarded by reader_mu
  bool claim_supported = true;                                // guarded by reader_mu
  std::atomic<std::uint64_t> claimed{0};
};

}  // namespace ctxflow::integrations::messaging
