// SPDX-License-Identifier: Apache-2.0
// http_server: an HTTP/1.1 server (Boost.Beast) that serves each connection in a coroutine of its
// own and each request inside a SERVER span whose parent is the context extracted from the
// request headers (R9.3). The span is current for the whole handling of the request, across every
// co_await of the handler. See docs/usage/integrations.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>  // before awaitable.hpp, which uses std::exchange without it

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "ctxflow/export.hpp"
#include "ctxflow/integrations/http/message.hpp"
#include "ctxflow/trace/provider.hpp"
#include "ctxflow/trace/tracer.hpp"

namespace ctxflow::http {

/// Serves one request; called inside the request's SERVER span.
using request_handler = std::function<boost::asio::awaitable<response>(request)>;

/// How an http_server behaves.
struct server_options {
  /// The address to listen on (numeric).
  std::string address = "127.0.0.1";
  /// The port; 0 picks a free one (see http_server::port()).
  std::uint16_t port = 0;
  /// Gives the low-cardinality route (`/orders/{id}`) of a request, or an empty string; used for
  /// `http.route` and the span name `{method} {route}` (R9.1, R9.3). Never derived from the path
  /// by default.
  std::function<std::string(std::string_view method, std::string_view path)> route;
  /// The tracer for SERVER spans; default: `get_tracer("ctxflow.http")`.
  trace::tracer tracer = trace::get_tracer("ctxflow.http");
};

/// An HTTP/1.1 server with keep-alive.
///
/// Contract: the constructor binds and listens; start() begins accepting. Each connection is
/// served by a coroutine of its own (asio_integration::co_spawn on a strand) that reads requests
/// one after another. Per request: the context is extracted from the headers with the global
/// propagator (a missing or malformed `traceparent` starts a new trace and never fails the
/// request, R2.11); a SERVER span is started with that parent, named `{method}` or `{method}
/// {route}`, with `http.request.method`, `url.path`, `url.scheme`, `url.query`, `http.route`,
/// `server.address`, `server.port`, `client.address`, `client.port`, `network.peer.address`,
/// `network.peer.port`, `network.protocol.version`, `user_agent.original` (R9.3); the handler
/// runs; `http.response.status_code` is recorded and a 5xx sets status `error` with `error.type`
/// (R9.5). A handler that throws gives a 500 response and the exception is recorded on the span.
/// Context: the SERVER span is current inside the handler, on whichever thread each piece of it
/// runs, and nothing leaks to the I/O threads (C5, C7). Connections never share a context.
/// Errors: the constructor throws `boost::system::system_error` when it cannot listen.
/// Thread safety: distinct objects: safe. Shared objects: start(), stop(), port() and the
/// counters are safe from any thread.
/// Lifetime: stop() (or the destructor) closes the listener and every open connection; the
/// coroutines then finish on the executor's threads, so keep the io_context running until they
/// have (active_connections() == 0).
class CTXFLOW_API http_server {
 public:
  http_server(boost::asio::any_io_executor ex, request_handler handler, server_options options = {});
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  /// Starts accepting connections.
  void start();
  /// Stops accepting and closes every open connection.
  void stop();
  /// The port the server listens on.
  std::uint16_t port() const noexcept;
  /// Connections being served now.
  std::size_t active_connections() const noexcept;
  /// Requests served since construction.
  std::size_t requests_served() const noexcept;

  struct impl;

 private:
  std::shared_ptr<impl> impl_;
};

}  // namespace ctxflow::http
