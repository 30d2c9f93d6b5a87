// SPDX-License-Identifier: Apache-2.0
// http_client: an asynchronous, coroutine-based HTTP/1.1 client (Boost.Beast) with a keep-alive
// connection pool. Every attempt is a CLIENT span named by the semantic conventions, and the
// current context (with that span) is injected into the request headers through the global
// propagator (R9.1, R9.2, R9.5). See docs/usage/integrations.md.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
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

/// How an http_client behaves.
struct client_options {
  /// Idle keep-alive connections kept per peer (host, port).
  std::size_t max_idle_per_peer = 8;
  /// Limit for connecting, writing the request and reading the response of one attempt.
  std::chrono::milliseconds timeout{30000};
  /// The tracer for CLIENT spans; default: `get_tracer("ctxflow.http")` (follows the global
  /// provider).
  trace::tracer tracer = trace::get_tracer("ctxflow.http");
};

/// Options for one send().
///
/// It has constructors on purpose: GCC 12 copies aggregate temporaries that appear in a
/// `co_await` expression bitwise into the coroutine frame, which breaks their strings.
struct send_options {
  send_options() = default;
  explicit send_options(std::string target_template) : url_template(std::move(target_template)) {}

  /// A low-cardinality URL template (`/orders/{id}`) for the span name `{method} {template}`
  /// (R9.1); empty: the name is `{method}`.
  std::string url_template;
};

/// An HTTP/1.1 client over plain TCP with a pool of keep-alive connections per peer.
///
/// Contract: send() connects (or reuses an idle connection), writes the request with `Host`,
/// `Content-Length` and the propagation headers added, reads the response, and returns the
/// connection to the pool when both sides keep it alive. A reused connection that the peer has
/// closed in the meantime is replaced and the request sent once more, as a new attempt.
/// Each attempt is a CLIENT span (R9.2): name `{method}` or `{method} {url_template}` (R9.1),
/// attributes `http.request.method` (`_OTHER` plus `http.request.method_original` for unknown
/// methods, R9.4), `server.address`, `server.port`, `url.full`, `network.protocol.version`,
/// `http.response.status_code`, `http.request.resend_count` on a second attempt; status
/// `error` with `error.type` for 4xx/5xx responses and transport failures (R9.5).
/// Context: the span's parent is the current context at the call; that context plus the span is
/// injected into the request (the global propagator). Inside a coroutine spawned with
/// asio_integration::co_spawn the current context is the coroutine's.
/// Resumes on: the awaiting coroutine's executor.
/// Errors: transport failures (connection refused, timeout, malformed response) are thrown at
/// the `co_await` as `boost::system::system_error`; any HTTP status is a normal response.
/// Thread safety: distinct objects: safe. Shared objects: safe: send() may run concurrently
/// from many coroutines and threads (the pool is synchronised; a connection is used by one
/// request at a time).
/// Lifetime: must outlive every send() in progress.
///
/// Example:
/// ```
/// ctxflow::http::http_client client(io.get_executor());
/// ctxflow::http::response r = co_await client.send("http://127.0.0.1:8080/orders", {"POST"});
/// ```
class CTXFLOW_API http_client {
 public:
  /// A client whose connections use `ex` (the executor of a coroutine's context_executor is
  /// unwrapped: pooled connections never belong to one coroutine).
  explicit http_client(boost::asio::any_io_executor ex, client_options options = {});
  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  /// Sends `req` to `host:port` (a numeric address or a name to resolve).
  boost::asio::awaitable<response> send(std::string host, std::uint16_t port, request req,
                                        send_options options = {});
  /// Sends `req` to `url` (`http://host[:port][/target]`); the URL's path and query replace
  /// `req.target`. Errors: a URL that is not `http://` throws `std::invalid_argument`.
  boost::asio::awaitable<response> send(std::string_view url, request req,
                                        send_options options = {});

  /// Idle connections in the pool now (all peers).
  std::size_t idle_connections() const;
  /// Connections opened since construction.
  std::size_t connections_opened() const;
  /// Closes every idle connection.
  void close_idle();

  struct impl;

 private:
  std::shared_ptr<impl> impl_;
};

}  // namespace ctxflow::http
