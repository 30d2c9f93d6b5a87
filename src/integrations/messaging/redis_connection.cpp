// SPDX-License-Identifier: Apache-2.0
// redis_streams: the command layer. Each command runs with a reply deadline (the command timeout,
// plus the BLOCK wait of a blocking read), with SIGPIPE blocked, and a connection-level failure
// drops the connection and goes to the link state, which paces the reconnect.
#include "integrations/messaging/redis_connection.hpp"

#include <pthread.h>
#include <signal.h>
#include <sys/time.h>
#include <time.h>

#include <algorithm>
#include <cerrno>

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/macros.hpp"

namespace ctxflow::integrations::messaging::detail {

namespace {

timeval to_timeval(milliseconds d) noexcept {
  timeval tv{};
  tv.tv_sec = static_cast<decltype(tv.tv_sec)>(d.count() / 1000);
  tv.tv_usec = static_cast<decltype(tv.tv_usec)>((d.count() % 1000) * 1000);
  return tv;
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

}  // namespace

reply_ptr connection::command(const std::vector<std::string>& args, milliseconds extra) noexcept {
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

bool connection::ensure(std::string_view what) noexcept {
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

void connection::fail(std::string_view what, bool timeout, std::string_view why,
          milliseconds limit) noexcept {
  std::string text;
  CTXFLOW_TRY {
    text = std::string(why);
  } CTXFLOW_CATCH_ALL {
  }
  reset();
  link_.failed(epoch_, timeout, what, text, limit);
}

void connection::reset() noexcept {
  if (ctx_) redisFree(ctx_);
  ctx_ = nullptr;
}
}  // namespace ctxflow::integrations::messaging::detail
