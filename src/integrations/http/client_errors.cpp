// SPDX-License-Identifier: Apache-2.0
// http_client: the `error.type` of a transport failure (R9.5) and which failures of a pooled
// connection mean the peer had closed it.
#include "integrations/http/client_errors.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>

namespace ctxflow::integrations::http::detail {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
using boost::system::error_code;

namespace {

bool is_http_error(const error_code& ec) noexcept {
  return ec.category() == beast::http::make_error_code(beast::http::error::bad_version).category();
}

}  // namespace

std::string_view error_type_of(const error_code& ec) noexcept {
  if (ec == net::error::timed_out || ec == beast::error::timeout) return "timeout";
  if (ec == net::error::operation_aborted) return "cancelled";
  if (ec == net::error::connection_refused) return "connection_refused";
  if (ec == net::error::connection_reset || ec == net::error::broken_pipe)
    return "connection_reset";
  if (ec == net::error::eof || ec == beast::http::error::end_of_stream ||
      ec == beast::http::error::partial_message || ec == ssl::error::stream_truncated)
    return "connection_closed";
  if (ec == net::error::host_not_found || ec == net::error::host_not_found_try_again)
    return "host_not_found";
  if (ec == beast::http::error::body_limit || ec == beast::http::error::header_limit ||
      ec == beast::http::error::buffer_overflow)
    return "response_too_large";
  if (is_http_error(ec)) return "invalid_response";
  return "transport_error";
}

bool is_stale(const error_code& ec) noexcept {
  return ec == net::error::eof || ec == beast::http::error::end_of_stream ||
         ec == net::error::connection_reset || ec == net::error::broken_pipe ||
         ec == net::error::connection_aborted || ec == ssl::error::stream_truncated;
}

}  // namespace ctxflow::integrations::http::detail
