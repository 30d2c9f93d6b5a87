// SPDX-License-Identifier: Apache-2.0
// redis_streams: hiredis synchronous connections (one for XADD/XACK, one for blocking reads),
// each with a socket timeout per command. A shared link state turns failures into outages:
// reported once, with a reconnect backoff during which calls fail without touching the network.
#include "ctxflow/integrations/messaging/redis_streams.hpp"

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "ctxflow/context/diagnostics.hpp"

namespace ctxflow::integrations::messaging {

namespace {

using mono_clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

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

bool is_error(const redisReply* r, std::string_view prefix) noexcept {
  return r && r->type == REDIS_REPLY_ERROR && as_view(r).substr(0, prefix.size()) == prefix;
}

timeval to_timeval(milliseconds d) noexcept {
  timeval tv{};
  tv.tv_sec = static_cast<decltype(tv.tv_sec)>(d.count() / 1000);
  tv.tv_usec = static_cast<decltype(tv.tv_usec)>((d.count() % 1000) * 1000);
  return tv;
}

long long to_ms(mono_clock::duration d) noexcept {
  return static_cast<long long>(std::chrono::duration_cast<milliseconds>(d).count());
}

/// Blocks SIGPIPE on this thread while alive and discards one raised meanwhile: hiredis writes
/// with write(2), and a write to a connection the server has reset must fail as a value, not
/// end the host process.
class sigpipe_blocked {
 public:
  sigpipe_blocked() noexcept {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    already_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &previous_);
  }
  ~sigpipe_blocked() {
    const int saved = errno;
    if (!already_pending_) {
      sigset_t pending;
      sigemptyset(&pending);
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE) == 1) {
        const timespec zero{};
        while (sigtimedwait(&pipe_, nullptr, &zero) < 0 && errno == EINTR) {
        }
      }
    }
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
    errno = saved;
  }
  sigpipe_blocked(const sigpipe_blocked&) = delete;
  sigpipe_blocked& operator=(const sigpipe_blocked&) = delete;

 private:
  sigset_t pipe_;
  sigset_t previous_;
  bool already_pending_ = false;
};

/// Whether the server is reachable, shared by a transport's connections. An outage begins with
/// the first failure of a connection opened since the last one began; every connection opened
/// before it is dropped on its next use (its socket may be dead). During an outage one
/// reconnect is allowed per backoff step; the first successful command ends it.
class link_state {
 public:
  explicit link_state(const redis_options& o) : options_(o) {}

  std::uint64_t epoch() const noexcept {
    std::lock_guard lock(mu_);
    return epoch_;
  }

  /// True when a connection may be opened now. During an outage only one caller per backoff
  /// step gets true (it takes the slot); the others fail fast.
  bool may_connect() noexcept {
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

  /// A connect or a command of a connection opened at `conn_epoch` failed. `what` names the
  /// command, `why` the cause.
  void failed(std::uint64_t conn_epoch, bool timeout, std::string_view what,
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

  /// A command got a reply: ends an outage.
  void succeeded() noexcept {
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

  bool available() const noexcept {
    std::lock_guard lock(mu_);
    return !down_;
  }

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
  reply_ptr command(const std::vector<std::string>& args, milliseconds extra = {}) noexcept {
    const std::string_view what =
        args.empty() ? std::string_view() : std::string_view(args.front());
    if (!ensure(what)) return nullptr;
    const milliseconds limit = options_.command_timeout.count() > 0
                                   ? options_.command_timeout + std::max(extra, milliseconds(0))
                                   : milliseconds(0);
    if (limit != applied_) {
      if (redisSetTimeout(ctx_, to_timeval(limit)) != REDIS_OK) {
        fail(what, false, "cannot set the socket timeout", limit);
        return nullptr;
      }
      applied_ = limit;
    }
    std::vector<const char*> argv;
    std::vector<std::size_t> lens;
    argv.reserve(args.size());
    lens.reserve(args.size());
    for (const std::string& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    const mono_clock::time_point start = mono_clock::now();
    redisReply* raw = nullptr;
    int saved_errno = 0;
    {
      const sigpipe_blocked no_sigpipe;
      errno = 0;
      raw = static_cast<redisReply*>(
          redisCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lens.data()));
      saved_errno = errno;
    }
    if (!raw) {
      // A blocking hiredis read that hits SO_RCVTIMEO fails with EAGAIN; the elapsed time
      // covers platforms that report it otherwise.
      const bool timeout =
          limit.count() > 0 && ctx_->err == REDIS_ERR_IO &&
          (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK ||
           mono_clock::now() - start >= limit - milliseconds(limit.count() / 10));
      if (timeout) link_.timeouts_.fetch_add(1, std::memory_order_relaxed);
      fail(what, timeout, ctx_->errstr, limit);
      return nullptr;
    }
    link_.succeeded();
    reply_ptr r(raw);
    if (r->type == REDIS_REPLY_ERROR) {
      // A group that already exists is expected on every start after the first; a missing one
      // (the server lost it) is handled by the caller.
      if (!is_error(r.get(), "BUSYGROUP") && !is_error(r.get(), "NOGROUP")) {
        const std::string_view text = as_view(r.get());
        reportf(severity::warning, "messaging.redis.failed", "redis %.*s at %s:%u: %.*s",
                static_cast<int>(what.size()), what.data(), options_.host.c_str(),
                static_cast<unsigned>(options_.port), static_cast<int>(text.size()),
                text.data());
      }
    }
    return r;
  }

 private:
  bool ensure(std::string_view what) noexcept {
    const std::uint64_t epoch = link_.epoch();
    if (ctx_ && epoch_ == epoch) return true;
    reset();  // opened before the current outage began: its socket may be dead
    if (!link_.may_connect()) return false;
    link_.connect_attempts_.fetch_add(1, std::memory_order_relaxed);
    epoch_ = epoch;
    ctx_ = redisConnectWithTimeout(options_.host.c_str(), options_.port,
                                   to_timeval(options_.connect_timeout));
    if (!ctx_ || ctx_->err) {
      const std::string why = ctx_ ? ctx_->errstr : "out of memory";
      reset();
      link_.failed(epoch, false, what, why, options_.connect_timeout);
      return false;
    }
    applied_ = milliseconds(-1);
    return true;
  }

  void fail(std::string_view what, bool timeout, std::string_view why,
            milliseconds limit) noexcept {
    std::string text;
    try {
      text = std::string(why);
    } catch (...) {
    }
    reset();
    link_.failed(epoch_, timeout, what, text, limit);
  }

  void reset() noexcept {
    if (ctx_) redisFree(ctx_);
    ctx_ = nullptr;
  }

  const redis_options& options_;
  link_state& link_;
  redisContext* ctx_ = nullptr;
  std::uint64_t epoch_ = 0;           // the link epoch when ctx_ was opened
  milliseconds applied_{-1};          // the socket timeout set on ctx_; -1: not set
};

/// Parses one stream entry `[id, [field, value, ...]]` into `m`; false when it is not one (a
/// nil for an entry deleted while pending).
bool parse_entry(const redisReply* entry, const std::string& destination, message& m) {
  if (!entry || entry->type != REDIS_REPLY_ARRAY || entry->elements < 2) return false;
  m.id = std::string(as_view(entry->element[0]));
  m.destination = destination;
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
  return true;
}

/// Where the claim scan of one destination stands.
struct claim_cursor {
  std::string next = "0-0";
  mono_clock::time_point not_before{};
};

}  // namespace

struct redis_streams::impl {
  explicit impl(redis_options o)
      : options(std::move(o)), link(options), writer(options, link), reader(options, link) {}

  bool grouped() const noexcept { return !options.group.empty(); }

  /// Creates the consumer group of `destination` once (MKSTREAM). Needs writer_mu.
  void ensure_group(const std::string& destination) {
    if (!grouped() || groups.count(destination)) return;
    reply_ptr r = writer.command(
        {"XGROUP", "CREATE", destination, options.group, options.start_id, "MKSTREAM"});
    if (r && (r->type != REDIS_REPLY_ERROR || is_error(r.get(), "BUSYGROUP")))
      groups.insert(destination);
  }

  /// Result of one read under reader_mu.
  enum class read_result { done, no_group };

  /// Claims idle pending entries of `destination` (XAUTOCLAIM). Needs reader_mu.
  read_result claim(const std::string& destination, std::size_t max, std::vector<message>& out) {
    if (options.claim_idle.count() <= 0 || !claim_supported) return read_result::done;
    claim_cursor& cursor = claim_cursors[destination];
    const mono_clock::time_point now = mono_clock::now();
    if (cursor.next == "0-0" && now < cursor.not_before) return read_result::done;
    reply_ptr r = reader.command({"XAUTOCLAIM", destination, options.group,
                                  options.consumer_name,
                                  std::to_string(options.claim_idle.count()), cursor.next,
                                  "COUNT", std::to_string(max)});
    if (!r) return read_result::done;
    if (is_error(r.get(), "NOGROUP")) return read_result::no_group;
    if (is_error(r.get(), "ERR unknown command")) {
      claim_supported = false;  // Redis before 6.2
      report(severity::warning, "messaging.redis.claim_unsupported",
             "redis XAUTOCLAIM is not supported by this server (Redis 6.2+); pending messages "
             "of dead consumers are not claimed");
      return read_result::done;
    }
    // Shape: [next cursor, [[id, [field, value, ...]], ...], [deleted ids...] (Redis 7)].
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 2) return read_result::done;
    cursor.next = std::string(as_view(r->element[0]));
    if (cursor.next.empty()) cursor.next = "0-0";
    const redisReply* entries = r->element[1];
    if (entries->type == REDIS_REPLY_ARRAY) {
      for (std::size_t i = 0; i < entries->elements; ++i) {
        message m;
        if (!parse_entry(entries->element[i], destination, m)) continue;
        m.redelivered = true;
        out.push_back(std::move(m));
      }
    }
    claimed.fetch_add(out.size(), std::memory_order_relaxed);
    // A complete scan that found nothing: look again after a fraction of the idle time.
    if (cursor.next == "0-0" && out.empty())
      cursor.not_before = now + std::min(options.claim_idle / 4, milliseconds(1000));
    return read_result::done;
  }

  /// XREAD / XREADGROUP of `destination`. Needs reader_mu.
  read_result read(const std::string& destination, std::size_t max, milliseconds wait,
                   std::vector<message>& out) {
    std::vector<std::string> args;
    if (grouped()) {
      args = {"XREADGROUP", "GROUP", options.group, options.consumer_name,
              "COUNT", std::to_string(max)};
    } else {
      args = {"XREAD", "COUNT", std::to_string(max)};
    }
    if (wait.count() > 0) {
      args.emplace_back("BLOCK");
      args.push_back(std::to_string(wait.count()));
    }
    args.emplace_back("STREAMS");
    args.push_back(destination);
    if (grouped()) {
      args.emplace_back(">");
    } else {
      auto it = last_ids.find(destination);
      args.push_back(it == last_ids.end() ? options.start_id : it->second);
    }
    reply_ptr r = reader.command(args, wait.count() > 0 ? wait : milliseconds(0));
    if (is_error(r.get(), "NOGROUP")) return read_result::no_group;
    // Shape: [[stream, [[id, [field, value, ...]], ...]]], or nil on timeout.
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements == 0) return read_result::done;
    const redisReply* stream = r->element[0];
    if (stream->type != REDIS_REPLY_ARRAY || stream->elements < 2) return read_result::done;
    const redisReply* entries = stream->element[1];
    if (entries->type != REDIS_REPLY_ARRAY) return read_result::done;
    for (std::size_t i = 0; i < entries->elements; ++i) {
      message m;
      if (!parse_entry(entries->element[i], destination, m)) continue;
      if (!grouped()) last_ids[destination] = m.id;
      out.push_back(std::move(m));
    }
    return read_result::done;
  }

  redis_options options;
  link_state link;
  std::mutex writer_mu;
  connection writer;                // guarded by writer_mu
  std::set<std::string> groups;     // guarded by writer_mu
  std::mutex reader_mu;
  connection reader;                // guarded by reader_mu
  std::map<std::string, std::string> last_ids;        // guarded by reader_mu (plain XREAD)
  std::map<std::string, claim_cursor> claim_cursors;  // guarded by reader_mu
  bool claim_supported = true;                        // guarded by reader_mu
  std::atomic<std::uint64_t> claimed{0};
};

redis_streams::redis_streams(redis_options options)
    : impl_(std::make_unique<impl>(std::move(options))) {}

redis_streams::~redis_streams() = default;

std::string_view redis_streams::server_address() const noexcept { return impl_->options.host; }
std::uint16_t redis_streams::server_port() const noexcept { return impl_->options.port; }

bool redis_streams::ping() noexcept {
  try {
    std::lock_guard lock(impl_->writer_mu);
    reply_ptr r = impl_->writer.command({"PING"});
    return r && as_view(r.get()) == "PONG";
  } catch (...) {
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
  } catch (...) {
    report(severity::error, "messaging.redis.failed", "redis fetch: out of memory");
  }
  return out;
}

void redis_streams::acknowledge(const message& m) noexcept {
  if (!impl_->grouped()) return;
  try {
    std::lock_guard lock(impl_->writer_mu);
    (void)impl_->writer.command({"XACK", m.destination, impl_->options.group, m.id});
  } catch (...) {
    report(severity::error, "messaging.redis.failed", "redis XACK: out of memory");
  }
}

}  // namespace ctxflow::integrations::messaging
