// SPDX-License-Identifier: Apache-2.0
// The W3C test service's request handler: parse the JSON list, call each URL in order.
#include "w3c_test_service/w3c_service.hpp"

#include <string>
#include <utility>
#include <vector>

#include <boost/version.hpp>
#if BOOST_VERSION >= 107700
#include <boost/asio/cancellation_state.hpp>
#endif
#include <boost/asio/this_coro.hpp>
#include <nlohmann/json.hpp>

namespace w3c_test_service {

namespace {

struct call {
  std::string url;
  std::string body;
};

boost::asio::awaitable<ctxflow::integrations::http::response> handle(
    std::shared_ptr<ctxflow::integrations::http::http_client> client,
    ctxflow::integrations::http::request req) {
  std::vector<call> calls;
  const nlohmann::json list = nlohmann::json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  bool valid = list.is_array();
  if (valid) {
    for (const auto& item : list) {
      if (!item.is_object() || !item.contains("url") || !item["url"].is_string()) {
        valid = false;
        break;
      }
      const nlohmann::json arguments = item.contains("arguments") ? item["arguments"] : nlohmann::json();
      calls.push_back({item["url"].get<std::string>(), arguments.dump()});
    }
  }
  if (!valid)
    co_return ctxflow::integrations::http::response{
        400, {}, "expected a JSON array of {url, arguments}"};
  for (const call& c : calls) {
    ctxflow::integrations::http::request out;
    out.method = "POST";
    out.headers = {{"Content-Type", "application/json"}};
    out.body = c.body;
    try {
      // The CLIENT span is the new child; http_client injects its context (R2.13-R2.15).
      (void)co_await client->send(c.url, std::move(out));
    } catch (const std::exception&) {
      // An unreachable or invalid URL fails that call only; the others still run.
    }
#if BOOST_VERSION >= 107700
    // Cancelled (the server's shutdown ran out of time): make no further calls.
    const boost::asio::cancellation_state state =
        co_await boost::asio::this_coro::cancellation_state;
    if (state.cancelled() != boost::asio::cancellation_type::none)
      co_return ctxflow::integrations::http::response{503, {}, "shutting down"};
#endif
  }
  co_return ctxflow::integrations::http::response{200, {}, ""};
}

ctxflow::integrations::http::server_options options_for(std::uint16_t port,
                                          std::chrono::milliseconds drain_timeout) {
  ctxflow::integrations::http::server_options o;
  o.port = port;
  o.drain_timeout = drain_timeout;
  // No route: the service answers on any path, so it has no low-cardinality route to give and
  // the SERVER span is named `POST` (R9.1, R9.3: never derived from the path).
  return o;
}

}  // namespace

service::service(boost::asio::any_io_executor ex, std::uint16_t port,
                 std::chrono::milliseconds drain_timeout)
    : client_(std::make_shared<ctxflow::integrations::http::http_client>(ex)),
      server_(ex,
              [client = client_](ctxflow::integrations::http::request req) {
                return handle(client, std::move(req));
              },
              options_for(port, drain_timeout)) {}

}  // namespace w3c_test_service
