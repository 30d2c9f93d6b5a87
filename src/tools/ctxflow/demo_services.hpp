// SPDX-License-Identifier: Apache-2.0
// Private: the demo's second service and its queue (with the Asio integration).
// `payment-service` answers `POST /payments` on a loopback port with a tracer provider of its
// own and announces each captured payment on a queue; the order service's notifier consumes the
// announcements.
#pragma once

#include "tools/ctxflow/demo_workload.hpp"

#if CTXFLOW_DEMO_WITH_ASIO
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "ctxflow/integrations/http/http_client.hpp"
#include "ctxflow/integrations/http/http_server.hpp"
#include "ctxflow/integrations/messaging/producer.hpp"
#include "ctxflow/integrations/messaging/message.hpp"
#include "ctxflow/sdk/tracer_provider.hpp"

namespace ctxflow::tools {

/// Where messages go: the embedded in-process queue, or Redis Streams at `--redis HOST:PORT`.
struct queue_choice {
  std::string redis_host;
  std::uint16_t redis_port = 0;
  bool redis() const { return redis_port != 0; }
};

/// Parses `HOST:PORT`.
std::optional<queue_choice> parse_redis(std::string_view arg);

/// The payment service (an http_server served by two I/O threads), the HTTP client the order
/// service calls it with, and the queue between them.
class service_hops {
 public:
  /// Starts the service. Throws when it cannot listen or reach the queue.
  service_hops(const queue_choice& q, sdk::tracer_provider_options payments);
  /// Stops the service (as stop()) when that has not happened.
  ~service_hops();
  service_hops(const service_hops&) = delete;
  service_hops& operator=(const service_hops&) = delete;

  /// Makes sure the notifier's subscription exists before anything is announced (Redis creates
  /// the consumer group on the first read).
  void subscribe();

  /// Stops the payment service gracefully (http_server::shutdown): no new connections, idle
  /// ones closed, requests in flight finish within 2 s and are cancelled after that; waits up to
  /// `limit` for every connection to end (http_server::wait_for_shutdown), then ends the I/O
  /// threads and flushes and shuts down the service's provider. Returns false when connections
  /// were still open after `limit` (they are then closed at once). Call from a thread that is
  /// not an I/O thread; later calls do nothing and return true.
  bool stop(std::chrono::milliseconds limit);

  const std::string& url() const { return url_; }

  /// Set when no announcement can come any more; the notifier gives up.
  std::atomic<bool> give_up{false};

 private:
  friend coro::task<bool> charge_payment(service_hops& hops);
  friend bool notify_until_one(service_hops& hops, std::chrono::milliseconds limit);
  /// The payment service's handler: runs inside its SERVER span, which is current across the
  /// co_await on the timer, on whichever I/O thread resumes it.
  static boost::asio::awaitable<http::response> serve_payment(service_hops* self,
                                                             http::request req);

  boost::asio::io_context io_{2};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{io_.get_executor()};
  std::thread io_threads_[2];
  sdk::tracer_provider payments_provider_;
  trace::tracer payments_tracer_;
  std::vector<std::unique_ptr<messaging::transport>> transports_;
  messaging::transport* outbox_ = nullptr;  // the payment service's connection
  messaging::transport* inbox_ = nullptr;   // the notifier's (the same queue when in-process)
  std::optional<messaging::producer> producer_;
  std::optional<http::http_server> server_;
  std::optional<http::http_client> client_;
  std::string url_;
  bool stopped_ = false;
};

/// The order service's side of the HTTP hop: a CLIENT span around the request, whose context
/// travels in the `traceparent` header to the payment service. True on a 201 answer.
coro::task<bool> charge_payment(service_hops& hops);

/// The notifier: a long-lived thread of the order service (no ambient context) that processes
/// announcements until one arrived (true), `limit` passed or `give_up` was set.
bool notify_until_one(service_hops& hops, std::chrono::milliseconds limit);

}  // namespace ctxflow::tools
#else
namespace ctxflow::tools {
class service_hops {};
}  // namespace ctxflow::tools
#endif
