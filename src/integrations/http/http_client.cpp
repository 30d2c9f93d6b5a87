// SPDX-License-Identifier: Apache-2.0
// http_client: one CLIENT span per attempt with the semantic-convention name and attributes, the
// context injected into the request, and the request exchange under the send's deadline
// (R9.1, R9.2, R9.5).
//
// How a send() runs: the awaiting coroutine spawns the request as a coroutine of its own on a
// fresh strand of the client's executor (with the caller's context) and waits for it. The
// deadline and the caller's cancellation act on that strand (client_control.hpp); connections
// come from the pool (client_pool.hpp) or are opened anew (client_connect.hpp).
#include "ctxflow/integrations/http/http_client.hpp"

#include <algorithm>
#include <exception>
#include <limits>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "ctxflow/context/context.hpp"
#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/integrations/asio/co_spawn.hpp"
#include "ctxflow/integrations/http/beast_fields.hpp"
#include "ctxflow/propagation/global.hpp"
#include "ctxflow/trace/span.hpp"
#include "integrations/http/client_connect.hpp"
#include "integrations/http/client_control.hpp"
#include "integrations/http/client_errors.hpp"
#include "integrations/http/client_pool.hpp"
#include "integrations/http/semconv.hpp"

#if CTXFLOW_HTTP_CANCELLATION_SLOTS
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_state.hpp>
#endif

namespace ctxflow::integrations::http {

namespace net = boost::asio;
namespace beast = boost::beast;
using boost::system::error_code;
using detail::connection;
using detail::control;
#if CTXFLOW_HTTP_CANCELLATION_SLOTS
using detail::cancel_forwarder;
#endif
using detail::control_guard;
using detail::error_type_of;
using detail::is_stale;
using detail::open_connection;
using detail::peer_key;
using detail::send_state;
using detail::stop_reason;
using detail::transport_failure;

net::awaitable<response> http_client::send(std::string_view url, request req,
                                           send_options options) {
  constexpr std::string_view https = "https://";
  const bool tls = url.substr(0, https.size()) == https;
  std::optional<detail::parsed_url> parsed;
  if (tls) {
    // The authority's own port, if any: the part after the last ':' outside an IPv6 literal.
    const std::string_view rest = url.substr(https.size());
    const std::string_view authority = rest.substr(0, rest.find_first_of("/?"));
    const bool has_port = authority.find(']') == std::string_view::npos
                              ? authority.find(':') != std::string_view::npos
                              : authority.rfind(':') > authority.rfind(']');
    parsed = detail::parse_http_url("http://" + std::string(rest));
    if (parsed && !has_port) parsed->port = 443;
  } else {
    parsed = detail::parse_http_url(url);
  }
  if (!parsed)
    throw std::invalid_argument(
        "ctxflow::integrations::http::http_client: not an http:// or https:// URL");
  req.target = parsed->target;
  options.tls = tls;
  return send(std::move(parsed->host), parsed->port, std::move(req), std::move(options));
}

namespace {
net::awaitable<response> send_on_strand(std::shared_ptr<http_client::impl> self,
                                        std::shared_ptr<send_state> state);
}  // namespace

net::awaitable<response> http_client::send(std::string host, std::uint16_t port, request req,
                                           send_options options) {
  auto state = std::make_shared<send_state>(
      send_state{std::move(host), port, std::move(req), std::move(options)});
  return send_on_strand(impl_, std::move(state));
}

namespace {

/// Writes the request and reads the response on `stream`, each step under the send's control.
template <class Stream>
net::awaitable<void> exchange(Stream& stream, beast::flat_buffer& buffer,
                              detail::beast_request& breq,
                              beast::http::response_parser<beast::http::string_body>& parser,
                              control& ctl, bool& response_started) {
  error_code ec;
  ctl.check("writing the request");
  co_await beast::http::async_write(stream, breq, ctl.token(ec));
  ctl.settle(ec, "writing the request");
  co_await beast::http::async_read_header(stream, buffer, parser, ctl.token(ec));
  ctl.settle(ec, "reading the response head");
  response_started = true;
  if (!parser.is_done()) {
    co_await beast::http::async_read(stream, buffer, parser, ctl.token(ec));
    ctl.settle(ec, "reading the response body");
  }
}

net::awaitable<response> send_attempts(std::shared_ptr<http_client::impl> self,
                                       std::shared_ptr<send_state> state,
                                       std::shared_ptr<control> ctl) {
  control_guard guard(*ctl);
  control::arm_deadline(ctl);

  const std::string& host = state->host;
  const std::uint16_t port = state->port;
  request& req = state->req;
  const send_options& options = state->options;
  const bool tls = options.tls;
  const peer_key key{tls, host, port};
  const bool known = detail::is_known_method(req.method);
  const std::string name = detail::span_name(req.method, options.url_template);
  std::string url = detail::full_url(host, port, req.target);
  if (tls) url.insert(4, "s");  // "http://" -> "https://"

  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<connection> conn = self->take(key);
    const bool reused = conn != nullptr;
    ctl->watch(reused ? &conn->socket() : nullptr);

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

    error_code failure;
    std::string_view failure_type;
    std::exception_ptr failure_exception;
    bool response_started = false;
    response out;
    try {
      if (!conn) conn = co_await open_connection(*self, *state, ctl);

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

      beast::http::response_parser<beast::http::string_body> parser;
      parser.body_limit(static_cast<std::uint64_t>(self->options.max_response_body));
      parser.header_limit(static_cast<std::uint32_t>(
          std::min<std::size_t>(self->options.max_response_head,
                                std::numeric_limits<std::uint32_t>::max())));
      if (verb == beast::http::verb::head) parser.skip(true);  // a HEAD response has no body
      if (conn->tls)
        co_await exchange(*conn->tls, conn->buffer, breq, parser, *ctl, response_started);
      else
        co_await exchange(*conn->plain, conn->buffer, breq, parser, *ctl, response_started);
      detail::beast_response bres = parser.release();
      ctl->watch(nullptr);  // the connection goes back to the pool or is closed

      out.status = static_cast<int>(bres.result_int());
      for (const auto& field : bres)
        out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
      out.body = std::move(bres.body());
      if (bres.keep_alive())
        self->give_back(key, std::move(conn));
      else
        conn->close();
    } catch (const transport_failure& e) {
      failure = e.code();
      failure_type = e.type();
      failure_exception = std::current_exception();
    } catch (const boost::system::system_error& e) {
      failure = e.code() ? e.code() : make_error_code(net::error::fault);
      failure_type = error_type_of(failure);
      failure_exception = std::current_exception();
    }

    if (failure_exception) {
      ctl->watch(nullptr);
      if (conn) conn->close();  // a failed connection is never pooled
      // A pooled connection the peer had closed: try once more on a fresh one (a new attempt).
      const bool retry = reused && attempt == 0 && !response_started && is_stale(failure) &&
                         ctl->reason == stop_reason::none;
      span->set_attribute(detail::attr::error_type, failure_type);
      try {
        std::rethrow_exception(failure_exception);
      } catch (const std::exception& e) {
        span->set_status(trace::status_code::error, e.what());
        if (failure_type == "response_too_large")
          reportf(severity::warning, "http.client.response_too_large",
                  "%s (limits: head %zu bytes, body %zu bytes)", e.what(),
                  self->options.max_response_head, self->options.max_response_body);
        else if (failure_type == "invalid_response")
          reportf(severity::warning, "http.client.invalid_response", "%s", e.what());
      }
      if (retry) continue;
      std::rethrow_exception(failure_exception);
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

/// The outcome of send_attempts() as a value. A failure crosses from the request's strand to the
/// awaiting coroutine as an error code and a message, and is thrown again there: an exception
/// object handed between threads through std::exception_ptr is ordered only by the C++ runtime's
/// reference count, which ThreadSanitizer cannot see, so every such hand-off reads as a race.
struct send_result {
  std::optional<response> res;
  error_code ec;
  std::string what;
};

/// A failure thrown again on the awaiting coroutine's thread, with the original message.
class send_failure : public boost::system::system_error {
 public:
  send_failure(error_code ec, std::string what)
      : boost::system::system_error(ec), what_(std::move(what)) {}
  const char* what() const noexcept override { return what_.c_str(); }

 private:
  std::string what_;
};

net::awaitable<send_result> send_attempts_as_value(std::shared_ptr<http_client::impl> self,
                                                   std::shared_ptr<send_state> state,
                                                   std::shared_ptr<control> ctl) {
  send_result out;
  try {
    out.res = co_await send_attempts(std::move(self), std::move(state), std::move(ctl));
  } catch (const boost::system::system_error& e) {
    out.ec = e.code() ? e.code() : make_error_code(net::error::fault);
    out.what = e.what();
  } catch (const std::exception& e) {
    out.ec = make_error_code(net::error::fault);
    out.what = e.what();
  }
  co_return out;
}

net::awaitable<response> send_on_strand(std::shared_ptr<http_client::impl> self,
                                        std::shared_ptr<send_state> state) {
  const std::chrono::milliseconds timeout =
      state->options.timeout.value_or(self->options.timeout);
  auto ctl = std::make_shared<control>(net::make_strand(self->ex),
                                       state->host + ":" + std::to_string(state->port), timeout);

#if CTXFLOW_HTTP_CANCELLATION_SLOTS
  // The awaiting coroutine's cancellation reaches the request through its strand. A coroutine
  // cancelled already fails here, without sending.
  net::cancellation_state cancellation = co_await net::this_coro::cancellation_state;
  if (cancellation.cancelled() != net::cancellation_type::none)
    throw boost::system::system_error(
        net::error::operation_aborted,
        "ctxflow::integrations::http::http_client: send() was cancelled");
  if (cancellation.slot().is_connected()) cancellation.slot().assign(cancel_forwarder{ctl});

  // The request runs as a coroutine of its own on the strand, with the current context. Its
  // completion does not carry the caller's slot (the forwarder above stands in for it); the
  // awaiting coroutine's slot is cleared when this co_await resumes.
  send_result result = co_await integrations::asio::co_spawn(
      ctl->strand, send_attempts_as_value(std::move(self), std::move(state), ctl),
      net::bind_cancellation_slot(net::cancellation_slot(), net::use_awaitable));
#else
  // Boost before 1.77: coroutines have no cancellation state; the deadline still applies.
  send_result result = co_await integrations::asio::co_spawn(
      ctl->strand, send_attempts_as_value(std::move(self), std::move(state), ctl),
      net::use_awaitable);
#endif
  if (!result.res) throw send_failure(result.ec, std::move(result.what));
  co_return std::move(*result.res);
}

}  // namespace

}  // namespace ctxflow::integrations::http
