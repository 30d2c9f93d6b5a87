// SPDX-License-Identifier: Apache-2.0
// w3c_test_service: the service the W3C Trace Context test suite drives. It accepts `POST` with a
// JSON array of `{"url": ..., "arguments": ...}` and, in order, sends `POST url` with the JSON of
// `arguments` as body, each call carrying the context of a new child span of the incoming
// request (ctxflow::integrations::http::http_client / http_server do the extract, spans and
// inject).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <utility>

#include <boost/asio/any_io_executor.hpp>

#include "ctxflow/integrations/http/http_client.hpp"
#include "ctxflow/integrations/http/http_server.hpp"

namespace w3c_test_service {

/// The test service on 127.0.0.1:`port` (0: a free port).
///
/// Contract: answers 200 once every call of the request has finished (whatever their status),
/// 400 when the body is not a JSON array of objects with a string `url`. Each call is `POST url`
/// with `Content-Type: application/json`; its traceparent has the incoming trace id, a new span
/// id per call and the incoming flags (sampled and random, R2.14), or a new trace when the
/// incoming traceparent was missing or invalid; its tracestate is the incoming one, dropped
/// whole when invalid (R3.5).
/// Shutdown: shutdown() lets requests in flight finish for `drain_timeout`, then cancels them:
/// the call in progress is abandoned and the remaining calls are not made
/// (ctxflow::integrations::http::http_server::shutdown()).
class service {
 public:
  service(boost::asio::any_io_executor ex, std::uint16_t port,
          std::chrono::milliseconds drain_timeout = std::chrono::seconds(5));
  void start() { server_.start(); }
  void stop() { server_.stop(); }
  void shutdown() { server_.shutdown(); }
  bool wait_for_shutdown(std::chrono::milliseconds limit) {
    return server_.wait_for_shutdown(limit);
  }
  std::uint16_t port() const noexcept { return server_.port(); }

 private:
  std::shared_ptr<ctxflow::integrations::http::http_client> client_;
  ctxflow::integrations::http::http_server server_;
};

}  // namespace w3c_test_service
