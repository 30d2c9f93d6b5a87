// SPDX-License-Identifier: Apache-2.0
// http_server: one request. The whole remote context is extracted from the headers and made
// current, and the handler runs inside a SERVER span with the semantic-convention name and
// attributes (R9.3, R9.5); its answer (500 when it throws) is written back.
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/write.hpp>

#include "ctxflow/context/context.hpp"
#include "ctxflow/context/scope.hpp"
#include "ctxflow/integrations/http/beast_fields.hpp"
#include "ctxflow/macros.hpp"
#include "ctxflow/propagation/global.hpp"
#include "ctxflow/trace/span.hpp"
#include "integrations/http/server_state.hpp"

namespace ctxflow::integrations::http {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;
using detail::connection_state;
using detail::set_deadline;

net::awaitable<bool> http_server::impl::serve_request(connection_state& conn,
                                                      detail::beast_request& breq,
                                                      const tcp::endpoint& local,
                                                      const tcp::endpoint& remote) {
  const std::string method(breq.method_string());
  const std::string target(breq.target());
  const std::size_t q = target.find('?');
  const std::string path = target.substr(0, q);
  const std::string query = q == std::string::npos ? std::string() : target.substr(q + 1);
  const std::string route = options.route ? options.route(method, path) : std::string();
  const bool known = detail::is_known_method(method);
  const std::string local_address = local.address().to_string();
  const std::string peer_address = remote.address().to_string();
  std::string server_address = local_address;
  std::int64_t server_port = local.port();
  if (auto host = breq.find(beast::http::field::host); host != breq.end()) {
    const std::string_view h(host->value().data(), host->value().size());
    const std::size_t colon = h.rfind(':');
    if (colon != std::string_view::npos && h.find(']') == std::string_view::npos) {
      server_address = std::string(h.substr(0, colon));
    } else {
      server_address = std::string(h);
    }
  }
  std::string user_agent;
  if (auto ua = breq.find(beast::http::field::user_agent); ua != breq.end())
    user_agent = std::string(ua->value());

  // The whole remote context: span context, baggage and whatever else the global propagator's
  // members extract. It is current for the whole request, so the handler's outgoing calls carry
  // it on. Extracted into the empty context: nothing of an earlier request on this connection
  // survives. A missing or malformed traceparent leaves no span, so the SERVER span starts a new
  // trace (R2.11, R9.3).
  const ctxflow::context extracted = propagation::extract(
      *propagation::global_propagator(), ctxflow::context(), breq, beast_fields_text_map{});
  const ctxflow::scope remote_scope(extracted);

  std::vector<trace::attribute_kv> start_attributes = {
      {detail::attr::request_method, known ? std::string_view(method) : "_OTHER"},
      {detail::attr::url_path, std::string_view(path)},
      {detail::attr::url_scheme, "http"},
      {detail::attr::server_address, std::string_view(server_address)},
      {detail::attr::server_port, server_port},
      {detail::attr::client_address, std::string_view(peer_address)},
      {detail::attr::client_port, static_cast<std::int64_t>(remote.port())},
      {detail::attr::peer_address, std::string_view(peer_address)},
      {detail::attr::peer_port, static_cast<std::int64_t>(remote.port())},
      {detail::attr::protocol_version, detail::protocol_version(breq.version())},
  };
  if (!known) start_attributes.push_back({detail::attr::request_method_original, method});
  if (!query.empty()) start_attributes.push_back({detail::attr::url_query, query});
  if (!route.empty()) start_attributes.push_back({detail::attr::route, route});
  if (!user_agent.empty()) start_attributes.push_back({detail::attr::user_agent, user_agent});
  trace::start_options so;
  so.kind = trace::span_kind::server;
  so.parent = extracted;
  so.attributes = start_attributes;
  // Current for the whole handling, across every co_await of the handler (C5), on top of the
  // extracted context.
  auto span = options.tracer.start_as_current_span(detail::span_name(method, route), so);

  request req;
  req.method = method;
  req.target = target;
  for (const auto& field : breq)
    req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  req.body = std::move(breq.body());

  response res;
  std::exception_ptr failure;
  CTXFLOW_TRY {
    res = co_await handler(std::move(req));
  } CTXFLOW_CATCH_ALL {
    failure = std::current_exception();
  }
  if (failure) {
    span->record_exception(failure);
    res = response{};
    res.status = 500;
    res.body = "internal server error";
  }
  if (res.status < 100 || res.status > 999) res.status = 500;

  span->set_attribute(detail::attr::response_status_code, static_cast<std::int64_t>(res.status));
  if (res.status >= 500) {  // server spans: only 5xx is an error (R9.5)
    const std::string code = std::to_string(res.status);
    span->set_attribute(detail::attr::error_type, std::string_view(code));
    span->set_status(trace::status_code::error);
  }

#if CTXFLOW_HTTP_CANCELLATION_SLOTS
  // A cancelled handler (shutdown's drain ran out) leaves the coroutine cancelled; the answer
  // is still attempted (the socket is usually closed by then), not thrown away at the co_await.
  co_await net::this_coro::reset_cancellation_state();
#endif

  detail::beast_response bres;
  bres.result(static_cast<unsigned>(res.status));
  bres.version(breq.version());
  for (const auto& [n, v] : res.headers) bres.insert(n, v);
  bres.body() = std::move(res.body);
  // During a shutdown every answer closes its connection.
  const bool keep = breq.keep_alive() && !draining.load(std::memory_order_acquire);
  bres.keep_alive(keep);
  bres.prepare_payload();
  boost::system::error_code ec;
  set_deadline(conn.stream, options.write_timeout);
  co_await beast::http::async_write(conn.stream, bres, net::redirect_error(net::use_awaitable, ec));
  served.fetch_add(1, std::memory_order_relaxed);
  co_return keep && !ec && !draining.load(std::memory_order_acquire);
}

}  // namespace ctxflow::integrations::http
