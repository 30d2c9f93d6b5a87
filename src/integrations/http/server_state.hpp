// SPDX-License-Identifier: Apache-2.0
// Private to http_server: one accepted connection, the server's state, and the limits and error
// answers the connection coroutines share. The server's parts:
//   http_server.cpp        construction, start, stop, shutdown with its drain
//   server_connection.cpp  the accept loop and each connection's coroutine (reading requests
//                          under the head/body limits and deadlines)
//   server_request.cpp     serving one request inside a SERVER span
//   server_limits.cpp      the connection bound, accept back-off reports and error answers
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include "integrations/http/cancellation.hpp"
#if CTXFLOW_HTTP_CANCELLATION_SLOTS
#include <boost/asio/cancellation_signal.hpp>
#endif
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "ctxflow/integrations/http/http_server.hpp"
#include "integrations/http/semconv.hpp"

namespace ctxflow::integrations::http {

namespace detail {

using strand_type = boost::asio::strand<boost::asio::any_io_executor>;
using server_clock = std::chrono::steady_clock;

/// Where a connection's coroutine is; shutdown() closes the `idle` ones at once.
enum class phase : std::uint8_t { idle, reading, handling };

/// One accepted connection. Its socket, `stage`, `finished` and `cancel` are only touched on
/// its strand (the connection's coroutine, shutdown(), stop() and the drain all run there).
struct connection_state {
  using tcp = boost::asio::ip::tcp;
  connection_state(strand_type st, tcp::socket s) : strand(std::move(st)), stream(std::move(s)) {}
  strand_type strand;
  boost::beast::tcp_stream stream;
#if CTXFLOW_HTTP_CANCELLATION_SLOTS
  /// Bound to the coroutine's completion token: terminal cancellation reaches the handler and
  /// the operation it awaits.
  boost::asio::cancellation_signal cancel;
#endif
  phase stage = phase::idle;
  bool finished = false;
  void close() noexcept {
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.socket().close(ignored);
  }
  /// Cancels the coroutine (terminal) and closes the socket, unless it has already finished.
  /// Before Boost 1.77 coroutines cannot be cancelled: closing the socket ends the connection's
  /// reads and writes, and a handler runs until it returns.
  void abort() noexcept {
    if (finished) return;
#if CTXFLOW_HTTP_CANCELLATION_SLOTS
    cancel.emit(boost::asio::cancellation_type::terminal);
#endif
    close();
  }
};

/// `timeout` from now, or never for zero or less.
void set_deadline(boost::beast::tcp_stream& stream, std::chrono::milliseconds timeout);

/// Parser errors that mean the peer went away (or the read was ended), not a bad request.
bool is_disconnect(const boost::system::error_code& ec);

/// The answer to a request that fails its read, or 0 to close without one.
unsigned status_for_read_error(const boost::system::error_code& ec);

/// Accept failures that concern one peer only; the next accept may succeed at once.
bool is_peer_failure(const boost::system::error_code& ec);

}  // namespace detail

struct http_server::impl {
  using tcp = boost::asio::ip::tcp;
  using connection_state = detail::connection_state;
  using strand_type = detail::strand_type;
  using clock = detail::server_clock;

  /// Opens, binds and listens (throws when it cannot). In http_server.cpp.
  impl(boost::asio::any_io_executor e, request_handler h, server_options o);

  // `keep` holds this object for the coroutine's whole life (frames copy their parameters).
  boost::asio::awaitable<void> accept_loop(std::shared_ptr<impl> keep);
  boost::asio::awaitable<void> serve(std::shared_ptr<impl> keep,
                                     std::shared_ptr<connection_state> conn);
  boost::asio::awaitable<bool> serve_request(connection_state& conn, detail::beast_request& breq,
                                     const tcp::endpoint& local, const tcp::endpoint& remote);
  boost::asio::awaitable<void> answer_and_close(connection_state& conn, unsigned status);

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
      boost::asio::post(conn->strand, [conn, f]() mutable { f(*conn); });
  }

  boost::asio::any_io_executor ex;
  request_handler handler;
  server_options options;
  std::size_t max_connections;
  strand_type acceptor_strand;
  tcp::acceptor acceptor;           // used on acceptor_strand only
  boost::asio::steady_timer backoff_timer;  // used on acceptor_strand only
  boost::asio::steady_timer drain_timer;    // used on acceptor_strand only
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

}  // namespace ctxflow::integrations::http
