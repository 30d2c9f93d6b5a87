// SPDX-License-Identifier: Apache-2.0
// The demo's payment service, the HTTP call to it and the notifier behind the queue, on the
// Asio integration (compiled only into a build that has it; demo_services_none.cpp otherwise).
#include "cli/demo_services.hpp"

#include <atomic>
#include <cstdio>
#include <optional>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "cli/demo_workload.hpp"
#include "ctxflow/config.hpp"
#include "ctxflow/integrations/http/http_client.hpp"
#include "ctxflow/integrations/http/http_server.hpp"
#include "ctxflow/integrations/asio/co_spawn.hpp"
#include "ctxflow/integrations/asio/use_task.hpp"
#include "ctxflow/integrations/messaging/consumer.hpp"
#include "ctxflow/integrations/messaging/in_process_queue.hpp"
#include "ctxflow/integrations/messaging/message.hpp"
#include "ctxflow/integrations/messaging/producer.hpp"
#include "ctxflow/integrations/messaging/redis_streams.hpp"
#include "ctxflow/macros.hpp"

namespace ctxflow::cli {
namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;

constexpr std::string_view payments_queue = "shop.payments";
/// How long requests in flight may take to finish once the service is told to stop.
constexpr std::chrono::milliseconds drain_timeout{2000};

}  // namespace

/// The service's Asio objects and what the order service uses to reach it.
struct payment_services::state {
  explicit state(sdk::tracer_provider_options payments)
      : payments_provider(std::move(payments)),
        payments_tracer(payments_provider.get_tracer("ctxflow.demo.payments", CTXFLOW_VERSION_STRING)) {}

  /// The payment service's handler: runs inside its SERVER span, which is current across the
  /// co_await on the timer, on whichever I/O thread resumes it.
  static net::awaitable<integrations::http::response> serve_payment(state* self,
                                                                    integrations::http::request req);

  net::io_context io{2};
  net::executor_work_guard<net::io_context::executor_type> work{io.get_executor()};
  std::thread io_threads[2];
  sdk::tracer_provider payments_provider;
  trace::tracer payments_tracer;
  std::vector<std::unique_ptr<integrations::messaging::transport>> transports;
  integrations::messaging::transport* outbox = nullptr;  // the payment service's connection
  integrations::messaging::transport* inbox = nullptr;   // the notifier's (the same when in-process)
  std::optional<integrations::messaging::producer> producer;
  std::optional<integrations::http::http_server> server;
  std::optional<integrations::http::http_client> client;
  std::string url;
  std::atomic<bool> give_up{false};  // set when no announcement can come any more
  bool stopped = false;
};

bool payment_services::built() noexcept { return true; }

payment_services::payment_services(const queue_choice& q, sdk::tracer_provider_options payments)
    : state_(std::make_unique<state>(std::move(payments))) {
  state& st = *state_;
  if (q.redis()) {
    integrations::messaging::redis_options send_side;
    send_side.host = q.redis_host;
    send_side.port = q.redis_port;
    // The notifier reads through a consumer group created at the stream's end ("$"): it sees
    // this run's announcement and none left in the stream by earlier runs.
    integrations::messaging::redis_options receive_side = send_side;
    receive_side.group = "ctxflow-demo-notifier";
    receive_side.start_id = "$";
    st.outbox = st.transports.emplace_back(
        std::make_unique<integrations::messaging::redis_streams>(send_side)).get();
    st.inbox = st.transports.emplace_back(
        std::make_unique<integrations::messaging::redis_streams>(receive_side)).get();
  } else {
    st.outbox = st.inbox = st.transports.emplace_back(
        std::make_unique<integrations::messaging::in_process_queue>()).get();
  }
  st.producer.emplace(*st.outbox, std::string(payments_queue),
                      integrations::messaging::producer_options{st.payments_tracer});
  integrations::http::server_options options;
  options.route = [](std::string_view, std::string_view) { return std::string("/payments"); };
  options.tracer = st.payments_provider.get_tracer("ctxflow.http");
  options.drain_timeout = drain_timeout;
  st.server.emplace(
      st.io.get_executor(),
      [self = &st](integrations::http::request req) { return state::serve_payment(self, std::move(req)); },
      std::move(options));
  st.url = "http://127.0.0.1:" + std::to_string(st.server->port()) + "/payments";
  st.client.emplace(st.io.get_executor());
  st.server->start();
  for (auto& t : st.io_threads) t = std::thread([&st] { st.io.run(); });
}

payment_services::~payment_services() { (void)stop(drain_timeout + 1s); }

bool payment_services::stop(std::chrono::milliseconds limit) {
  state& st = *state_;
  if (st.stopped) return true;
  st.stopped = true;
  st.give_up = true;
  // Graceful: no new connections, idle keep-alive ones closed, requests in flight finish
  // within the server's drain_timeout and are cancelled after it. The connection coroutines
  // end on the I/O threads, which keep running while this thread waits for them.
  st.server->shutdown();
  st.client->close_idle();
  bool drained = st.server->wait_for_shutdown(limit);
  if (!drained) {
    st.server->stop();  // cuts what a handler that ignores cancellation still holds
    (void)st.server->wait_for_shutdown(1s);
  }
  st.work.reset();
  st.io.stop();
  for (auto& t : st.io_threads)
    if (t.joinable()) t.join();
  // The service's spans go to the file and the named exporters now.
  (void)st.payments_provider.shutdown(std::chrono::milliseconds(15000));
  return drained;
}

void payment_services::give_up() noexcept { state_->give_up = true; }

void payment_services::subscribe() {
  (void)state_->inbox->fetch(payments_queue, 1, std::chrono::milliseconds(1));
}

net::awaitable<integrations::http::response> payment_services::state::serve_payment(
    state* self, integrations::http::request req) {
  auto authorize = self->payments_tracer.start_as_current_span("payment.authorize");
  authorize->set_attribute("payment.request_bytes", static_cast<std::int64_t>(req.body.size()));
  net::steady_timer bank(co_await net::this_coro::executor, 2ms);
  co_await bank.async_wait(net::use_awaitable);
  const auto id = self->producer->send(R"({"order":"A-1001","event":"payment.captured"})");
  if (!id) {
    authorize->set_status(trace::status_code::error, "the queue refused the announcement");
    co_return integrations::http::response{503, {}, "queue unavailable"};
  }
  co_return integrations::http::response{201, {{"content-type", "application/json"}},
                                         R"({"payment":"P-77"})"};
}

coro::task<bool> payment_services::charge_payment() {
  state& st = *state_;
  integrations::http::request req("POST", "/payments", {{"content-type", "application/json"}},
                                  R"({"order":"A-1001","amount":129.5})");
  CTXFLOW_TRY {
    const integrations::http::response res = co_await integrations::asio::co_spawn(
        st.io.get_executor(),
        st.client->send(st.url, std::move(req), integrations::http::send_options("/payments")),
        integrations::asio::use_task);
    co_return res.status == 201;
  } CTXFLOW_CATCH_ALL {
    std::fprintf(stderr, "ctxflow demo: the payment call failed: %s\n",
                 ctxflow::current_exception_message());
    co_return false;
  }
}

// The process span takes the message's creation context as parent, so the e-mail belongs to
// the order's trace (R9.9, the `parent_from_message` option).
bool payment_services::notify_until_one(std::chrono::milliseconds limit) {
  state& st = *state_;
  integrations::messaging::consumer_options options;
  options.tracer = demo_tracer();
  options.parent_from_message = true;
  options.max_messages = 1;
  options.wait = 100ms;
  integrations::messaging::consumer notifier(*st.inbox, std::string(payments_queue),
                                             std::move(options));
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline && !st.give_up.load()) {
    const std::size_t n = notifier.poll([](const integrations::messaging::message&) {
      auto email = demo_tracer().start_as_current_span("email.send",
                                                       of_kind(trace::span_kind::client));
      std::this_thread::sleep_for(1ms);
    });
    if (n > 0) return true;
    std::this_thread::sleep_for(10ms);  // a transport that fails fast must not make this spin
  }
  return false;
}

}  // namespace ctxflow::cli
