// SPDX-License-Identifier: Apache-2.0
// The demo's payment service, the HTTP call to it and the notifier behind the queue.
#include "tools/ctxflow/demo_services.hpp"

#if CTXFLOW_DEMO_WITH_ASIO
#include <charconv>
#include <cstdio>
#include <exception>
#include <utility>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "ctxflow/config.hpp"
#include "ctxflow/integrations/asio/co_spawn.hpp"
#include "ctxflow/integrations/asio/use_task.hpp"
#include "ctxflow/integrations/messaging/consumer.hpp"
#include "ctxflow/integrations/messaging/in_process_queue.hpp"
#include "ctxflow/integrations/messaging/redis_streams.hpp"

namespace ctxflow::tools {
namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;

constexpr std::string_view payments_queue = "shop.payments";
/// How long requests in flight may take to finish once the service is told to stop.
constexpr std::chrono::milliseconds drain_timeout{2000};

}  // namespace

std::optional<queue_choice> parse_redis(std::string_view arg) {
  const std::size_t colon = arg.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  unsigned port = 0;
  const char* first = arg.data() + colon + 1;
  const char* last = arg.data() + arg.size();
  auto [end, ec] = std::from_chars(first, last, port);
  if (ec != std::errc{} || end != last || port == 0 || port > 65535) return std::nullopt;
  return queue_choice{std::string(arg.substr(0, colon)), static_cast<std::uint16_t>(port)};
}

service_hops::service_hops(const queue_choice& q, sdk::tracer_provider_options payments)
    : payments_provider_(std::move(payments)),
      payments_tracer_(payments_provider_.get_tracer("ctxflow.demo.payments", CTXFLOW_VERSION_STRING)) {
  if (q.redis()) {
    messaging::redis_options send_side;
    send_side.host = q.redis_host;
    send_side.port = q.redis_port;
    // The notifier reads through a consumer group created at the stream's end ("$"): it sees
    // this run's announcement and none left in the stream by earlier runs.
    messaging::redis_options receive_side = send_side;
    receive_side.group = "ctxflow-demo-notifier";
    receive_side.start_id = "$";
    outbox_ = transports_.emplace_back(std::make_unique<messaging::redis_streams>(send_side)).get();
    inbox_ = transports_.emplace_back(std::make_unique<messaging::redis_streams>(receive_side)).get();
  } else {
    outbox_ = inbox_ = transports_.emplace_back(std::make_unique<messaging::in_process_queue>()).get();
  }
  producer_.emplace(*outbox_, std::string(payments_queue),
                    messaging::producer_options{payments_tracer_});
  http::server_options options;
  options.route = [](std::string_view, std::string_view) { return std::string("/payments"); };
  options.tracer = payments_provider_.get_tracer("ctxflow.http");
  options.drain_timeout = drain_timeout;
  server_.emplace(io_.get_executor(),
                  [this](http::request req) { return serve_payment(this, std::move(req)); },
                  std::move(options));
  url_ = "http://127.0.0.1:" + std::to_string(server_->port()) + "/payments";
  client_.emplace(io_.get_executor());
  server_->start();
  for (auto& t : io_threads_) t = std::thread([this] { io_.run(); });
}

service_hops::~service_hops() { (void)stop(drain_timeout + 1s); }

bool service_hops::stop(std::chrono::milliseconds limit) {
  if (stopped_) return true;
  stopped_ = true;
  give_up = true;
  // Graceful: no new connections, idle keep-alive ones closed, requests in flight finish
  // within the server's drain_timeout and are cancelled after it. The connection coroutines
  // end on the I/O threads, which keep running while this thread waits for them.
  server_->shutdown();
  client_->close_idle();
  bool drained = server_->wait_for_shutdown(limit);
  if (!drained) {
    server_->stop();  // cuts what a handler that ignores cancellation still holds
    (void)server_->wait_for_shutdown(1s);
  }
  work_.reset();
  io_.stop();
  for (auto& t : io_threads_)
    if (t.joinable()) t.join();
  // The service's spans go to the file and the named exporters now.
  (void)payments_provider_.shutdown(std::chrono::milliseconds(15000));
  return drained;
}

void service_hops::subscribe() {
  (void)inbox_->fetch(payments_queue, 1, std::chrono::milliseconds(1));
}

net::awaitable<http::response> service_hops::serve_payment(service_hops* self, http::request req) {
  auto authorize = self->payments_tracer_.start_as_current_span("payment.authorize");
  authorize->set_attribute("payment.request_bytes", static_cast<std::int64_t>(req.body.size()));
  net::steady_timer bank(co_await net::this_coro::executor, 2ms);
  co_await bank.async_wait(net::use_awaitable);
  const auto id = self->producer_->send(R"({"order":"A-1001","event":"payment.captured"})");
  if (!id) {
    authorize->set_status(trace::status_code::error, "the queue refused the announcement");
    co_return http::response{503, {}, "queue unavailable"};
  }
  co_return http::response{201, {{"content-type", "application/json"}}, R"({"payment":"P-77"})"};
}

coro::task<bool> charge_payment(service_hops& hops) {
  http::request req("POST", "/payments", {{"content-type", "application/json"}},
                    R"({"order":"A-1001","amount":129.5})");
  try {
    const http::response res = co_await asio_integration::co_spawn(
        hops.io_.get_executor(),
        hops.client_->send(hops.url_, std::move(req), http::send_options("/payments")),
        asio_integration::use_task);
    co_return res.status == 201;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ctxflow demo: the payment call failed: %s\n", e.what());
    co_return false;
  }
}

// The process span takes the message's creation context as parent, so the e-mail belongs to
// the order's trace (R9.9, the `parent_from_message` option).
bool notify_until_one(service_hops& hops, std::chrono::milliseconds limit) {
  messaging::consumer_options options;
  options.tracer = demo_tracer();
  options.parent_from_message = true;
  options.max_messages = 1;
  options.wait = 100ms;
  messaging::consumer notifier(*hops.inbox_, std::string(payments_queue), std::move(options));
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline && !hops.give_up.load()) {
    const std::size_t n = notifier.poll([](const messaging::message&) {
      auto email = demo_tracer().start_as_current_span("email.send",
                                                       of_kind(trace::span_kind::client));
      std::this_thread::sleep_for(1ms);
    });
    if (n > 0) return true;
    std::this_thread::sleep_for(10ms);  // a transport that fails fast must not make this spin
  }
  return false;
}

}  // namespace ctxflow::tools
#endif
