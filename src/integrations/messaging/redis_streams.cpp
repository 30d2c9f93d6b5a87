// SPDX-License-Identifier: Apache-2.0
// redis_streams: hiredis synchronous connections (one for XADD/XACK, one for blocking reads),
// each reopened after a failure.
#include "ctxflow/integrations/messaging/redis_streams.hpp"

#include <hiredis/hiredis.h>

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "ctxflow/context/diagnostics.hpp"

namespace ctxflow::messaging {

namespace {

struct reply_deleter {
  void operator()(redisReply* r) const noexcept {
    if (r) freeReplyObject(r);
  }
};
using reply_ptr = std::unique_ptr<redisReply, reply_deleter>;

std::string_view as_view(const redisReply* r) noexcept {
  return (r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ||
                r->type == REDIS_REPLY_ERROR))
             ? std::string_view(r->str, r->len)
             : std::string_view();
}

/// One hiredis connection, reopened on demand after an error.
class connection {
 public:
  connection(const redis_options& o) : options_(o) {}
  ~connection() { reset(); }
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// Runs one command; null (reported) on failure. The caller holds the connection's mutex.
  reply_ptr command(const std::vector<std::string>& args) noexcept {
    if (!ensure()) return nullptr;
    std::vector<const char*> argv;
    std::vector<std::size_t> lens;
    argv.reserve(args.size());
    lens.reserve(args.size());
    for (const std::string& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    auto* raw = static_cast<redisReply*>(
        redisCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lens.data()));
    if (!raw) {
      reportf(severity::warning, "messaging.redis.failed", "redis %s failed: %s",
              args.empty() ? "" : args.front().c_str(), ctx_->errstr);
      reset();
      return nullptr;
    }
    reply_ptr r(raw);
    if (r->type == REDIS_REPLY_ERROR) {
      const std::string_view text = as_view(r.get());
      // A group that already exists is expected on every start after the first.
      if (text.substr(0, 9) != "BUSYGROUP")
        reportf(severity::warning, "messaging.redis.failed", "redis %s: %.*s",
                args.empty() ? "" : args.front().c_str(), static_cast<int>(text.size()),
                text.data());
    }
    return r;
  }

 private:
  bool ensure() noexcept {
    if (ctx_) return true;
    timeval tv{};
    tv.tv_sec = static_cast<long>(options_.connect_timeout.count() / 1000);
    tv.tv_usec = static_cast<long>((options_.connect_timeout.count() % 1000) * 1000);
    ctx_ = redisConnectWithTimeout(options_.host.c_str(), options_.port, tv);
    if (!ctx_ || ctx_->err) {
      reportf(severity::warning, "messaging.redis.failed", "cannot connect to redis at %s:%u: %s",
              options_.host.c_str(), static_cast<unsigned>(options_.port),
              ctx_ ? ctx_->errstr : "out of memory");
      reset();
      return false;
    }
    return true;
  }
  void reset() noexcept {
    if (ctx_) redisFree(ctx_);
    ctx_ = nullptr;
  }

  const redis_options& options_;
  redisContext* ctx_ = nullptr;
};

}  // namespace

struct redis_streams::impl {
  explicit impl(redis_options o) : options(std::move(o)), writer(options), reader(options) {}

  /// Creates the consumer group of `destination` once (MKSTREAM). Needs writer_mu.
  void ensure_group(const std::string& destination) {
    if (options.group.empty() || groups.count(destination)) return;
    reply_ptr r = writer.command(
        {"XGROUP", "CREATE", destination, options.group, options.start_id, "MKSTREAM"});
    if (r && (r->type != REDIS_REPLY_ERROR || as_view(r.get()).substr(0, 9) == "BUSYGROUP"))
      groups.insert(destination);
  }

  redis_options options;
  std::mutex writer_mu;
  connection writer;                // guarded by writer_mu
  std::set<std::string> groups;     // guarded by writer_mu
  std::mutex reader_mu;
  connection reader;                // guarded by reader_mu
  std::map<std::string, std::string> last_ids;  // guarded by reader_mu (plain XREAD)
};

redis_streams::redis_streams(redis_options options)
    : impl_(std::make_unique<impl>(std::move(options))) {}

redis_streams::~redis_streams() = default;

std::string_view redis_streams::server_address() const noexcept { return impl_->options.host; }
std::uint16_t redis_streams::server_port() const noexcept { return impl_->options.port; }

bool redis_streams::ping() noexcept {
  std::lock_guard lock(impl_->writer_mu);
  reply_ptr r = impl_->writer.command({"PING"});
  return r && as_view(r.get()) == "PONG";
}

std::optional<std::string> redis_streams::append(std::string_view destination,
                                                 const header_list& headers,
                                                 std::string_view body) noexcept {
  try {
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
  } catch (...) {
    report(severity::error, "messaging.redis.failed", "redis XADD: out of memory");
    return std::nullopt;
  }
}

std::vector<message> redis_streams::fetch(std::string_view destination, std::size_t max,
                                          std::chrono::milliseconds wait) noexcept {
  std::vector<message> out;
  try {
    const std::string dest(destination);
    if (!impl_->options.group.empty()) {
      std::lock_guard lock(impl_->writer_mu);
      impl_->ensure_group(dest);
    }
    std::lock_guard lock(impl_->reader_mu);
    std::vector<std::string> args;
    if (impl_->options.group.empty()) {
      args = {"XREAD", "COUNT", std::to_string(max)};
    } else {
      args = {"XREADGROUP", "GROUP", impl_->options.group, impl_->options.consumer_name,
              "COUNT", std::to_string(max)};
    }
    if (wait.count() > 0) {
      args.emplace_back("BLOCK");
      args.push_back(std::to_string(wait.count()));
    }
    args.emplace_back("STREAMS");
    args.push_back(dest);
    if (impl_->options.group.empty()) {
      auto it = impl_->last_ids.find(dest);
      args.push_back(it == impl_->last_ids.end() ? impl_->options.start_id : it->second);
    } else {
      args.emplace_back(">");
    }
    reply_ptr r = impl_->reader.command(args);
    // Shape: [[stream, [[id, [field, value, ...]], ...]]], or nil on timeout.
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements == 0) return out;
    const redisReply* stream = r->element[0];
    if (stream->type != REDIS_REPLY_ARRAY || stream->elements < 2) return out;
    const redisReply* entries = stream->element[1];
    if (entries->type != REDIS_REPLY_ARRAY) return out;
    for (std::size_t i = 0; i < entries->elements; ++i) {
      const redisReply* entry = entries->element[i];
      if (entry->type != REDIS_REPLY_ARRAY || entry->elements < 2) continue;
      message m;
      m.id = std::string(as_view(entry->element[0]));
      m.destination = dest;
      const redisReply* fields = entry->element[1];
      if (fields->type == REDIS_REPLY_ARRAY) {
        for (std::size_t f = 0; f + 1 < fields->elements; f += 2) {
          const std::string_view name = as_view(fields->element[f]);
          const std::string_view value = as_view(fields->element[f + 1]);
          if (name == "body")
            m.body = std::string(value);
          else
            m.headers.emplace_back(std::string(name), std::string(value));
        }
      }
      if (impl_->options.group.empty()) impl_->last_ids[dest] = m.id;
      out.push_back(std::move(m));
    }
  } catch (...) {
    report(severity::error, "messaging.redis.failed", "redis fetch: out of memory");
  }
  return out;
}

void redis_streams::acknowledge(const message& m) noexcept {
  if (impl_->options.group.empty()) return;
  try {
    std::lock_guard lock(impl_->writer_mu);
    (void)impl_->writer.command({"XACK", m.destination, impl_->options.group, m.id});
  } catch (...) {
    report(severity::error, "messaging.redis.failed", "redis XACK: out of memory");
  }
}

}  // namespace ctxflow::messaging
