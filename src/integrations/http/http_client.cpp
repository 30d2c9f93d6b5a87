// SPDX-License-Identifier: Apache-2.0
// http_client: Beast over a pool of keep-alive TCP and TLS (OpenSSL) connections; one CLIENT span
// per attempt with the semantic-convention name and attributes, the context injected into the
// request (R9.1, R9.2, R9.5).
//
// How a send() runs: the awaiting coroutine spawns the request as a coroutine of its own on a
// fresh strand of the client's executor (with the caller's context) and waits for it. On that
// strand one steady_timer holds the send()'s deadline, and every socket, TLS and resolver wait is
// bound to one cancellation_signal. The timer's handler, the caller's cancellation (forwarded
// from the caller's cancellation slot by a post to the strand) and the request's own steps all
// run on that strand, so whichever comes first cancels the pending operation through the signal
// and the others see it: nothing closes a socket from another thread.
#include "ctxflow/integrations/http/http_client.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <exception>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <tuple>
#include <utility>
#include <vector>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "ctxflow/context/context.hpp"
#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/integrations/asio/co_spawn.hpp"
#include "ctxflow/integrations/http/beast_fields.hpp"
#include "ctxflow/propagation/global.hpp"
#include "ctxflow/trace/span.hpp"
#include "integrations/http/semconv.hpp"

namespace ctxflow::http {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
using tcp = net::ip::tcp;
using boost::system::error_code;

namespace {

/// A pooled connection: a TCP socket, or a TLS stream over one.
struct connection {
  explicit connection(const net::any_io_executor& ex) : plain(std::in_place, ex) {}
  connection(const net::any_io_executor& ex, ssl::context& ctx) : tls(std::in_place, ex, ctx) {}
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  tcp::socket& socket() { return tls ? tls->next_layer() : *plain; }
  void close() noexcept {
    error_code ignored;
    socket().shutdown(tcp::socket::shutdown_both, ignored);
    socket().close(ignored);
  }

  std::optional<tcp::socket> plain;
  std::optional<ssl::stream<tcp::socket>> tls;
  beast::flat_buffer buffer;
  /// What the certificate verification found wrong (filled during the handshake).
  int verify_error = X509_V_OK;
  int verify_depth = 0;
  bool host_mismatch = false;
  std::string verify_subject;
};

/// (tls, host, port): TLS and plain connections to the same address are never mixed.
using peer_key = std::tuple<bool, std::string, std::uint16_t>;

/// A send() failure with its `error.type` (R9.5). Thrown to the caller as a system_error.
class transport_failure : public boost::system::system_error {
 public:
  transport_failure(error_code ec, const std::string& what, std::string_view type)
      : boost::system::system_error(ec, what), type_(type) {}
  std::string_view type() const noexcept { return type_; }

 private:
  std::string_view type_;  // a literal
};

bool is_http_error(const error_code& ec) noexcept {
  return ec.category() == beast::http::make_error_code(beast::http::error::bad_version).category();
}

/// A low-cardinality `error.type` for a transport failure (R9.5).
std::string_view error_type_of(const error_code& ec) noexcept {
  if (ec == net::error::timed_out || ec == beast::error::timeout) return "timeout";
  if (ec == net::error::operation_aborted) return "cancelled";
  if (ec == net::error::connection_refused) return "connection_refused";
  if (ec == net::error::connection_reset || ec == net::error::broken_pipe) return "connection_reset";
  if (ec == net::error::eof || ec == beast::http::error::end_of_stream ||
      ec == beast::http::error::partial_message || ec == ssl::error::stream_truncated)
    return "connection_closed";
  if (ec == net::error::host_not_found || ec == net::error::host_not_found_try_again)
    return "host_not_found";
  if (ec == beast::http::error::body_limit || ec == beast::http::error::header_limit ||
      ec == beast::http::error::buffer_overflow)
    return "response_too_large";
  if (is_http_error(ec)) return "invalid_response";
  return "transport_error";
}

/// A failure of a reused connection that the peer closed while it sat in the pool.
bool is_stale(const error_code& ec) noexcept {
  return ec == net::error::eof || ec == beast::http::error::end_of_stream ||
         ec == net::error::connection_reset || ec == net::error::broken_pipe ||
         ec == net::error::connection_aborted || ec == ssl::error::stream_truncated;
}

enum class stop_reason : std::uint8_t { none, deadline, cancelled };

/// The deadline and cancellation of one send(). Everything in it is used on `strand` only.
struct control {
  control(net::any_io_executor s, std::string peer_name, std::chrono::milliseconds limit)
      : strand(std::move(s)),
        deadline_timer(strand),
        resolve_wait(strand),
        peer(std::move(peer_name)),
        timeout(limit) {}

  /// Cancels the pending operation, once; later steps see `reason`.
  void stop(stop_reason r) {
    if (finished || reason != stop_reason::none) return;
    reason = r;
    signal.emit(net::cancellation_type::terminal);
  }

  /// The completion token of every operation of the send: cancelled through `signal`, errors
  /// into `ec`.
  auto token(error_code& ec) {
    return net::bind_cancellation_slot(signal.slot(),
                                       net::redirect_error(net::use_awaitable, ec));
  }

  /// Throws when the send was stopped: by its deadline (`timed_out`) or by the caller
  /// (`operation_aborted`).
  void check(std::string_view phase) const {
    if (reason == stop_reason::deadline)
      throw transport_failure(net::error::timed_out,
                              "ctxflow::http::http_client: the deadline of " +
                                  std::to_string(timeout.count()) + " ms passed while " +
                                  std::string(phase) + " (" + peer + ")",
                              "timeout");
    if (reason == stop_reason::cancelled)
      throw transport_failure(net::error::operation_aborted,
                              "ctxflow::http::http_client: send() was cancelled while " +
                                  std::string(phase) + " (" + peer + ")",
                              "cancelled");
  }

  /// After an operation: forgets its cancellation handler (the operation is over), then throws
  /// when the send was stopped or the operation failed.
  void settle(const error_code& ec, std::string_view phase) {
    signal.slot().clear();
    check(phase);
    if (ec)
      throw transport_failure(
          ec, "ctxflow::http::http_client: " + std::string(phase) + " (" + peer + ") failed",
          error_type_of(ec));
  }

  net::any_io_executor strand;
  net::steady_timer deadline_timer;
  /// What a send() waits on while a name resolves (resolvers have no per-operation
  /// cancellation, so the wait is what gets cancelled).
  net::steady_timer resolve_wait;
  net::cancellation_signal signal;
  std::string peer;  // "host:port", for messages
  std::chrono::milliseconds timeout;
  stop_reason reason = stop_reason::none;
  bool finished = false;
};

/// Sits in the awaiting coroutine's cancellation slot while the request runs; moves the
/// cancellation onto the request's strand.
struct cancel_forwarder {
  std::shared_ptr<control> ctl;
  void operator()(net::cancellation_type type) const {
    if (type == net::cancellation_type::none) return;
    net::post(ctl->strand, [c = ctl] { c->stop(stop_reason::cancelled); });
  }
};

/// Ends the send's control on every way out of the request coroutine.
struct control_guard {
  explicit control_guard(control& c) : ctl(c) {}
  control_guard(const control_guard&) = delete;
  control_guard& operator=(const control_guard&) = delete;
  ~control_guard() {
    ctl.finished = true;
    ctl.signal.slot().clear();
    try {
      ctl.deadline_timer.cancel();
    } catch (...) {  // cancelling a timer does not fail in practice; nothing to do if it did
    }
  }
  control& ctl;
};

/// The result of a name resolution, filled on the strand when it completes.
struct resolve_result {
  error_code ec;
  tcp::resolver::results_type endpoints;
  bool done = false;
};

}  // namespace

struct http_client::impl {
  impl(net::any_io_executor e, client_options o) : ex(std::move(e)), options(std::move(o)) {}

  std::unique_ptr<connection> take(const peer_key& key) {
    std::lock_guard lock(mu);
    auto it = idle.find(key);
    while (it != idle.end() && !it->second.empty()) {
      std::unique_ptr<connection> c = std::move(it->second.back());
      it->second.pop_back();
      if (c->socket().is_open()) return c;
    }
    return nullptr;
  }
  void give_back(const peer_key& key, std::unique_ptr<connection> c) {
    std::lock_guard lock(mu);
    auto& list = idle[key];
    if (list.size() < options.max_idle_per_peer) list.push_back(std::move(c));
  }

  /// The TLS context, made on first use (loading the system store takes a few milliseconds).
  /// Throws transport_failure when the CA file cannot be loaded.
  ssl::context& tls_context() {
    std::call_once(tls_once, [this] {
      auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
      SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
      error_code ec;
      if (options.ca_file.empty())
        ctx->set_default_verify_paths(ec);
      else
        ctx->load_verify_file(options.ca_file, ec);
      if (ec) {
        tls_error = ec;
        tls_error_what = "ctxflow::http::http_client: cannot load ";
        tls_error_what += options.ca_file.empty() ? std::string("the system CA store")
                                                  : "the CA file '" + options.ca_file + "'";
        reportf(severity::error, "http.client.tls_ca_failed", "%s: %s", tls_error_what.c_str(),
                ec.message().c_str());
      }
      ctx->set_verify_mode(options.verify_peer ? ssl::verify_peer : ssl::verify_none, ec);
      tls_ctx = std::move(ctx);
    });
    if (tls_error) throw transport_failure(tls_error, tls_error_what, "tls_configuration");
    return *tls_ctx;
  }

  net::any_io_executor ex;
  client_options options;
  mutable std::mutex mu;
  std::map<peer_key, std::vector<std::unique_ptr<connection>>> idle;  // guarded by mu
  std::atomic<std::size_t> opened{0};

  std::once_flag tls_once;
  std::unique_ptr<ssl::context> tls_ctx;  // set once, under tls_once
  error_code tls_error;
  std::string tls_error_what;
};

http_client::http_client(net::any_io_executor ex, client_options options)
    : impl_(std::make_shared<impl>(asio_integration::unwrap_executor(ex), std::move(options))) {}

http_client::~http_client() { close_idle(); }

std::size_t http_client::idle_connections() const {
  std::lock_guard lock(impl_->mu);
  std::size_t n = 0;
  for (const auto& [key, list] : impl_->idle) n += list.size();
  return n;
}

std::size_t http_client::connections_opened() const {
  return impl_->opened.load(std::memory_order_relaxed);
}

void http_client::close_idle() {
  std::map<peer_key, std::vector<std::unique_ptr<connection>>> drop;
  {
    std::lock_guard lock(impl_->mu);
    drop.swap(impl_->idle);
  }
  for (auto& [key, list] : drop)
    for (auto& c : list) c->close();
}

net::awaitable<response> http_client::send(std::string_view url, request req,
                                           send_options options) {
  constexpr std::string_view https = "https://";
  const bool tls = url.substr(0, https.size()) == https;
  std::optional<detail::parsed_url> parsed;
  if (tls) {
    // The authority's own port, if any: the part after the last ':' outside an IPv6 literal.
    const std::string_view rest = url.substr(https.size());
    const std::string_view authority = rest.substr(0, rest.find_first_of("/?"));
    const bool has_port = authority.find(']') == std::string_view::npos
                              ? authority.find(':') != std::string_view::npos
                              : authority.rfind(':') > authority.rfind(']');
    parsed = detail::parse_http_url("http://" + std::string(rest));
    if (parsed && !has_port) parsed->port = 443;
  } else {
    parsed = detail::parse_http_url(url);
  }
  if (!parsed)
    throw std::invalid_argument("ctxflow::http::http_client: not an http:// or https:// URL");
  req.target = parsed->target;
  options.tls = tls;
  return send(std::move(parsed->host), parsed->port, std::move(req), std::move(options));
}

namespace {
/// The arguments of one send(), kept together on the heap for the coroutines.
struct send_state {
  std::string host;
  std::uint16_t port;
  request req;
  send_options options;
};

net::awaitable<response> send_on_strand(std::shared_ptr<http_client::impl> self,
                                        std::shared_ptr<send_state> state);
}  // namespace

net::awaitable<response> http_client::send(std::string host, std::uint16_t port, request req,
                                           send_options options) {
  auto state = std::make_shared<send_state>(
      send_state{std::move(host), port, std::move(req), std::move(options)});
  return send_on_strand(impl_, std::move(state));
}

namespace {

/// Writes the request and reads the response on `stream`, each step under the send's control.
template <class Stream>
net::awaitable<void> exchange(Stream& stream, beast::flat_buffer& buffer,
                              detail::beast_request& breq,
                              beast::http::response_parser<beast::http::string_body>& parser,
                              control& ctl, bool& response_started) {
  error_code ec;
  ctl.check("writing the request");
  co_await beast::http::async_write(stream, breq, ctl.token(ec));
  ctl.settle(ec, "writing the request");
  co_await beast::http::async_read_header(stream, buffer, parser, ctl.token(ec));
  ctl.settle(ec, "reading the response head");
  response_started = true;
  if (!parser.is_done()) {
    co_await beast::http::async_read(stream, buffer, parser, ctl.token(ec));
    ctl.settle(ec, "reading the response body");
  }
}

/// The host's endpoints: the address itself, or a resolution that the deadline and the
/// caller's cancellation can abandon (the resolver finishes in the background).
net::awaitable<tcp::resolver::results_type> resolve(const std::string& host, std::uint16_t port,
                                                    const std::shared_ptr<control>& ctl) {
  auto result = std::make_shared<resolve_result>();
  tcp::resolver resolver(ctl->strand);
  ctl->check("resolving the host name");
  resolver.async_resolve(host, std::to_string(port),
                         [result, c = ctl](const error_code& ec,
                                           tcp::resolver::results_type endpoints) {
                           result->ec = ec;
                           result->endpoints = std::move(endpoints);
                           result->done = true;
                           c->resolve_wait.cancel();
                         });
  // The handler runs on the strand, so it cannot run before this wait is in place.
  error_code ec;
  ctl->resolve_wait.expires_at(std::chrono::steady_clock::time_point::max());
  co_await ctl->resolve_wait.async_wait(ctl->token(ec));
  ctl->signal.slot().clear();
  ctl->check("resolving the host name");
  if (!result->done)  // not reached: the wait ends by the resolution or by a stop
    throw transport_failure(net::error::operation_aborted,
                            "ctxflow::http::http_client: resolving " + host + " was interrupted",
                            "transport_error");
  if (result->ec)
    throw transport_failure(result->ec,
                            "ctxflow::http::http_client: resolving " + host + " failed",
                            error_type_of(result->ec));
  co_return result->endpoints;
}

/// The message of a failed TLS handshake: what the certificate check found, or the handshake
/// error.
transport_failure handshake_failure(const connection& conn, const error_code& ec,
                                    const std::string& host, const std::string& peer) {
  std::string what = "ctxflow::http::http_client: TLS handshake with " + peer + " failed";
  if (conn.verify_error != X509_V_OK) {
    what += ": certificate verification failed: ";
    what += X509_verify_cert_error_string(conn.verify_error);
    what += " (depth " + std::to_string(conn.verify_depth) + ", subject " + conn.verify_subject +
            ")";
    return transport_failure(ec, what, "certificate");
  }
  if (conn.host_mismatch) {
    what += ": the certificate (subject " + conn.verify_subject + ") is not valid for '" + host +
            "'";
    return transport_failure(ec, what, "certificate");
  }
  return transport_failure(ec, what, "tls_handshake");
}

/// A new connection to the peer: resolve (names only), connect, and for TLS the handshake with
/// SNI and certificate verification.
net::awaitable<std::unique_ptr<connection>> open_connection(http_client::impl& self,
                                                            const send_state& state,
                                                            const std::shared_ptr<control>& ctl) {
  const std::string& host = state.host;
  std::unique_ptr<connection> conn;
  if (state.options.tls)
    conn = std::make_unique<connection>(self.ex, self.tls_context());
  else
    conn = std::make_unique<connection>(self.ex);

  error_code ec;
  error_code parse_error;
  const auto address = net::ip::make_address(host, parse_error);
  if (!parse_error) {
    ctl->check("connecting");
    co_await conn->socket().async_connect(tcp::endpoint(address, state.port), ctl->token(ec));
    ctl->settle(ec, "connecting");
  } else {
    const auto endpoints = co_await resolve(host, state.port, ctl);
    ctl->check("connecting");
    co_await net::async_connect(conn->socket(), endpoints, ctl->token(ec));
    ctl->settle(ec, "connecting");
  }
  self.opened.fetch_add(1, std::memory_order_relaxed);
  {
    error_code ignored;
    conn->socket().set_option(tcp::no_delay(true), ignored);
  }

  if (conn->tls) {
    SSL* native = conn->tls->native_handle();
    // SNI carries names only, never address literals (RFC 6066).
    if (parse_error) SSL_set_tlsext_host_name(native, host.c_str());
    if (self.options.verify_peer) {
      conn->tls->set_verify_callback(
          [c = conn.get(), check = ssl::host_name_verification(host)](
              bool preverified, ssl::verify_context& vc) {
            X509_STORE_CTX* store = vc.native_handle();
            auto subject = [&] {
              char name[256] = {};
              if (X509* cert = X509_STORE_CTX_get_current_cert(store))
                X509_NAME_oneline(X509_get_subject_name(cert), name, sizeof name);
              return std::string(name);
            };
            if (!preverified) {
              if (c->verify_error == X509_V_OK) {
                c->verify_error = X509_STORE_CTX_get_error(store);
                c->verify_depth = X509_STORE_CTX_get_error_depth(store);
                c->verify_subject = subject();
              }
              return false;
            }
            const bool ok = check(preverified, vc);
            if (!ok && !c->host_mismatch) {
              c->host_mismatch = true;
              c->verify_subject = subject();
            }
            return ok;
          });
    }
    ctl->check("the TLS handshake");
    co_await conn->tls->async_handshake(ssl::stream_base::client, ctl->token(ec));
    ctl->signal.slot().clear();
    ctl->check("the TLS handshake");
    if (ec) {
      auto failure = handshake_failure(*conn, ec, host, ctl->peer);
      reportf(severity::warning, "http.client.tls_failed", "%s: %s", failure.what(),
              ec.message().c_str());
      throw failure;
    }
  }
  co_return conn;
}

net::awaitable<response> send_attempts(std::shared_ptr<http_client::impl> self,
                                       std::shared_ptr<send_state> state,
                                       std::shared_ptr<control> ctl) {
  control_guard guard(*ctl);
  if (ctl->timeout.count() > 0) {
    ctl->deadline_timer.expires_after(ctl->timeout);
    ctl->deadline_timer.async_wait([c = ctl](const error_code& ec) {
      if (!ec) c->stop(stop_reason::deadline);
    });
  }

  const std::string& host = state->host;
  const std::uint16_t port = state->port;
  request& req = state->req;
  const send_options& options = state->options;
  const bool tls = options.tls;
  const peer_key key{tls, host, port};
  const bool known = detail::is_known_method(req.method);
  const std::string name = detail::span_name(req.method, options.url_template);
  std::string url = detail::full_url(host, port, req.target);
  if (tls) url.insert(4, "s");  // "http://" -> "https://"

  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<connection> conn = self->take(key);
    const bool reused = conn != nullptr;

    // Attributes known before the request is sent go in at start, for samplers (R9.2).
    std::vector<trace::attribute_kv> start_attributes = {
        {detail::attr::request_method, known ? std::string_view(req.method) : "_OTHER"},
        {detail::attr::server_address, std::string_view(host)},
        {detail::attr::server_port, static_cast<std::int64_t>(port)},
        {detail::attr::url_full, std::string_view(url)},
        {detail::attr::protocol_version, "1.1"},
    };
    if (!known) start_attributes.push_back({detail::attr::request_method_original, req.method});
    if (attempt > 0)
      start_attributes.push_back({detail::attr::resend_count, static_cast<std::int64_t>(attempt)});
    trace::start_options so;
    so.kind = trace::span_kind::client;
    so.attributes = start_attributes;
    trace::span_guard span(self->options.tracer.start_span(name, so));

    error_code failure;
    std::string_view failure_type;
    std::exception_ptr failure_exception;
    bool response_started = false;
    response out;
    try {
      if (!conn) conn = co_await open_connection(*self, *state, ctl);

      detail::beast_request breq;
      const auto verb = beast::http::string_to_verb(req.method);
      if (verb == beast::http::verb::unknown)
        breq.method_string(req.method);
      else
        breq.method(verb);
      breq.target(req.target);
      breq.version(11);
      for (const auto& [n, v] : req.headers) breq.insert(n, v);
      if (breq.find(beast::http::field::host) == breq.end())
        breq.set(beast::http::field::host, host + ":" + std::to_string(port));
      breq.body() = req.body;  // copied: a second attempt sends it again
      breq.prepare_payload();
      breq.keep_alive(true);
      // The current context with this attempt's span, into the headers (R9.2).
      propagation::inject(*propagation::global_propagator(),
                          trace::context_with_span(ctxflow::context::current(), span.get()), breq,
                          beast_fields_text_map{});

      beast::http::response_parser<beast::http::string_body> parser;
      parser.body_limit(static_cast<std::uint64_t>(self->options.max_response_body));
      parser.header_limit(static_cast<std::uint32_t>(
          std::min<std::size_t>(self->options.max_response_head,
                                std::numeric_limits<std::uint32_t>::max())));
      if (verb == beast::http::verb::head) parser.skip(true);  // a HEAD response has no body
      if (conn->tls)
        co_await exchange(*conn->tls, conn->buffer, breq, parser, *ctl, response_started);
      else
        co_await exchange(*conn->plain, conn->buffer, breq, parser, *ctl, response_started);
      detail::beast_response bres = parser.release();

      out.status = static_cast<int>(bres.result_int());
      for (const auto& field : bres)
        out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
      out.body = std::move(bres.body());
      if (bres.keep_alive())
        self->give_back(key, std::move(conn));
      else
        conn->close();
    } catch (const transport_failure& e) {
      failure = e.code();
      failure_type = e.type();
      failure_exception = std::current_exception();
    } catch (const boost::system::system_error& e) {
      failure = e.code() ? e.code() : make_error_code(net::error::fault);
      failure_type = error_type_of(failure);
      failure_exception = std::current_exception();
    }

    if (failure_exception) {
      if (conn) conn->close();  // a failed connection is never pooled
      // A pooled connection the peer had closed: try once more on a fresh one (a new attempt).
      const bool retry = reused && attempt == 0 && !response_started && is_stale(failure) &&
                         ctl->reason == stop_reason::none;
      span->set_attribute(detail::attr::error_type, failure_type);
      try {
        std::rethrow_exception(failure_exception);
      } catch (const std::exception& e) {
        span->set_status(trace::status_code::error, e.what());
        if (failure_type == "response_too_large")
          reportf(severity::warning, "http.client.response_too_large",
                  "%s (limits: head %zu bytes, body %zu bytes)", e.what(),
                  self->options.max_response_head, self->options.max_response_body);
        else if (failure_type == "invalid_response")
          reportf(severity::warning, "http.client.invalid_response", "%s", e.what());
      }
      if (retry) continue;
      std::rethrow_exception(failure_exception);
    }

    span->set_attribute(detail::attr::response_status_code, static_cast<std::int64_t>(out.status));
    if (out.status >= 400) {  // client spans: 4xx and 5xx are errors (R9.5)
      const std::string code = std::to_string(out.status);
      span->set_attribute(detail::attr::error_type, std::string_view(code));
      span->set_status(trace::status_code::error);
    }
    co_return out;
  }
}

/// The outcome of send_attempts() as a value. A failure crosses from the request's strand to the
/// awaiting coroutine as an error code and a message, and is thrown again there: an exception
/// object handed between threads through std::exception_ptr is ordered only by the C++ runtime's
/// reference count, which ThreadSanitizer cannot see, so every such hand-off reads as a race.
struct send_result {
  std::optional<response> res;
  error_code ec;
  std::string what;
};

/// A failure thrown again on the awaiting coroutine's thread, with the original message.
class send_failure : public boost::system::system_error {
 public:
  send_failure(error_code ec, std::string what)
      : boost::system::system_error(ec), what_(std::move(what)) {}
  const char* what() const noexcept override { return what_.c_str(); }

 private:
  std::string what_;
};

net::awaitable<send_result> send_attempts_as_value(std::shared_ptr<http_client::impl> self,
                                                   std::shared_ptr<send_state> state,
                                                   std::shared_ptr<control> ctl) {
  send_result out;
  try {
    out.res = co_await send_attempts(std::move(self), std::move(state), std::move(ctl));
  } catch (const boost::system::system_error& e) {
    out.ec = e.code() ? e.code() : make_error_code(net::error::fault);
    out.what = e.what();
  } catch (const std::exception& e) {
    out.ec = make_error_code(net::error::fault);
    out.what = e.what();
  }
  co_return out;
}

net::awaitable<response> send_on_strand(std::shared_ptr<http_client::impl> self,
                                        std::shared_ptr<send_state> state) {
  const std::chrono::milliseconds timeout =
      state->options.timeout.value_or(self->options.timeout);
  auto ctl = std::make_shared<control>(net::make_strand(self->ex),
                                       state->host + ":" + std::to_string(state->port), timeout);

  // The awaiting coroutine's cancellation reaches the request through its strand. A coroutine
  // cancelled already fails here, without sending.
  net::cancellation_state cancellation = co_await net::this_coro::cancellation_state;
  if (cancellation.cancelled() != net::cancellation_type::none)
    throw boost::system::system_error(net::error::operation_aborted,
                                      "ctxflow::http::http_client: send() was cancelled");
  if (cancellation.slot().is_connected()) cancellation.slot().assign(cancel_forwarder{ctl});

  // The request runs as a coroutine of its own on the strand, with the current context. Its
  // completion does not carry the caller's slot (the forwarder above stands in for it); the
  // awaiting coroutine's slot is cleared when this co_await resumes.
  send_result result = co_await asio_integration::co_spawn(
      ctl->strand, send_attempts_as_value(std::move(self), std::move(state), ctl),
      net::bind_cancellation_slot(net::cancellation_slot(), net::use_awaitable));
  if (!result.res) throw send_failure(result.ec, std::move(result.what));
  co_return std::move(*result.res);
}

}  // namespace

}  // namespace ctxflow::http
