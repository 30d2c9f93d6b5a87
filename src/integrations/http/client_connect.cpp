// SPDX-License-Identifier: Apache-2.0
// http_client: a new connection for a send(). A name is resolved while the send waits on a
// timer that its deadline and cancellation can end (the resolver finishes in the background);
// an address literal is connected to directly.
#include "integrations/http/client_connect.hpp"

#include <chrono>
#include <string>
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "integrations/http/client_errors.hpp"

namespace ctxflow::integrations::http::detail {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using boost::system::error_code;

namespace {

/// The result of a name resolution, filled on the strand when it completes.
struct resolve_result {
  error_code ec;
  tcp::resolver::results_type endpoints;
  bool done = false;
};

/// The host's endpoints, by a resolution that the deadline and the caller's cancellation can
/// abandon.
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
  // The handler and this coroutine both run on the strand (co_spawn keeps the strand as the
  // coroutine's executor), so `done` is read and written on it only. A resolution that has
  // already finished is not waited for: its cancel() found no wait to end.
  if (!result->done) {
    error_code ec;
    ctl->resolve_wait.expires_at(std::chrono::steady_clock::time_point::max());
    co_await ctl->resolve_wait.async_wait(ctl->token(ec));
    ctl->release();
  }
  ctl->check("resolving the host name");
  if (!result->done)  // not reached: the wait ends by the resolution or by a stop
    throw transport_failure(net::error::operation_aborted,
                            "ctxflow::integrations::http::http_client: resolving " + host +
                                " was interrupted",
                            "transport_error");
  if (result->ec)
    throw transport_failure(result->ec,
                            "ctxflow::integrations::http::http_client: resolving " + host +
                                " failed",
                            error_type_of(result->ec));
  co_return result->endpoints;
}

}  // namespace

net::awaitable<std::unique_ptr<connection>> open_connection(http_client::impl& self,
                                                            const send_state& state,
                                                            const std::shared_ptr<control>& ctl) {
  const std::string& host = state.host;
  std::unique_ptr<connection> conn;
  if (state.options.tls)
    conn = std::make_unique<connection>(self.ex, self.tls_context());
  else
    conn = std::make_unique<connection>(self.ex);
  ctl->watch(&conn->socket());

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

  if (conn->tls)
    co_await tls_handshake(*conn, host, parse_error.failed(), self.options.verify_peer, *ctl);
  co_return conn;
}

}  // namespace ctxflow::integrations::http::detail
