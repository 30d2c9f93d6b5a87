// SPDX-License-Identifier: Apache-2.0
// http_server: construction, start, and the two ways to end. stop() closes everything now;
// shutdown() stops accepting, closes idle connections, lets requests in progress finish within
// drain_timeout and then aborts the rest; wait_for_shutdown() waits for the last connection.
// How a connection is served is in server_connection.cpp.
#include "ctxflow/integrations/http/http_server.hpp"

#include <exception>
#include <utility>

#include <boost/asio/ip/address.hpp>

#include "ctxflow/context/context.hpp"
#include "ctxflow/integrations/asio/co_spawn.hpp"
#include "integrations/http/server_state.hpp"

namespace ctxflow::integrations::http {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using detail::connection_state;
using detail::phase;

http_server::impl::impl(net::any_io_executor e, request_handler h, server_options o)
    : ex(integrations::asio::unwrap_executor(e)),
      handler(std::move(h)),
      options(std::move(o)),
      max_connections(options.max_connections ? options.max_connections
                                              : default_max_connections()),
      acceptor_strand(net::make_strand(ex)),
      acceptor(acceptor_strand),
      backoff_timer(acceptor_strand),
      drain_timer(acceptor_strand) {
  const tcp::endpoint endpoint(net::ip::make_address(options.address), options.port);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(net::socket_base::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen(net::socket_base::max_listen_connections);
  bound_port = acceptor.local_endpoint().port();
}

void http_server::impl::close_listener() noexcept {
  boost::system::error_code ignored;
  acceptor.close(ignored);
  backoff_timer.cancel();
}

std::vector<std::shared_ptr<connection_state>> http_server::impl::open_connections() {
  std::lock_guard lock(mu);
  return {connections.begin(), connections.end()};
}

void http_server::impl::finished(const std::shared_ptr<impl>& self,
                                  const std::shared_ptr<connection_state>& conn) {
  conn->finished = true;  // on the connection's strand: the completion handler runs there
  bool none_left = false;
  {
    std::lock_guard lock(self->mu);
    self->connections.erase(conn);
    self->active.fetch_sub(1, std::memory_order_release);
    none_left = self->connections.empty();
  }
  self->all_done.notify_all();
  if (none_left && self->draining.load(std::memory_order_acquire)) {
    // Nothing left to drain: the drain timer must not keep the io_context busy.
    net::post(self->acceptor_strand, [self] { self->drain_timer.cancel(); });
  }
}

http_server::http_server(net::any_io_executor ex, request_handler handler, server_options options)
    : impl_(std::make_shared<impl>(std::move(ex), std::move(handler), std::move(options))) {}

http_server::~http_server() { stop(); }

void http_server::start() {
  if (impl_->started.exchange(true)) return;
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->draining.load(std::memory_order_acquire)) return;
    impl_->accepting = true;
  }
  integrations::asio::co_spawn(impl_->acceptor_strand, ctxflow::context(),
                               impl_->accept_loop(impl_), [keep = impl_](std::exception_ptr) {
                                 // The loop ended by an exception (allocation failure): the
                                 // listener is closed so that shutdown waits do not hang.
                                 std::lock_guard lock(keep->mu);
                                 if (keep->accepting) {
                                   keep->accepting = false;
                                   keep->close_listener();
                                 }
                                 keep->all_done.notify_all();
                               });
}

void http_server::stop() {
  if (impl_->stopping.exchange(true, std::memory_order_acq_rel)) return;
  impl_->draining.store(true, std::memory_order_release);
  auto self = impl_;
  net::post(self->acceptor_strand, [self] {
    self->close_listener();
    self->drain_timer.cancel();
  });
  self->for_each_connection([](connection_state& conn) { conn.abort(); });
}

void http_server::shutdown() {
  if (impl_->draining.exchange(true, std::memory_order_acq_rel)) return;
  auto self = impl_;
  net::post(self->acceptor_strand, [self] {
    self->close_listener();
    if (self->options.drain_timeout.count() <= 0 || self->open_connections().empty()) return;
    self->drain_timer.expires_after(self->options.drain_timeout);
    self->drain_timer.async_wait([self](const boost::system::error_code& ec) {
      if (ec) return;  // everything finished in time (or stop() came first)
      self->for_each_connection([](connection_state& conn) { conn.abort(); });
    });
  });
  // Connections waiting for a request are closed now; the others finish their request.
  self->for_each_connection([](connection_state& conn) {
    if (conn.stage == phase::idle) conn.close();
  });
}

bool http_server::wait_for_shutdown(std::chrono::milliseconds limit) {
  std::unique_lock lock(impl_->mu);
  return impl_->all_done.wait_for(lock, limit, [this] {
    return impl_->connections.empty() && !impl_->accepting;
  });
}

std::uint16_t http_server::port() const noexcept { return impl_->bound_port; }

std::size_t http_server::active_connections() const noexcept {
  return impl_->active.load(std::memory_order_acquire);
}

std::size_t http_server::requests_served() const noexcept {
  return impl_->served.load(std::memory_order_relaxed);
}

}  // namespace ctxflow::integrations::http
