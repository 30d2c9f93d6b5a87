// SPDX-License-Identifier: Apache-2.0
// http_client: the pool of idle keep-alive connections, and the client's own members that read
// or empty it.
#include "integrations/http/client_pool.hpp"

#include <utility>

#include "ctxflow/integrations/asio/co_spawn.hpp"

namespace ctxflow::integrations::http {

namespace net = boost::asio;

void detail::connection::close() noexcept {
  boost::system::error_code ignored;
  socket().shutdown(tcp::socket::shutdown_both, ignored);
  socket().close(ignored);
}

std::unique_ptr<detail::connection> http_client::impl::take(const detail::peer_key& key) {
  std::lock_guard lock(mu);
  auto it = idle.find(key);
  while (it != idle.end() && !it->second.empty()) {
    std::unique_ptr<detail::connection> c = std::move(it->second.back());
    it->second.pop_back();
    if (c->socket().is_open()) return c;
  }
  return nullptr;
}

void http_client::impl::give_back(const detail::peer_key& key,
                                  std::unique_ptr<detail::connection> c) {
  std::lock_guard lock(mu);
  auto& list = idle[key];
  if (list.size() < options.max_idle_per_peer) list.push_back(std::move(c));
}

http_client::http_client(net::any_io_executor ex, client_options options)
    : impl_(std::make_shared<impl>(integrations::asio::unwrap_executor(ex), std::move(options))) {}

http_client::~http_client() { close_idle(); }

std::size_t http_client::idle_connections() const {
  std::lock_guard lock(impl_->mu);
  std::size_t n = 0;
  for (const auto& [key, list] : impl_->idle) n += list.size();
  return n;
}

std::size_t http_client::connections_opened() const {
  return impl_->opened.load(std::memory_order_relaxed);
}

void http_client::close_idle() {
  std::map<detail::peer_key, std::vector<std::unique_ptr<detail::connection>>> drop;
  {
    std::lock_guard lock(impl_->mu);
    drop.swap(impl_->idle);
  }
  for (auto& [key, list] : drop)
    for (auto& c : list) c->close();
}

}  // namespace ctxflow::integrations::http
