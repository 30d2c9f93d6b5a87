// SPDX-License-Identifier: Apache-2.0
// Private: the demo's second service and its queue, as the rest of the demo sees them.
// `payment-service` answers `POST /payments` on a loopback port with a tracer provider of its
// own and announces each captured payment on a queue; the order service's notifier consumes the
// announcements. They need the Asio integration, so src/cli/CMakeLists.txt compiles
// demo_services.cpp into a build that has it and demo_services_none.cpp (no services) into one
// that has not: this header, and every file that uses it, is the same in both builds.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "ctxflow/coro/task.hpp"
#include "ctxflow/sdk/tracer_provider.hpp"

namespace ctxflow::cli {

/// Where messages go: the embedded in-process queue, or Redis Streams at `--redis HOST:PORT`.
struct queue_choice {
  std::string redis_host;
  std::uint16_t redis_port = 0;
  bool redis() const { return redis_port != 0; }
};

/// The payment service (an http_server served by two I/O threads), the HTTP client the order
/// service calls it with, and the queue between them.
class payment_services {
 public:
  /// Whether this build has them (a build with the Asio integration).
  static bool built() noexcept;

  /// Starts the service. Throws when it cannot listen or reach the queue, or when the build has
  /// no services.
  payment_services(const queue_choice& q, sdk::tracer_provider_options payments);
  /// Stops the service (as stop()) when that has not happened.
  ~payment_services();
  payment_services(const payment_services&) = delete;
  payment_services& operator=(const payment_services&) = delete;

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

  /// No announcement can come any more: notify_until_one() gives up. Any thread.
  void give_up() noexcept;

  /// The order service's side of the HTTP hop: a CLIENT span around the request, whose context
  /// travels in the `traceparent` header to the payment service. True on a 201 answer.
  coro::task<bool> charge_payment();

  /// The notifier: run on a long-lived thread of the order service (no ambient context), it
  /// processes announcements until one arrived (true), `limit` passed or give_up() was called.
  bool notify_until_one(std::chrono::milliseconds limit);

 private:
  struct state;  // the Asio objects (demo_services.cpp)
  std::unique_ptr<state> state_;
};

}  // namespace ctxflow::cli
