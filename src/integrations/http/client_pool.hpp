// SPDX-License-Identifier: Apache-2.0
// Private to http_client: a pooled connection (TCP, or TLS over TCP) and the client's state, the
// pool of idle keep-alive connections per peer and the TLS context made on first use.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <openssl/x509_vfy.h>

#include "ctxflow/integrations/http/http_client.hpp"

namespace ctxflow::integrations::http {

namespace detail {

/// A pooled connection: a TCP socket, or a TLS stream over one.
struct connection {
  using tcp = boost::asio::ip::tcp;

  explicit connection(const boost::asio::any_io_executor& ex) : plain(std::in_place, ex) {}
  connection(const boost::asio::any_io_executor& ex, boost::asio::ssl::context& ctx)
      : tls(std::in_place, ex, ctx) {}
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  tcp::socket& socket() { return tls ? tls->next_layer() : *plain; }
  void close() noexcept;

  std::optional<tcp::socket> plain;
  std::optional<boost::asio::ssl::stream<tcp::socket>> tls;
  boost::beast::flat_buffer buffer;
  /// What the certificate verification found wrong (filled during the handshake).
  int verify_error = X509_V_OK;
  int verify_depth = 0;
  bool host_mismatch = false;
  std::string verify_subject;
};

/// (tls, host, port): TLS and plain connections to the same address are never mixed.
using peer_key = std::tuple<bool, std::string, std::uint16_t>;

}  // namespace detail

struct http_client::impl {
  impl(boost::asio::any_io_executor e, client_options o)
      : ex(std::move(e)), options(std::move(o)) {}

  /// An idle connection to the peer that is still open, or null.
  std::unique_ptr<detail::connection> take(const detail::peer_key& key);
  /// Keeps the connection for reuse, unless the peer has max_idle_per_peer already.
  void give_back(const detail::peer_key& key, std::unique_ptr<detail::connection> c);

  /// The TLS context, made on first use (loading the system store takes a few milliseconds).
  /// Throws detail::transport_failure when the CA file cannot be loaded. In client_tls.cpp.
  boost::asio::ssl::context& tls_context();

  boost::asio::any_io_executor ex;
  client_options options;
  mutable std::mutex mu;
  std::map<detail::peer_key, std::vector<std::unique_ptr<detail::connection>>> idle;  // mu
  std::atomic<std::size_t> opened{0};

  std::once_flag tls_once;
  std::unique_ptr<boost::asio::ssl::context> tls_ctx;  // set once, under tls_once
  boost::system::error_code tls_error;
  std::string tls_error_what;
};

}  // namespace ctxflow::integrations::http
