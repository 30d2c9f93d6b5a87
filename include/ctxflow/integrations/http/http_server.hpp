// SPDX-License-Identifier: Apache-2.0
// http_server: an HTTP/1.1 server (Boost.Beast) that serves each connection in a coroutine of its
// own and each request inside a SERVER span whose parent is the context extracted from the
// request headers (R9.3). The whole extracted context (span, baggage, ...) is current for the
// whole handling of the request, across every co_await of the handler. Limits on the request
// head and body, deadlines, a connection bound, accept back-off and a graceful shutdown make it
// safe to expose. See docs/usage/integrations.md.
#pragma once

#include <chrono>
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
#include "ctxflow/integrations/http/legacy_namespace.hpp"
#include "ctxflow/integrations/http/message.hpp"
#include "ctxflow/trace/provider.hpp"
#include "ctxflow/trace/tracer.hpp"

namespace ctxflow::integrations::http {

/// Serves one request; called inside the request's SERVER span.
using request_handler = std::function<boost::asio::awaitable<response>(request)>;

/// The connection bound used when server_options::max_connections is 0: the soft
/// RLIMIT_NOFILE of the process minus a reserve of a quarter of it (at least 32 descriptors) for
/// files, outgoing connections and exporters; at least 1. An unlimited soft limit counts as
/// 1,048,576.
CTXFLOW_API std::size_t default_max_connections() noexcept;

/// How an http_server behaves. Durations of zero or less disable that deadline.
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

  /// Largest request head (request line and header fields, in bytes). A larger head is
  /// answered `431 Request Header Fields Too Large`.
  std::size_t max_head_bytes = 16 * 1024;
  /// Largest request body (bytes). A larger declared `Content-Length` is answered `413 Content
  /// Too Large` as soon as the head is read, without reading the body; a chunked body is
  /// answered 413 when it grows past the limit.
  std::uint64_t max_body_bytes = 1024 * 1024;
  /// Total time for receiving a request head: from the accept for the first request of a
  /// connection, from the first byte of the request for the next ones. It is one deadline,
  /// not a per-read timeout, so a client trickling bytes is cut when it passes. The
  /// connection is then closed without an answer.
  std::chrono::milliseconds head_timeout{10000};
  /// Total time for receiving a request body, from the end of its head.
  std::chrono::milliseconds body_timeout{30000};
  /// Total time for writing one response.
  std::chrono::milliseconds write_timeout{30000};
  /// How long a keep-alive connection may wait for the first byte of its next request.
  std::chrono::milliseconds idle_timeout{30000};
  /// Connections served at once; 0: default_max_connections(). A connection accepted beyond
  /// the bound is answered `503 Service Unavailable` (best effort, without waiting) and closed
  /// at once; the others wait in the kernel's listen backlog, which is bounded.
  std::size_t max_connections = 0;
  /// shutdown(): how long requests in flight may take to finish before they are cancelled;
  /// zero or less: they are never cancelled by shutdown() (stop() still does).
  std::chrono::milliseconds drain_timeout{5000};
};

/// An HTTP/1.1 server with keep-alive.
///
/// Contract: the constructor binds and listens; start() begins accepting. Each connection is
/// served by a coroutine of its own (integrations::asio::co_spawn on a strand, starting from the
/// empty context) that reads requests one after another. Per request: the whole context is
/// extracted from the headers with the global propagator (span context, baggage and whatever
/// else its propagators extract; a missing or malformed `traceparent` starts a new trace and
/// never fails the request, R2.11); a SERVER span is started as a child of the extracted remote
/// parent, named `{method}` or `{method} {route}`, with `http.request.method`, `url.path`,
/// `url.scheme`, `url.query`, `http.route`, `server.address`, `server.port`, `client.address`,
/// `client.port`, `network.peer.address`, `network.peer.port`, `network.protocol.version`,
/// `user_agent.original` (R9.3); the handler runs; `http.response.status_code` is recorded and a
/// 5xx sets status `error` with `error.type` (R9.5). A handler that throws gives a 500 response
/// and the exception is recorded on the span.
/// Limits: a head over `max_head_bytes` is answered 431, a body over `max_body_bytes` 413, a
/// request that is not HTTP/1.x (garbage request line, malformed header field, bad
/// `Content-Length` or chunking) 400. These answers carry `Connection: close`; the server then
/// stops sending, discards what the client still sends for up to one second (at most 256 KiB,
/// so the answer is not lost to a reset) and closes. No span is made for them.
/// Deadlines: `head_timeout`, `body_timeout`, `write_timeout` and `idle_timeout` (see
/// server_options) close the connection when they pass. `Expect: 100-continue` is answered
/// `100 Continue` before the body is read.
/// Connections: at most `max_connections` are served at once (see server_options). An accept
/// that fails (EMFILE, ENFILE, ENOBUFS, ENOMEM, ...) is retried after a back-off of 10 ms that
/// doubles up to 1 s and is reset by the next successful accept, so the loop never spins; the
/// failure is reported once per run of failures (at most once a minute) as
/// `http.server.accept_failed`. Failures that concern only the one peer (it reset or aborted the
/// connection) are retried at once.
/// Shutdown: shutdown() stops accepting, closes the connections waiting for a request, and lets
/// the requests in flight finish (their responses carry `Connection: close`). When
/// `drain_timeout` passes, terminal cancellation is emitted on every connection left: each
/// connection's coroutine is spawned with its own `boost::asio::cancellation_signal` bound to
/// the completion token, so the handler's coroutine and the operation it awaits (a timer,
/// `http_client::send`, ...) are cancelled; then the sockets are closed. A handler that ignores
/// cancellation keeps its connection (and wait_for_shutdown()) until it returns. stop() does the
/// same at once, without the drain. With Boost 1.74 (no per-operation cancellation before 1.77)
/// the sockets are closed but handlers are not cancelled: a handler runs until it returns (its
/// own deadlines still apply, the client's included), and wait_for_shutdown() waits for it.
/// Context: the extracted context, with the SERVER span on top, is current inside the handler,
/// on whichever thread each piece of it runs, so outgoing calls (http_client) carry its trace
/// and baggage; nothing leaks to the I/O threads (C5, C7). Connections never share a context.
/// Errors: the constructor throws `boost::system::system_error` when it cannot listen.
/// Thread safety: distinct objects: safe. Shared objects: start(), stop(), shutdown(),
/// wait_for_shutdown(), port() and the counters are safe from any thread.
/// Lifetime: stop() (or the destructor) and shutdown() end the connections; their coroutines
/// finish on the executor's threads, so keep the io_context running until they have
/// (wait_for_shutdown() returns true, or active_connections() == 0).
///
/// Example:
/// ```
/// server.shutdown();                                      // e.g. on SIGTERM
/// if (!server.wait_for_shutdown(std::chrono::seconds(6))) { /* a handler ignored cancel */ }
/// io.stop();
/// ```
class CTXFLOW_API http_server {
 public:
  http_server(boost::asio::any_io_executor ex, request_handler handler, server_options options = {});
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  /// Starts accepting connections.
  void start();
  /// Stops accepting, cancels every handler in flight and closes every open connection, now.
  void stop();
  /// Begins a graceful stop and returns at once: stops accepting, closes idle keep-alive
  /// connections, lets requests in flight finish within server_options::drain_timeout, then
  /// cancels what is left (terminal cancellation) and closes the sockets. Calling it again, or
  /// after stop(), does nothing.
  void shutdown();
  /// Blocks until every connection is finished and the accept loop has ended, or `limit` has
  /// passed; false on timeout. Call it after shutdown() or stop(), from a thread that does not
  /// run the server's io_context (that thread would never see the connections finish).
  bool wait_for_shutdown(std::chrono::milliseconds limit);
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

}  // namespace ctxflow::integrations::http
