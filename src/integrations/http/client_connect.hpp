// SPDX-License-Identifier: Apache-2.0
// Private to http_client: opening a new connection for a send() (resolve, connect, and for
// HTTPS the TLS handshake with SNI and certificate verification), each step under the send's
// deadline and cancellation.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "ctxflow/integrations/http/http_client.hpp"
#include "integrations/http/client_control.hpp"
#include "integrations/http/client_pool.hpp"

namespace ctxflow::integrations::http::detail {

/// The arguments of one send(), kept together on the heap for the coroutines.
struct send_state {
  std::string host;
  std::uint16_t port;
  request req;
  send_options options;
};

/// A new connection to the peer: resolve (names only), connect, and for TLS the handshake.
/// Throws transport_failure. In client_connect.cpp.
boost::asio::awaitable<std::unique_ptr<connection>> open_connection(
    http_client::impl& self, const send_state& state, const std::shared_ptr<control>& ctl);

/// The TLS handshake on a connected `conn`: SNI for names (never for address literals), and
/// when `verify_peer`, certificate verification that records what it found wrong. Throws
/// transport_failure (`certificate` or `tls_handshake`) and reports `http.client.tls_failed`.
/// In client_tls.cpp.
boost::asio::awaitable<void> tls_handshake(connection& conn, const std::string& host,
                                           bool host_is_name, bool verify_peer, control& ctl);

}  // namespace ctxflow::integrations::http::detail
