// SPDX-License-Identifier: Apache-2.0
// http_server: connection handling. The accept loop (with the connection bound and a back-off
// when accepting fails for want of resources) and one coroutine per connection
// (integrations::asio::co_spawn on a strand, starting from the empty context, with a
// cancellation signal of its own), which reads each request under the head/body limits and
// deadlines and hands it to serve_request().
#include <algorithm>
#include <exception>
#include <limits>
#include <utility>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>

#include "ctxflow/context/context.hpp"
#include "ctxflow/integrations/asio/co_spawn.hpp"
#include "ctxflow/propagation/text_map.hpp"
#include "integrations/http/server_state.hpp"

#if CTXFLOW_HTTP_CANCELLATION_SLOTS
#include <boost/asio/bind_cancellation_slot.hpp>
#endif

namespace ctxflow::integrations::http {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;
using detail::connection_state;
using detail::is_peer_failure;
using detail::phase;
using detail::set_deadline;
using detail::status_for_read_error;

namespace {

constexpr std::chrono::milliseconds first_backoff{10};
constexpr std::chrono::milliseconds last_backoff{1000};

}  // namespace

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
    // bound to the completion token, so integrations::asio::co_spawn hands it to the coroutine:
    // emitting it cancels whatever the coroutine (the handler included) awaits.
#if CTXFLOW_HTTP_CANCELLATION_SLOTS
    integrations::asio::co_spawn(
        conn->strand, ctxflow::context(), serve(keep, conn),
        net::bind_cancellation_slot(conn->cancel.slot(),
                                    [keep, conn](std::exception_ptr) { finished(keep, conn); }));
#else
    integrations::asio::co_spawn(conn->strand, ctxflow::context(), serve(keep, conn),
                                 [keep, conn](std::exception_ptr) { finished(keep, conn); });
#endif
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

}  // namespace ctxflow::integrations::http
