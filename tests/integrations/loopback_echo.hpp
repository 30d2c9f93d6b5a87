// SPDX-License-Identifier: Apache-2.0
// A loopback TCP echo server for the Asio tests: listens on 127.0.0.1 (ephemeral port) and echoes
// every byte back, one plain Asio coroutine per connection (no ctxflow involvement, so what the
// tests observe comes from the code under test only).
#pragma once

#include <cstdint>
#include <memory>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace ctxflow::test {

class loopback_echo {
 public:
  explicit loopback_echo(boost::asio::io_context& io)
      : acceptor_(std::make_shared<boost::asio::ip::tcp::acceptor>(
            io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0))) {
    boost::asio::co_spawn(io, accept(acceptor_), boost::asio::detached);
  }
  ~loopback_echo() { stop(); }
  std::uint16_t port() const { return acceptor_->local_endpoint().port(); }
  /// Stops accepting (echo sessions end when their clients close).
  void stop() {
    boost::system::error_code ignored;
    acceptor_->close(ignored);
  }

 private:
  static boost::asio::awaitable<void> accept(std::shared_ptr<boost::asio::ip::tcp::acceptor> a) {
    for (;;) {
      boost::system::error_code ec;
      auto socket = co_await a->async_accept(
          boost::asio::redirect_error(boost::asio::use_awaitable, ec));
      if (ec) co_return;
      boost::asio::co_spawn(a->get_executor(), echo(std::move(socket)), boost::asio::detached);
    }
  }
  static boost::asio::awaitable<void> echo(boost::asio::ip::tcp::socket s) {
    char data[1024];
    for (;;) {
      boost::system::error_code ec;
      const std::size_t n = co_await s.async_read_some(
          boost::asio::buffer(data), boost::asio::redirect_error(boost::asio::use_awaitable, ec));
      if (ec) co_return;
      co_await boost::asio::async_write(s, boost::asio::buffer(data, n),
                                        boost::asio::redirect_error(boost::asio::use_awaitable, ec));
      if (ec) co_return;
    }
  }

  std::shared_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
};

}  // namespace ctxflow::test
