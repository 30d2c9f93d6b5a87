// SPDX-License-Identifier: Apache-2.0
// http_client: Beast over a pool of keep-alive TCP connections; one CLIENT span per attempt with
// the semantic-convention name and attributes, the context injected into the request (R9.1,
// R9.2, R9.5).
#include "ctxflow/integrations/http/http_client.hpp"

#include <atomic>
#include <map>
#include <mutex>
#include <stdexcept>
#include <utility>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "ctxflow/context/context.hpp"
#include "ctxflow/integrations/asio/co_spawn.hpp"
#include "ctxflow/integrations/http/beast_fields.hpp"
#include "ctxflow/propagation/global.hpp"
#include "ctxflow/trace/span.hpp"
#include "integrations/http/semconv.hpp"

namespace ctxflow::http {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

namespace {

struct connection {
  explicit connection(const net::any_io_executor& ex) : stream(ex) {}
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
};

using peer_key = std::pair<std::string, std::uint16_t>;

/// A low-cardinality `error.type` for a transport failure (R9.5).
std::string_view error_type_of(const boost::system::error_code& ec) noexcept {
  if (ec == beast::error::timeout) return "timeout";
  if (ec == net::error::connection_refused) return "connection_refused";
  if (ec == net::error::connection_reset || ec == net::error::broken_pipe) return "connection_reset";
  if (ec == net::error::eof || ec == beast::http::error::end_of_stream) return "connection_closed";
  if (ec == net::error::host_not_found) return "host_not_found";
  if (ec.category() == beast::http::make_error_code(beast::http::error::bad_version).category())
    return "invalid_response";
  return "transport_error";
}

/// A failure of a reused connection that the peer closed while it sat in the pool.
bool is_stale(const boost::system::error_code& ec) noexcept {
  return ec == net::error::eof || ec == beast::http::error::end_of_stream ||
         ec == net::error::connection_reset || ec == net::error::broken_pipe ||
         ec == net::error::connection_aborted;
}

}  // namespace

struct http_client::impl {
  impl(net::any_io_executor e, client_options o) : ex(std::move(e)), options(std::move(o)) {}

  std::unique_ptr<connection> take(const peer_key& key) {
    std::lock_guard lock(mu);
    auto it = idle.find(key);
    while (it != idle.end() && !it->second.empty()) {
      std::unique_ptr<connection> c = std::move(it->second.back());
      it->second.pop_back();
      if (c->stream.socket().is_open()) return c;
    }
    return nullptr;
  }
  void give_back(const peer_key& key, std::unique_ptr<connection> c) {
    std::lock_guard lock(mu);
    auto& list = idle[key];
    if (list.size() < options.max_idle_per_peer) list.push_back(std::move(c));
  }

  net::any_io_executor ex;
  client_options options;
  mutable std::mutex mu;
  std::map<peer_key, std::vector<std::unique_ptr<connection>>> idle;  // guarded by mu
  std::atomic<std::size_t> opened{0};
};

http_client::http_client(net::any_io_executor ex, client_options options)
    : impl_(std::make_shared<impl>(asio_integration::unwrap_executor(ex), std::move(options))) {}

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
  std::map<peer_key, std::vector<std::unique_ptr<connection>>> drop;
  {
    std::lock_guard lock(impl_->mu);
    drop.swap(impl_->idle);
  }
  for (auto& [key, list] : drop)
    for (auto& c : list) {
      boost::system::error_code ignored;
      c->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
      c->stream.socket().close(ignored);
    }
}

net::awaitable<response> http_client::send(std::string_view url, request req,
                                           send_options options) {
  auto parsed = detail::parse_http_url(url);
  if (!parsed) throw std::invalid_argument("ctxflow::http::http_client: not an http:// URL");
  req.target = parsed->target;
  return send(std::move(parsed->host), parsed->port, std::move(req), std::move(options));
}

namespace {
/// The arguments of one send(), kept together on the heap for the coroutine.
struct send_state {
  std::string host;
  std::uint16_t port;
  request req;
  send_options options;
};
net::awaitable<response> send_attempts(std::shared_ptr<http_client::impl> self,
                                       std::shared_ptr<send_state> state);
}  // namespace

net::awaitable<response> http_client::send(std::string host, std::uint16_t port, request req,
                                           send_options options) {
  auto state = std::make_shared<send_state>(
      send_state{std::move(host), port, std::move(req), std::move(options)});
  return send_attempts(impl_, std::move(state));
}

namespace {
net::awaitable<response> send_attempts(std::shared_ptr<http_client::impl> self,
                                       std::shared_ptr<send_state> state) {
  const std::string& host = state->host;
  const std::uint16_t port = state->port;
  request& req = state->req;
  const send_options& options = state->options;
  const peer_key key{host, port};
  const bool known = detail::is_known_method(req.method);
  const std::string name = detail::span_name(req.method, options.url_template);
  const std::string url = detail::full_url(host, port, req.target);

  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<connection> conn = self->take(key);
    const bool reused = conn != nullptr;

    // Attributes known before the request is sent go in at start, for samplers (R9.2).
    std::vector<trace::attribute_kv> start_attributes = {
        {detail::attr::request_method, known ? std::string_view(req.method) : "_OTHER"},
        {detail::attr::server_address, std::string_view(host)},
        {detail::attr::server_port, static_cast<std::int64_t>(port)},
        {detail::attr::url_full, std::string_view(url)},
        {detail::attr::protocol_version, "1.1"},
    };
    if (!known) start_attributes.push_back({detail::attr::request_method_original, req.method});
    if (attempt > 0)
      start_attributes.push_back({detail::attr::resend_count, static_cast<std::int64_t>(attempt)});
    trace::start_options so;
    so.kind = trace::span_kind::client;
    so.attributes = start_attributes;
    trace::span_guard span(self->options.tracer.start_span(name, so));

    boost::system::error_code failure;
    bool response_started = false;
    response out;
    try {
      if (!conn) {
        conn = std::make_unique<connection>(self->ex);
        conn->stream.expires_after(self->options.timeout);
        boost::system::error_code parse_error;
        const auto address = net::ip::make_address(host, parse_error);
        if (!parse_error) {
          co_await conn->stream.async_connect(tcp::endpoint(address, port), net::use_awaitable);
        } else {
          tcp::resolver resolver(self->ex);
          auto results =
              co_await resolver.async_resolve(host, std::to_string(port), net::use_awaitable);
          co_await conn->stream.async_connect(results, net::use_awaitable);
        }
        self->opened.fetch_add(1, std::memory_order_relaxed);
      }

      detail::beast_request breq;
      const auto verb = beast::http::string_to_verb(req.method);
      if (verb == beast::http::verb::unknown)
        breq.method_string(req.method);
      else
        breq.method(verb);
      breq.target(req.target);
      breq.version(11);
      for (const auto& [n, v] : req.headers) breq.insert(n, v);
      if (breq.find(beast::http::field::host) == breq.end())
        breq.set(beast::http::field::host, host + ":" + std::to_string(port));
      breq.body() = req.body;  // copied: a second attempt sends it again
      breq.prepare_payload();
      breq.keep_alive(true);
      // The current context with this attempt's span, into the headers (R9.2).
      propagation::inject(*propagation::global_propagator(),
                          trace::context_with_span(ctxflow::context::current(), span.get()), breq,
                          beast_fields_text_map{});

      conn->stream.expires_after(self->options.timeout);
      co_await beast::http::async_write(conn->stream, breq, net::use_awaitable);

      detail::beast_response bres;
      beast::http::response_parser<beast::http::string_body> parser;
      parser.body_limit(64u * 1024u * 1024u);
      co_await beast::http::async_read_header(conn->stream, conn->buffer, parser,
                                              net::use_awaitable);
      response_started = true;
      co_await beast::http::async_read(conn->stream, conn->buffer, parser, net::use_awaitable);
      bres = parser.release();
      conn->stream.expires_never();

      out.status = static_cast<int>(bres.result_int());
      for (const auto& field : bres)
        out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
      out.body = std::move(bres.body());
      const bool keep = bres.keep_alive();
      if (keep)
        self->give_back(key, std::move(conn));
      else
        conn->stream.socket().close(failure);
      failure = {};
    } catch (const boost::system::system_error& e) {
      failure = e.code();
      if (!failure) failure = net::error::fault;
    }

    if (failure) {
      span->set_attribute(detail::attr::error_type, error_type_of(failure));
      span->set_status(trace::status_code::error, failure.message());
      if (conn) {
        boost::system::error_code ignored;
        conn->stream.socket().close(ignored);
      }
      // A pooled connection the peer had closed: try once more on a fresh one (a new attempt).
      if (reused && attempt == 0 && !response_started && is_stale(failure)) continue;
      throw boost::system::system_error(failure);
    }

    span->set_attribute(detail::attr::response_status_code, static_cast<std::int64_t>(out.status));
    if (out.status >= 400) {  // client spans: 4xx and 5xx are errors (R9.5)
      const std::string code = std::to_string(out.status);
      span->set_attribute(detail::attr::error_type, std::string_view(code));
      span->set_status(trace::status_code::error);
    }
    co_return out;
  }
}
}  // namespace

}  // namespace ctxflow::http
