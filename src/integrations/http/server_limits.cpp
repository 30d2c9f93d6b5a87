// SPDX-License-Identifier: Apache-2.0
// http_server: the limits and the error answers. The default connection bound from the
// descriptor limit, what a failed read or accept means, the 503 for a connection beyond the
// bound, the rate-limited accept-failure report, and the answer (413, 431, 400) to a request
// that fails its read, sent before the connection closes.
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <utility>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/write.hpp>

#include "ctxflow/context/diagnostics.hpp"
#include "integrations/http/server_state.hpp"

namespace ctxflow::integrations::http {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;
using detail::set_deadline;

namespace {

constexpr std::size_t linger_bytes = 256 * 1024;
constexpr std::chrono::milliseconds linger_time{1000};
constexpr auto report_interval = std::chrono::minutes(1);

}  // namespace

std::size_t default_max_connections() noexcept {
  constexpr rlim_t cap = rlim_t{1} << 20;
  rlimit limit{};
  rlim_t soft = 1024;
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) soft = limit.rlim_cur;
  if (soft == RLIM_INFINITY || soft > cap) soft = cap;
  const rlim_t reserve = std::max<rlim_t>(32, soft / 4);
  return soft > reserve ? static_cast<std::size_t>(soft - reserve) : std::size_t{1};
}

namespace detail {

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

}  // namespace detail

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
          "ctxflow::integrations::http::http_server on port %u: accept failed (%s, %zu in a row); "
          "retrying with a back-off of up to 1 s",
          static_cast<unsigned>(bound_port), ec.message().c_str(), failures);
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

}  // namespace ctxflow::integrations::http
