// SPDX-License-Identifier: Apache-2.0
// redis_streams: the transport's calls. append() (XADD, the producer side), fetch() (claim, then
// read; a group the server lost is created again), acknowledge() (XACK), ping() and stats().
// The connections and their timeouts and reconnects are in redis_connection.cpp and
// redis_link.cpp, the reads and claims in redis_reader.cpp; every file but redis_link.cpp needs
// hiredis.
#include "ctxflow/integrations/messaging/redis_streams.hpp"

#include <string>
#include <utility>
#include <vector>

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/macros.hpp"
#include "integrations/messaging/redis_streams_impl.hpp"

namespace ctxflow::integrations::messaging {

using detail::as_view;
using detail::is_error;
using detail::link_state;
using detail::reply_ptr;

void redis_streams::impl::ensure_group(const std::string& destination) {
  if (!grouped() || groups.count(destination)) return;
  reply_ptr r = writer.command(
      {"XGROUP", "CREATE", destination, options.group, options.start_id, "MKSTREAM"});
  if (r && (r->type != REDIS_REPLY_ERROR || is_error(r.get(), "BUSYGROUP")))
    groups.insert(destination);
}

redis_streams::redis_streams(redis_options options)
    : impl_(std::make_unique<impl>(std::move(options))) {}

redis_streams::~redis_streams() = default;

std::string_view redis_streams::server_address() const noexcept { return impl_->options.host; }
std::uint16_t redis_streams::server_port() const noexcept { return impl_->options.port; }

bool redis_streams::ping() noexcept {
  CTXFLOW_TRY {
    std::lock_guard lock(impl_->writer_mu);
    reply_ptr r = impl_->writer.command({"PING"});
    return r && as_view(r.get()) == "PONG";
  } CTXFLOW_CATCH_ALL {
    return false;
  }
}

redis_stats redis_streams::stats() const noexcept {
  redis_stats s;
  const link_state& link = impl_->link;
  s.connect_attempts = link.connect_attempts_.load(std::memory_order_relaxed);
  s.timeouts = link.timeouts_.load(std::memory_order_relaxed);
  s.outages = link.outages_.load(std::memory_order_relaxed);
  s.fast_failures = link.fast_failures_.load(std::memory_order_relaxed);
  s.claimed = impl_->claimed.load(std::memory_order_relaxed);
  s.available = link.available();
  return s;
}

std::optional<std::string> redis_streams::append(std::string_view destination,
                                                 const header_list& headers,
                                                 std::string_view body) noexcept {
  CTXFLOW_TRY {
    std::vector<std::string> args = {"XADD", std::string(destination), "*"};
    for (const auto& [name, value] : headers) {
      if (name == "body") continue;  // reserved for the payload
      args.push_back(name);
      args.push_back(value);
    }
    args.emplace_back("body");
    args.emplace_back(body);
    std::lock_guard lock(impl_->writer_mu);
    reply_ptr r = impl_->writer.command(args);
    if (!r || r->type != REDIS_REPLY_STRING) return std::nullopt;
    return std::string(as_view(r.get()));
  } CTXFLOW_CATCH_ALL {
    report(severity::error, "messaging.redis.failed", "redis XADD: out of memory");
    return std::nullopt;
  }
}

std::vector<message> redis_streams::fetch(std::string_view destination, std::size_t max,
                                          std::chrono::milliseconds wait) noexcept {
  std::vector<message> out;
  CTXFLOW_TRY {
    const std::string dest(destination);
    // Twice at most: a group the server lost (a restart without persistence) is created again
    // and the read repeated once.
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (impl_->grouped()) {
        std::lock_guard lock(impl_->writer_mu);
        impl_->ensure_group(dest);
        if (!impl_->groups.count(dest)) return out;  // could not create it (reported)
      }
      impl::read_result result = impl::read_result::done;
      {
        std::lock_guard lock(impl_->reader_mu);
        if (impl_->grouped()) result = impl_->claim(dest, max, out);
        if (result == impl::read_result::done && out.empty())
          result = impl_->read(dest, max, wait, out);
      }
      if (result == impl::read_result::done) break;
      std::lock_guard lock(impl_->writer_mu);
      impl_->groups.erase(dest);
      reportf(severity::info, "messaging.redis.group_recreated",
              "redis at %s:%u lost group %s of %s; creating it again",
              impl_->options.host.c_str(), static_cast<unsigned>(impl_->options.port),
              impl_->options.group.c_str(), dest.c_str());
    }
  } CTXFLOW_CATCH_ALL {
    report(severity::error, "messaging.redis.failed", "redis fetch: out of memory");
  }
  return out;
}

void redis_streams::acknowledge(const message& m) noexcept {
  if (!impl_->grouped()) return;
  CTXFLOW_TRY {
    std::lock_guard lock(impl_->writer_mu);
    (void)impl_->writer.command({"XACK", m.destination, impl_->options.group, m.id});
  } CTXFLOW_CATCH_ALL {
    report(severity::error, "messaging.redis.failed", "redis XACK: out of memory");
  }
}

}  // namespace ctxflow::integrations::messaging
