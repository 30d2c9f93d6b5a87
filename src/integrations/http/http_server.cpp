// SPDX-License-Identifier: Apache-2.0
// http_server: a Beast accept loop with back-off and a connection bound, and one coroutine per
// connection (asio_integration::co_spawn on a strand, starting from the empty context, with a
// cancellation signal of its own); each request is read under head/body limits and deadlines
// and served with the whole extracted context current, inside a SERVER span (R9.3, R9.5).
#include "ctxflow/integrations/http/http_server.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <exception>
#include <limits>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "ctxflow/context/context.hpp"
#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/context/scope.hpp"
#include "ctxflow/integrations/asio/co_spawn.hpp"
#include "ctxflow/integrations/http/beast_fields.hpp"
#include "ctxflow/propagation/global.hpp"
#include "ctxflow/trace/span.hpp"
#include "integrations/http/semconv.hpp"

namespace ctxflow::http {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

std::size_t default_max_connections() noexcept {
  constexpr rlim_t cap = rlim_t{1} << 20;
  rlimit limit{};
  rlim_t soft = 1024;
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) soft = limit.rlim_cur;
  if (soft == RLIM_INFINITY || soft > cap) soft = cap;
  const rlim_t reserve = std::max<rlim_t>(32, soft / 4);
  return soft > reserve ? static_cast<std::size_t>(soft - reserve) : std::size_t{1};
}

namespace {

using strand_type = net::strand<net::any_io_executor>;
using clock = std::chrono::steady_clock;

/// Where a connection's coroutine is; shutdown() closes the `idle` ones at once.
enum class phase : std::uint8_t { idle, reading, handling };

/// One accepted connection. Its socket, `stage`, `finished` and `cancel` are only touched on
/// its strand (the connection's coroutine, shutdown(), stop() and the drain all run there).
struct connection_state {
  connection_state(strand_type st, tcp::socket s) : strand(std::move(st)), stream(std::move(s)) {}
  strand_type strand;
  beast::tcp_stream stream;
  /// Bound to the coroutine's completion token: terminal cancellation reaches the handler and
  /// the operation it awaits.
  net::cancellation_signal cancel;
  phase stage = phase::idle;
  bool finished = false;
  void close() noexcept {
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.socket().close(ignored);
  }
  /// Cancels the coroutine (terminal) and closes the socket, unless it has already finished.
  void abort() noexcept {
    if (finished) return;
    cancel.emit(net::cancellation_type::terminal);
    close();
  }
};

/// `timeout` from now, or never for zero or less.
void set_deadline(beast::tcp_stream& stream, std::chrono::milliseconds timeout) {
  if (timeout.count() > 0) {
    stream.expires_after(timeout);
  } else {
    stream.expires_never();
  }
}

/// Parser errors that mean the peer went away (or the read was ended), not a bad request.
bool is_disconnect(const boost::system::error_code& ec) {
  namespace http = beast::http;
  return ec == http::error::end_of_stream || ec == http::error::partial_message ||
         ec == http::error::short_read || ec == http::error::need_more ||
         ec == http::error::stale_parser || ec == http::error::need_buffer;
}

/// The answer to a request that fails its read, or 0 to close without one.
unsigned status_for_read_error(const boost::system::error_code& ec) {
  namespace http = beast::http;
  if (ec == http::error::header_limit) return 431;
  if (ec == http::error::body_limit) return 413;
  if (ec == http::error::buffer_overflow) return 431;
  if (ec.category() == beast::http::make_error_code(http::error::bad_method).category() &&
      !is_disconnect(ec))
    return 400;
  return 0;
}

/// Accept failures that concern one peer only; the next accept may succeed at once.
bool is_peer_failure(const boost::system::error_code& ec) {
  return ec == net::error::connection_aborted || ec == net::error::connection_reset ||
         ec == net::error::would_block || ec == net::error::try_again ||
         ec.value() == EPROTO || ec.value() == EPERM || ec.value() == EINTR;
}

constexpr std::size_t linger_bytes = 256 * 1024;
constexpr std::chrono::milliseconds linger_time{1000};
constexpr std::chrono::milliseconds first_backoff{10};
constexpr std::chrono::milliseconds last_backoff{1000};
constexpr auto report_interval = std::chrono::minutes(1);

}  // namespace

struct http_server::impl {
  impl(net::any_io_executor e, request_handler h, server_options o)
      : ex(asio_integration::unwrap_executor(e)),
        handler(std::move(h)),
        options(std::move(o)),
        max_connections(options.max_connections ? options.max_connections
                                                : default_max_connections()),
        acceptor_strand(net::make_strand(ex)),
        acceptor(acceptor_strand),
        backoff_timer(acceptor_strand),
        drain_timer(acceptor_strand) {
    const tcp::endpoint endpoint(net::ip::make_address(options.address), options.port);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(net::socket_base::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen(net::socket_base::max_listen_connections);
    bound_port = acceptor.local_endpoint().port();
  }

  // `keep` holds this object for the coroutine's whole life (frames copy their parameters).
  net::awaitable<void> accept_loop(std::shared_ptr<impl> keep);
  net::awaitable<void> serve(std::shared_ptr<impl> keep, std::shared_ptr<connection_state> conn);
  net::awaitable<bool> serve_request(connection_state& conn, detail::beast_request& breq,
                                     const tcp::endpoint& local, const tcp::endpoint& remote);
  net::awaitable<void> answer_and_close(connection_state& conn, unsigned status);

  /// Refuses a connection beyond the bound: a 503 if the socket takes it now, then close.
  static void refuse(tcp::socket& socket) noexcept;
  /// Reports an accept failure, once per run of failures and at most once a minute.
  void report_accept_failure(const boost::system::error_code& ec, std::size_t failures);
  /// Runs on acceptor_strand: closes the listener and ends the back-off wait.
  void close_listener() noexcept;
  /// Every connection still open.
  std::vector<std::shared_ptr<connection_state>> open_connections();
  /// The connection's coroutine has ended (any way): forget it.
  static void finished(const std::shared_ptr<impl>& self,
                       const std::shared_ptr<connection_state>& conn);
  /// Runs `f(conn)` on each open connection's strand.
  template <class F>
  void for_each_connection(F f) {
    for (auto& conn : open_connections())
      net::post(conn->strand, [conn, f]() mutable { f(*conn); });
  }

  net::any_io_executor ex;
  request_handler handler;
  server_options options;
  std::size_t max_connections;
  strand_type acceptor_strand;
  tcp::acceptor acceptor;           // used on acceptor_strand only
  net::steady_timer backoff_timer;  // used on acceptor_strand only
  net::steady_timer drain_timer;    // used on acceptor_strand only
  std::uint16_t bound_port = 0;
  std::atomic<bool> started{false};
  std::atomic<bool> draining{false};  // shutdown() or stop(): no new requests are kept alive
  std::atomic<bool> stopping{false};  // stop(): everything ends now
  std::atomic<std::size_t> active{0};
  std::atomic<std::size_t> served{0};
  bool reported_this_run = false;       // acceptor_strand only
  clock::time_point last_report{};      // acceptor_strand only
  std::mutex mu;
  std::condition_variable all_done;                         // signalled under mu
  std::set<std::shared_ptr<connection_state>> connections;  // guarded by mu
  bool accepting = false;                                   // guarded by mu
};

void http_server::impl::refuse(tcp::socket& socket) noexcept {
  static constexpr char answer[] =
      "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: text/plain\r\n"
      "Content-Length: 20\r\n\r\ntoo many connections";
  boost::system::error_code ignored;
  socket.non_blocking(true, ignored);
  (void)socket.write_some(net::buffer(answer, sizeof(answer) - 1), ignored);
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

void http_server::impl::report_accept_failure(const boost::system::error_code& ec,
                                              std::size_t failures) {
  const clock::time_point now = clock::now();
  if (reported_this_run) return;
  if (last_report != clock::time_point{} && now - last_report < report_interval) return;
  reported_this_run = true;
  last_report = now;
  reportf(severity::error, "http.server.accept_failed",
          "ctxflow::http::http_server on port %u: accept failed (%s, %zu in a row); retrying "
          "with a back-off of up to 1 s",
          static_cast<unsigned>(bound_port), ec.message().c_str(), failures);
}

void http_server::impl::close_listener() noexcept {
  boost::system::error_code ignored;
  acceptor.close(ignored);
  backoff_timer.cancel();
}

std::vector<std::shared_ptr<connection_state>> http_server::impl::open_connections() {
  std::lock_guard lock(mu);
  return {connections.begin(), connections.end()};
}

void http_server::impl::finished(const std::shared_ptr<impl>& self,
                                  const std::shared_ptr<connection_state>& conn) {
  conn->finished = true;  // on the connection's strand: the completion handler runs there
  bool none_left = false;
  {
    std::lock_guard lock(self->mu);
    self->connections.erase(conn);
    self->active.fetch_sub(1, std::memory_order_release);
    none_left = self->connections.empty();
  }
  self->all_done.notify_all();
  if (none_left && self->draining.load(std::memory_order_acquire)) {
    // Nothing left to drain: the drain timer must not keep the io_context busy.
    net::post(self->acceptor_strand, [self] { self->drain_timer.cancel(); });
  }
}

net::awaitable<void> http_server::impl::accept_loop(std::shared_ptr<impl> keep) {
  // `keep` is passed on to every connection's coroutine.
  std::chrono::milliseconds backoff{0};
  std::size_t failures = 0;
  while (!draining.load(std::memory_order_acquire)) {
    boost::system::error_code ec;
    strand_type strand = net::make_strand(ex);
    tcp::socket socket(strand);
    co_await acceptor.async_accept(socket, net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      if (ec == net::error::operation_aborted || !acceptor.is_open()) break;
      if (is_peer_failure(ec)) continue;
      // Out of descriptors, buffers or memory: the listener stays readable, so retrying at once
      // would spin. Wait, doubling the wait up to 1 s; a successful accept resets it.
      ++failures;
      backoff = backoff.count() == 0 ? first_backoff : std::min(backoff * 2, last_backoff);
      report_accept_failure(ec, failures);
      backoff_timer.expires_after(backoff);
      co_await backoff_timer.async_wait(net::redirect_error(net::use_awaitable, ec));
      continue;  // cancelled by stop()/shutdown(): the loop condition or the accept ends it
    }
    backoff = std::chrono::milliseconds{0};
    failures = 0;
    reported_this_run = false;
    if (active.load(std::memory_order_acquire) >= max_connections) {
      refuse(socket);
      continue;
    }
    auto conn = std::make_shared<connection_state>(std::move(strand), std::move(socket));
    {
      std::lock_guard lock(mu);
      if (draining.load(std::memory_order_acquire)) {
        conn->close();
        break;
      }
      connections.insert(conn);
      active.fetch_add(1, std::memory_order_relaxed);
    }
    // Each connection is a coroutine of its own, starting from the empty context: requests on
    // different connections never see each other's context (C6). Its cancellation signal is
    // bound to the completion token, so asio_integration::co_spawn hands it to the coroutine:
    // emitting it cancels whatever the coroutine (the handler included) awaits.
    asio_integration::co_spawn(
        conn->strand, ctxflow::context(), serve(keep, conn),
        net::bind_cancellation_slot(conn->cancel.slot(),
                                    [keep, conn](std::exception_ptr) { finished(keep, conn); }));
  }
  {
    std::lock_guard lock(mu);
    accepting = false;
  }
  all_done.notify_all();
}

net::awaitable<void> http_server::impl::serve([[maybe_unused]] std::shared_ptr<impl> keep,
                                              std::shared_ptr<connection_state> conn) {
  boost::system::error_code ec;
  const tcp::endpoint local = conn->stream.socket().local_endpoint(ec);
  const tcp::endpoint remote = conn->stream.socket().remote_endpoint(ec);
  beast::flat_buffer buffer;
  // The first request's head must be complete head_timeout after the accept; later ones get
  // idle_timeout for their first byte, then head_timeout for the rest of the head.
  const bool head_deadline = options.head_timeout.count() > 0;
  clock::time_point deadline = clock::now() + options.head_timeout;
  bool first = true;
  for (;;) {
    if (buffer.size() == 0) {
      // Wait for the request's first byte. shutdown() closes connections waiting here.
      if (draining.load(std::memory_order_acquire)) break;
      conn->stage = phase::idle;
      if (!first) {
        set_deadline(conn->stream, options.idle_timeout);
      } else if (head_deadline) {
        conn->stream.expires_at(deadline);
      } else {
        conn->stream.expires_never();
      }
      const std::size_t n = co_await conn->stream.async_read_some(
          buffer.prepare(4096), net::redirect_error(net::use_awaitable, ec));
      if (ec) break;  // closed, idle for too long, or shut down
      buffer.commit(n);
    }
    conn->stage = phase::reading;
    if (!first) deadline = clock::now() + options.head_timeout;
    first = false;
    if (head_deadline) {
      conn->stream.expires_at(deadline);
    } else {
      conn->stream.expires_never();
    }

    beast::http::request_parser<beast::http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(
        options.max_head_bytes, std::numeric_limits<std::uint32_t>::max())));
    parser.body_limit(options.max_body_bytes);
    co_await beast::http::async_read_header(conn->stream, buffer, parser,
                                            net::redirect_error(net::use_awaitable, ec));
    if (!ec && !parser.is_done()) {
      const auto expect = parser.get().find(beast::http::field::expect);
      if (expect != parser.get().end() &&
          propagation::detail::iequals(
              std::string_view(expect->value().data(), expect->value().size()), "100-continue")) {
        set_deadline(conn->stream, options.write_timeout);
        static constexpr char go_on[] = "HTTP/1.1 100 Continue\r\n\r\n";
        co_await net::async_write(conn->stream, net::buffer(go_on, sizeof(go_on) - 1),
                                  net::redirect_error(net::use_awaitable, ec));
      }
      if (!ec) {
        set_deadline(conn->stream, options.body_timeout);
        co_await beast::http::async_read(conn->stream, buffer, parser,
                                         net::redirect_error(net::use_awaitable, ec));
      }
    }
    if (ec) {
      // Too large or not HTTP: answer, then close. Timeouts and disconnects: just close.
      if (const unsigned status = status_for_read_error(ec); status != 0)
        co_await answer_and_close(*conn, status);
      break;
    }
    conn->stage = phase::handling;
    conn->stream.expires_never();
    detail::beast_request breq = parser.release();
    const bool keep_alive = co_await serve_request(*conn, breq, local, remote);
    if (!keep_alive) break;
  }
  conn->close();
}

net::awaitable<void> http_server::impl::answer_and_close(connection_state& conn,
                                                         unsigned status) {
  detail::beast_response res;
  res.result(status);
  res.version(11);
  res.keep_alive(false);
  res.set(beast::http::field::content_type, "text/plain");
  const auto reason = beast::http::obsolete_reason(res.result());
  res.body().assign(reason.data(), reason.size());
  res.prepare_payload();
  boost::system::error_code ec;
  set_deadline(conn.stream, options.write_timeout);
  co_await beast::http::async_write(conn.stream, res, net::redirect_error(net::use_awaitable, ec));
  if (ec) co_return;
  // Stop sending and discard what the client still sends for a moment: closing with unread
  // data would reset the connection, and the reset can destroy the answer before it is read.
  conn.stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  conn.stream.expires_after(linger_time);
  std::array<char, 4096> scrap;
  std::size_t discarded = 0;
  while (discarded < linger_bytes) {
    const std::size_t n = co_await conn.stream.async_read_some(
        net::buffer(scrap), net::redirect_error(net::use_awaitable, ec));
    if (ec) break;
    discarded += n;
  }
}

net::awaitable<bool> http_server::impl::serve_request(connection_state& conn,
                                                      detail::beast_request& breq,
                                                      const tcp::endpoint& local,
                                                      const tcp::endpoint& remote) {
  const std::string method(breq.method_string());
  const std::string target(breq.target());
  const std::size_t q = target.find('?');
  const std::string path = target.substr(0, q);
  const std::string query = q == std::string::npos ? std::string() : target.substr(q + 1);
  const std::string route = options.route ? options.route(method, path) : std::string();
  const bool known = detail::is_known_method(method);
  const std::string local_address = local.address().to_string();
  const std::string peer_address = remote.address().to_string();
  std::string server_address = local_address;
  std::int64_t server_port = local.port();
  if (auto host = breq.find(beast::http::field::host); host != breq.end()) {
    const std::string_view h(host->value().data(), host->value().size());
    const std::size_t colon = h.rfind(':');
    if (colon != std::string_view::npos && h.find(']') == std::string_view::npos) {
      server_address = std::string(h.substr(0, colon));
    } else {
      server_address = std::string(h);
    }
  }
  std::string user_agent;
  if (auto ua = breq.find(beast::http::field::user_agent); ua != breq.end())
    user_agent = std::string(ua->value());

  // The whole remote context: span context, baggage and whatever else the global propagator's
  // members extract. It is current for the whole request, so the handler's outgoing calls carry
  // it on. Extracted into the empty context: nothing of an earlier request on this connection
  // survives. A missing or malformed traceparent leaves no span, so the SERVER span starts a new
  // trace (R2.11, R9.3).
  const ctxflow::context extracted = propagation::extract(
      *propagation::global_propagator(), ctxflow::context(), breq, beast_fields_text_map{});
  const ctxflow::scope remote_scope(extracted);

  std::vector<trace::attribute_kv> start_attributes = {
      {detail::attr::request_method, known ? std::string_view(method) : "_OTHER"},
      {detail::attr::url_path, std::string_view(path)},
      {detail::attr::url_scheme, "http"},
      {detail::attr::server_address, std::string_view(server_address)},
      {detail::attr::server_port, server_port},
      {detail::attr::client_address, std::string_view(peer_address)},
      {detail::attr::client_port, static_cast<std::int64_t>(remote.port())},
      {detail::attr::peer_address, std::string_view(peer_address)},
      {detail::attr::peer_port, static_cast<std::int64_t>(remote.port())},
      {detail::attr::protocol_version, detail::protocol_version(breq.version())},
  };
  if (!known) start_attributes.push_back({detail::attr::request_method_original, method});
  if (!query.empty()) start_attributes.push_back({detail::attr::url_query, query});
  if (!route.empty()) start_attributes.push_back({detail::attr::route, route});
  if (!user_agent.empty()) start_attributes.push_back({detail::attr::user_agent, user_agent});
  trace::start_options so;
  so.kind = trace::span_kind::server;
  so.parent = extracted;
  so.attributes = start_attributes;
  // Current for the whole handling, across every co_await of the handler (C5), on top of the
  // extracted context.
  auto span = options.tracer.start_as_current_span(detail::span_name(method, route), so);

  request req;
  req.method = method;
  req.target = target;
  for (const auto& field : breq)
    req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  req.body = std::move(breq.body());

  response res;
  std::exception_ptr failure;
#if CTXFLOW_HAS_EXCEPTIONS
  try {
    res = co_await handler(std::move(req));
  } catch (...) {
    failure = std::current_exception();
  }
#else
  res = co_await handler(std::move(req));
#endif
  if (failure) {
    span->record_exception(failure);
    res = response{};
    res.status = 500;
    res.body = "internal server error";
  }
  if (res.status < 100 || res.status > 999) res.status = 500;

  span->set_attribute(detail::attr::response_status_code, static_cast<std::int64_t>(res.status));
  if (res.status >= 500) {  // server spans: only 5xx is an error (R9.5)
    const std::string code = std::to_string(res.status);
    span->set_attribute(detail::attr::error_type, std::string_view(code));
    span->set_status(trace::status_code::error);
  }

  // A cancelled handler (shutdown's drain ran out) leaves the coroutine cancelled; the answer
  // is still attempted (the socket is usually closed by then), not thrown away at the co_await.
  co_await net::this_coro::reset_cancellation_state();

  detail::beast_response bres;
  bres.result(static_cast<unsigned>(res.status));
  bres.version(breq.version());
  for (const auto& [n, v] : res.headers) bres.insert(n, v);
  bres.body() = std::move(res.body);
  // During a shutdown every answer closes its connection.
  const bool keep = breq.keep_alive() && !draining.load(std::memory_order_acquire);
  bres.keep_alive(keep);
  bres.prepare_payload();
  boost::system::error_code ec;
  set_deadline(conn.stream, options.write_timeout);
  co_await beast::http::async_write(conn.stream, bres, net::redirect_error(net::use_awaitable, ec));
  served.fetch_add(1, std::memory_order_relaxed);
  co_return keep && !ec && !draining.load(std::memory_order_acquire);
}

http_server::http_server(net::any_io_executor ex, request_handler handler, server_options options)
    : impl_(std::make_shared<impl>(std::move(ex), std::move(handler), std::move(options))) {}

http_server::~http_server() { stop(); }

void http_server::start() {
  if (impl_->started.exchange(true)) return;
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->draining.load(std::memory_order_acquire)) return;
    impl_->accepting = true;
  }
  asio_integration::co_spawn(impl_->acceptor_strand, ctxflow::context(), impl_->accept_loop(impl_),
                             [keep = impl_](std::exception_ptr) {
                               // The loop ended by an exception (allocation failure): the
                               // listener is closed so that shutdown waits do not hang.
                               std::lock_guard lock(keep->mu);
                               if (keep->accepting) {
                                 keep->accepting = false;
                                 keep->close_listener();
                               }
                               keep->all_done.notify_all();
                             });
}

void http_server::stop() {
  if (impl_->stopping.exchange(true, std::memory_order_acq_rel)) return;
  impl_->draining.store(true, std::memory_order_release);
  auto self = impl_;
  net::post(self->acceptor_strand, [self] {
    self->close_listener();
    self->drain_timer.cancel();
  });
  self->for_each_connection([](connection_state& conn) { conn.abort(); });
}

void http_server::shutdown() {
  if (impl_->draining.exchange(true, std::memory_order_acq_rel)) return;
  auto self = impl_;
  net::post(self->acceptor_strand, [self] {
    self->close_listener();
    if (self->options.drain_timeout.count() <= 0 || self->open_connections().empty()) return;
    self->drain_timer.expires_after(self->options.drain_timeout);
    self->drain_timer.async_wait([self](const boost::system::error_code& ec) {
      if (ec) return;  // everything finished in time (or stop() came first)
      self->for_each_connection([](connection_state& conn) { conn.abort(); });
    });
  });
  // Connections waiting for a request are closed now; the others finish their request.
  self->for_each_connection([](connection_state& conn) {
    if (conn.stage == phase::idle) conn.close();
  });
}

bool http_server::wait_for_shutdown(std::chrono::milliseconds limit) {
  std::unique_lock lock(impl_->mu);
  return impl_->all_done.wait_for(lock, limit, [this] {
    return impl_->connections.empty() && !impl_->accepting;
  });
}

std::uint16_t http_server::port() const noexcept { return impl_->bound_port; }

std::size_t http_server::active_connections() const noexcept {
  return impl_->active.load(std::memory_order_acquire);
}

std::size_t http_server::requests_served() const noexcept {
  return impl_->served.load(std::memory_order_relaxed);
}

}  // namespace ctxflow::http
