// SPDX-License-Identifier: Apache-2.0
// http_server: a Beast accept loop and one coroutine per connection (asio_integration::co_spawn
// on a strand, starting from the empty context); each request is served inside a SERVER span
// whose parent is extracted from its headers (R9.3, R9.5).
#include "ctxflow/integrations/http/http_server.hpp"

#include <atomic>
#include <exception>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "ctxflow/context/context.hpp"
#include "ctxflow/integrations/asio/co_spawn.hpp"
#include "ctxflow/integrations/http/beast_fields.hpp"
#include "ctxflow/propagation/global.hpp"
#include "ctxflow/trace/span.hpp"
#include "integrations/http/semconv.hpp"

namespace ctxflow::http {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

namespace {

using strand_type = net::strand<net::any_io_executor>;

/// One accepted connection; its socket is only touched on its strand (the connection's
/// coroutine and stop() both run there).
struct connection_state {
  connection_state(strand_type st, tcp::socket s) : strand(std::move(st)), stream(std::move(s)) {}
  strand_type strand;
  beast::tcp_stream stream;
  void close() noexcept {
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.socket().close(ignored);
  }
};

}  // namespace

struct http_server::impl {
  impl(net::any_io_executor e, request_handler h, server_options o)
      : ex(asio_integration::unwrap_executor(e)),
        handler(std::move(h)),
        options(std::move(o)),
        acceptor_strand(net::make_strand(ex)),
        acceptor(acceptor_strand) {
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

  net::any_io_executor ex;
  request_handler handler;
  server_options options;
  strand_type acceptor_strand;
  tcp::acceptor acceptor;  // used on acceptor_strand only
  std::uint16_t bound_port = 0;
  std::atomic<bool> started{false};
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> active{0};
  std::atomic<std::size_t> served{0};
  std::mutex mu;
  std::set<std::shared_ptr<connection_state>> connections;  // guarded by mu
};

net::awaitable<void> http_server::impl::accept_loop(std::shared_ptr<impl> keep) {
  // `keep` is passed on to every connection's coroutine.
  while (!stopping.load(std::memory_order_acquire)) {
    boost::system::error_code ec;
    strand_type strand = net::make_strand(ex);
    tcp::socket socket =
        co_await acceptor.async_accept(ex, net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      if (ec == net::error::operation_aborted || !acceptor.is_open()) break;
      continue;  // a failed accept (e.g. the peer gave up) does not stop the server
    }
    auto conn = std::make_shared<connection_state>(std::move(strand), std::move(socket));
    {
      std::lock_guard lock(mu);
      if (stopping.load(std::memory_order_acquire)) {
        conn->close();
        break;
      }
      connections.insert(conn);
    }
    active.fetch_add(1, std::memory_order_relaxed);
    // Each connection is a coroutine of its own, starting from the empty context: requests on
    // different connections never see each other's context (C6).
    asio_integration::co_spawn(conn->strand, ctxflow::context(), serve(keep, conn), net::detached);
  }
}

net::awaitable<void> http_server::impl::serve([[maybe_unused]] std::shared_ptr<impl> keep,
                                              std::shared_ptr<connection_state> conn) {
  boost::system::error_code ec;
  const tcp::endpoint local = conn->stream.socket().local_endpoint(ec);
  const tcp::endpoint remote = conn->stream.socket().remote_endpoint(ec);
  beast::flat_buffer buffer;
  for (;;) {
    detail::beast_request breq;
    co_await beast::http::async_read(conn->stream, buffer, breq,
                                     net::redirect_error(net::use_awaitable, ec));
    if (ec) break;  // closed, stopped, or not HTTP: end the connection
    const bool keep_alive = co_await serve_request(*conn, breq, local, remote);
    if (!keep_alive) break;
  }
  conn->close();
  {
    std::lock_guard lock(mu);
    connections.erase(conn);
  }
  active.fetch_sub(1, std::memory_order_release);
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

  // The remote parent: a missing or malformed traceparent leaves the empty context, so the span
  // starts a new trace (R2.11, R9.3).
  const ctxflow::context parent = propagation::extract(
      *propagation::global_propagator(), ctxflow::context(), breq, beast_fields_text_map{});

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
  so.parent = parent;
  so.attributes = start_attributes;
  // Current for the whole handling, across every co_await of the handler (C5).
  auto span = options.tracer.start_as_current_span(detail::span_name(method, route), so);

  request req;
  req.method = method;
  req.target = target;
  for (const auto& field : breq)
    req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  req.body = std::move(breq.body());

  response res;
  std::exception_ptr failure;
  try {
    res = co_await handler(std::move(req));
  } catch (...) {
    failure = std::current_exception();
  }
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

  detail::beast_response bres;
  bres.result(static_cast<unsigned>(res.status));
  bres.version(breq.version());
  for (const auto& [n, v] : res.headers) bres.insert(n, v);
  bres.body() = std::move(res.body);
  const bool keep = breq.keep_alive() && !stopping.load(std::memory_order_acquire);
  bres.keep_alive(keep);
  bres.prepare_payload();
  boost::system::error_code ec;
  co_await beast::http::async_write(conn.stream, bres, net::redirect_error(net::use_awaitable, ec));
  served.fetch_add(1, std::memory_order_relaxed);
  co_return keep && !ec;
}

http_server::http_server(net::any_io_executor ex, request_handler handler, server_options options)
    : impl_(std::make_shared<impl>(std::move(ex), std::move(handler), std::move(options))) {}

http_server::~http_server() { stop(); }

void http_server::start() {
  if (impl_->started.exchange(true)) return;
  asio_integration::co_spawn(impl_->acceptor_strand, ctxflow::context(), impl_->accept_loop(impl_),
                             net::detached);
}

void http_server::stop() {
  if (impl_->stopping.exchange(true, std::memory_order_acq_rel)) return;
  auto self = impl_;
  net::post(self->acceptor_strand, [self] {
    boost::system::error_code ignored;
    self->acceptor.close(ignored);
  });
  std::vector<std::shared_ptr<connection_state>> open;
  {
    std::lock_guard lock(self->mu);
    open.assign(self->connections.begin(), self->connections.end());
  }
  for (auto& conn : open) net::post(conn->strand, [conn] { conn->close(); });
}

std::uint16_t http_server::port() const noexcept { return impl_->bound_port; }

std::size_t http_server::active_connections() const noexcept {
  return impl_->active.load(std::memory_order_acquire);
}

std::size_t http_server::requests_served() const noexcept {
  return impl_->served.load(std::memory_order_relaxed);
}

}  // namespace ctxflow::http
