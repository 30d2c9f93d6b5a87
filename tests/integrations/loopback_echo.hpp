// SPDX-License-Identifier: Apache-2.0
// A loopback TCP echo server for the Asio tests: listens on 127.0.0.1 (ephemeral port) and echoes
// every byte back, one plain Asio coroutine per connection (no ctxflow involvement, so what the
// tests observe comes from the code under test only).
#pragma once

#include <cstdint>
#include <memory>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace ctxflow::test {

/// Thread safety: stop() (and the destructor) may be called from any thread, also while the
/// io_context runs on others: the acceptor is only touched on its strand.
class loopback_echo {
 public:
  explicit loopback_echo(boost::asio::io_context& io)
      : port_(0),
        acceptor_(std::make_shared<boost::asio::ip::tcp::acceptor>(
            boost::asio::make_strand(io),
            boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0))) {
    port_ = acceptor_->local_endpoint().port();
    boost::asio::co_spawn(acceptor_->get_executor(), accept(acceptor_, io.get_executor()),
                          boost::asio::detached);
  }
  ~loopback_echo() { stop(); }
  std::uint16_t port() const { return port_; }
  /// Stops accepting (echo sessions end when their clients close). The close runs on the
  /// acceptor's strand, so it never overlaps the accept loop on another thread.
  void stop() {
    boost::asio::post(acceptor_->get_executor(), [a = acceptor_] {
      boost::system::error_code ignored;
      a->close(ignored);
    });
  }

 private:
  using acceptor_type = boost::asio::ip::tcp::acceptor;
  static boost::asio::awaitable<void> accept(std::shared_ptr<acceptor_type> a,
                                             boost::asio::io_context::executor_type sessions) {
    for (;;) {
      boost::system::error_code ec;
      // Sessions get the io_context's own executor, so they run in parallel.
      auto socket = co_await a->async_accept(
          sessions, boost::asio::redirect_error(boost::asio::use_awaitable, ec));
      if (ec) co_return;
      boost::asio::co_spawn(sessions, echo(std::move(socket)), boost::asio::detached);
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

  std::uint16_t port_;
  std::shared_ptr<acceptor_type> acceptor_;
};

}  // namespace ctxflow::test
