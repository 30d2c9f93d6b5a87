// SPDX-License-Identifier: Apache-2.0
// http_client: an asynchronous, coroutine-based HTTP/1.1 client (Boost.Beast, HTTPS through
// OpenSSL) with a keep-alive connection pool, one deadline per request and Asio cancellation.
// Every attempt is a CLIENT span named by the semantic conventions, and the current context (with
// that span) is injected into the request headers through the global propagator (R9.1, R9.2,
// R9.5). See docs/usage/integrations.md.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
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

/// How an http_client behaves.
struct client_options {
  /// Idle keep-alive connections kept per peer (scheme, host, port).
  std::size_t max_idle_per_peer = 8;
  /// The deadline of one send(): resolving, connecting, the TLS handshake, writing the request
  /// and reading the whole response, including the second attempt on a stale pooled connection.
  /// Zero or negative: no deadline (cancellation still works). send_options::timeout overrides it.
  std::chrono::milliseconds timeout{30000};
  /// The largest response body accepted, in bytes; a larger one fails the send().
  std::size_t max_response_body = 64u * 1024u * 1024u;
  /// The largest response head (status line and header fields) accepted, in bytes.
  std::size_t max_response_head = 64u * 1024u;
  /// A PEM file of CA certificates that HTTPS servers are verified against, instead of the
  /// system store (OpenSSL's default verify paths); empty: the system store.
  std::string ca_file;
  /// Verify HTTPS servers: the certificate chain against the CAs and the certificate against the
  /// host name (or IP address) sent to. Turning it off lets anyone impersonate the server; it is
  /// meant for tests against self-signed servers only.
  bool verify_peer = true;
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
  /// A deadline for this send() only.
  explicit send_options(std::chrono::milliseconds deadline) : timeout(deadline) {}
  send_options(std::string target_template, std::chrono::milliseconds deadline)
      : url_template(std::move(target_template)), timeout(deadline) {}

  /// A low-cardinality URL template (`/orders/{id}`) for the span name `{method} {template}`
  /// (R9.1); empty: the name is `{method}`.
  std::string url_template;
  /// The deadline of this send(), replacing client_options::timeout; zero or negative: none.
  std::optional<std::chrono::milliseconds> timeout;
  /// HTTPS for send(host, port, ...); send(url, ...) sets it from the URL's scheme.
  bool tls = false;
};

/// An HTTP/1.1 client over TCP or TLS with a pool of keep-alive connections per peer.
///
/// Contract: send() connects (or reuses an idle connection), writes the request with `Host`,
/// `Content-Length` and the propagation headers added, reads the response, and returns the
/// connection to the pool when both sides keep it alive. A reused connection that the peer has
/// closed in the meantime is replaced and the request sent once more, as a new attempt.
/// Connections that failed, timed out or were cancelled are closed, never pooled.
/// Deadline: one per send() (client_options::timeout, or send_options::timeout), covering the
/// name resolution, connect, TLS handshake, write and read of every attempt. It is a timer
/// raced against the operations: when it fires first, the pending operation is cancelled and
/// send() throws `system_error(boost::asio::error::timed_out)`. A response that keeps arriving
/// slowly still ends at the deadline.
/// Cancellation: send() follows the cancellation state of the awaiting coroutine
/// (`boost::asio::this_coro::cancellation_state`): when its slot is emitted (a coroutine
/// spawned with `boost::asio::bind_cancellation_slot(signal.slot(), token)`, an awaitable
/// operator, a server stopping its handlers), the operation in flight is cancelled at once, the
/// connection is closed and send() throws `system_error(boost::asio::error::operation_aborted)`.
/// Which cancellation types get through is the coroutine's filter: terminal by default; a
/// coroutine that wants partial or total cancellation too enables it with
/// `co_await this_coro::reset_cancellation_state(...)`. A coroutine already cancelled throws at
/// the `co_await` without sending. Boost 1.74 has no cancellation of coroutines (it came with
/// 1.77): there only the deadline ends a send() early; it closes the connection instead of
/// cancelling the operation, with the same result for the caller.
/// HTTPS (`https://` URLs, or send_options::tls): TLS through OpenSSL, with SNI for host names,
/// the chain verified against the system store (or client_options::ca_file) and the
/// certificate against the host name or IP address. TLS connections are pooled apart from plain
/// ones. A failed handshake or verification reports `http.client.tls_failed` and throws a
/// `system_error` whose message names the peer and the reason.
/// Limits: a response head above client_options::max_response_head or a body above
/// client_options::max_response_body fails with `beast::http::error::header_limit` /
/// `body_limit` (`http.client.response_too_large` is reported); a malformed response fails with
/// the parser's error (`http.client.invalid_response`).
/// Spans: each attempt is a CLIENT span (R9.2): name `{method}` or `{method} {url_template}`
/// (R9.1), attributes `http.request.method` (`_OTHER` plus `http.request.method_original` for
/// unknown methods, R9.4), `server.address`, `server.port`, `url.full`,
/// `network.protocol.version`, `http.response.status_code`, `http.request.resend_count` on a
/// second attempt; status `error` with `error.type` for 4xx/5xx responses (the status code) and
/// transport failures (R9.5): `timeout`, `cancelled`, `connection_refused`, `connection_reset`,
/// `connection_closed`, `host_not_found`, `tls_handshake`, `certificate`,
/// `response_too_large`, `invalid_response`, `transport_error`.
/// Context: the span's parent is the current context at the call; that context plus the span is
/// injected into the request (the global propagator). Inside a coroutine spawned with
/// integrations::asio::co_spawn the current context is the coroutine's.
/// Resumes on: the awaiting coroutine's executor. The request itself runs on a strand of the
/// client's executor, so the deadline, the cancellation and the I/O never race, whatever
/// executor the caller runs on.
/// Errors: transport failures, the deadline and cancellation are thrown at the `co_await` as
/// `boost::system::system_error`; any HTTP status is a normal response.
/// Thread safety: distinct objects: safe. Shared objects: safe: send() may run concurrently
/// from many coroutines and threads (the pool is synchronised; a connection is used by one
/// request at a time).
/// Lifetime: must outlive every send() in progress.
///
/// Example:
/// ```
/// namespace http = ctxflow::integrations::http;
/// http::http_client client(io.get_executor());
/// http::response r = co_await client.send("http://127.0.0.1:8080/orders", {"POST"});
/// auto slow = co_await client.send("https://example.org/", {"GET"},
///                                  http::send_options(std::chrono::seconds(2)));
/// ```
class CTXFLOW_API http_client {
 public:
  /// A client whose connections use `ex` (the executor of a coroutine's context_executor is
  /// unwrapped: pooled connections never belong to one coroutine).
  explicit http_client(boost::asio::any_io_executor ex, client_options options = {});
  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  /// Sends `req` to `host:port` (a numeric address or a name to resolve), over TLS when
  /// `options.tls`.
  boost::asio::awaitable<response> send(std::string host, std::uint16_t port, request req,
                                        send_options options = {});
  /// Sends `req` to `url` (`http://host[:port][/target]` or `https://...`, default ports 80 and
  /// 443); the URL's path and query replace `req.target`. Errors: a URL that is neither
  /// throws `std::invalid_argument`.
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

}  // namespace ctxflow::integrations::http
