// SPDX-License-Identifier: Apache-2.0
// `ctxflow demo`: an asynchronous order pipeline that crosses every boundary ctxflow carries the
// context over (a directly awaited coroutine that migrates threads, spawned tasks under when_all,
// a pool hop, to_thread, a thread, a child process and, with the Asio integration, an HTTP call to
// a second service on loopback and a message through a queue), prints the trace as a waterfall,
// writes the spans as OTLP JSON lines, and checks that every span is in one trace under the right
// parent.
#include "tools/ctxflow/demo.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "ctxflow/config.hpp"
#include "ctxflow/coro/event_loop.hpp"
#include "ctxflow/coro/schedule_on.hpp"
#include "ctxflow/coro/sleep.hpp"
#include "ctxflow/coro/spawn.hpp"
#include "ctxflow/coro/to_thread.hpp"
#include "ctxflow/coro/when_all.hpp"
#include "ctxflow/exec/jthread.hpp"
#include "ctxflow/exec/thread_pool.hpp"
#include "ctxflow/exporters/in_memory_exporter.hpp"
#include "ctxflow/exporters/jsonl_exporter.hpp"
#include "ctxflow/propagation/process.hpp"
#include "ctxflow/sdk/init.hpp"
#include "ctxflow/testing/trace_tree.hpp"
#include "ctxflow/trace/provider.hpp"
#include "ctxflow/trace/tracer.hpp"

#if CTXFLOW_DEMO_WITH_ASIO
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "ctxflow/integrations/asio/co_spawn.hpp"
#include "ctxflow/integrations/asio/use_task.hpp"
#include "ctxflow/integrations/http/http_client.hpp"
#include "ctxflow/integrations/http/http_server.hpp"
#include "ctxflow/integrations/messaging/consumer.hpp"
#include "ctxflow/integrations/messaging/in_process_queue.hpp"
#include "ctxflow/integrations/messaging/producer.hpp"
#include "ctxflow/integrations/messaging/redis_streams.hpp"
#include "ctxflow/sdk/resource.hpp"
#include "ctxflow/sdk/span_processor.hpp"
#include "ctxflow/sdk/tracer_provider.hpp"
#endif

namespace ctxflow::tools {
namespace {

using coro::task;
using namespace std::chrono_literals;

trace::tracer& demo_tracer() {
  static trace::tracer t;
  return t;
}

trace::start_options of_kind(trace::span_kind kind) {
  trace::start_options options;
  options.kind = kind;
  return options;
}

/// Gives every batch to exporters shared by all the services of this process (the order
/// service's provider and the payment service's): one in-memory store, one JSON-lines file.
/// Both exporters serialise their own writes.
class shared_exporter final : public sdk::span_exporter {
 public:
  explicit shared_exporter(std::vector<std::shared_ptr<sdk::span_exporter>> targets)
      : targets_(std::move(targets)) {}

  sdk::export_result export_spans(std::span<const sdk::span_data* const> batch) noexcept override {
    sdk::export_result result = sdk::export_result::success;
    for (const auto& t : targets_)
      if (t->export_spans(batch) != sdk::export_result::success) result = sdk::export_result::failure;
    return result;
  }
  bool force_flush(std::chrono::milliseconds timeout) noexcept override {
    bool ok = true;
    for (const auto& t : targets_) ok = t->force_flush(timeout) && ok;
    return ok;
  }
  // shutdown: the targets outlive every provider and are closed by their owner.

 private:
  std::vector<std::shared_ptr<sdk::span_exporter>> targets_;
};

struct service_hops;  // the HTTP and queue hops, with the Asio integration

struct pipeline {
  exec::thread_pool& pool;
  coro::event_loop& loop;
  std::string self_exe;
  std::string child_spans_path;
  service_hops* hops = nullptr;
  bool child_ok = false;
  bool payment_ok = false;
};

#if CTXFLOW_DEMO_WITH_ASIO
namespace net = boost::asio;

constexpr std::string_view payments_queue = "shop.payments";

/// Where messages go: the embedded in-process queue, or Redis Streams at `--redis HOST:PORT`.
struct queue_choice {
  std::string redis_host;
  std::uint16_t redis_port = 0;
  bool redis() const { return redis_port != 0; }
};

/// The second service and the queue: `payment-service` answers `POST /payments` on a loopback
/// port (its own tracer provider, so its spans carry its own service.name) and announces each
/// captured payment on the queue; the order service's notifier consumes the announcements.
struct service_hops {
  service_hops(const queue_choice& q, std::vector<std::shared_ptr<sdk::span_exporter>> sink)
      : payments_provider(payment_provider_options(std::move(sink))),
        payments_tracer(payments_provider.get_tracer("ctxflow.demo.payments",
                                                     CTXFLOW_VERSION_STRING)) {
    if (q.redis()) {
      messaging::redis_options send_side;
      send_side.host = q.redis_host;
      send_side.port = q.redis_port;
      // The notifier reads through a consumer group created at the stream's end ("$"): it sees
      // this run's announcement and none left in the stream by earlier runs.
      messaging::redis_options receive_side = send_side;
      receive_side.group = "ctxflow-demo-notifier";
      receive_side.start_id = "$";
      outbox = transports.emplace_back(std::make_unique<messaging::redis_streams>(send_side)).get();
      inbox = transports.emplace_back(std::make_unique<messaging::redis_streams>(receive_side)).get();
    } else {
      outbox = inbox = transports.emplace_back(std::make_unique<messaging::in_process_queue>()).get();
    }
    producer.emplace(*outbox, std::string(payments_queue),
                     messaging::producer_options{payments_tracer});
    http::server_options options;
    options.route = [](std::string_view, std::string_view) { return std::string("/payments"); };
    options.tracer = payments_provider.get_tracer("ctxflow.http");
    server.emplace(io.get_executor(),
                   [this](http::request req) { return serve_payment(this, std::move(req)); },
                   std::move(options));
    url = "http://127.0.0.1:" + std::to_string(server->port()) + "/payments";
    client.emplace(io.get_executor());
    server->start();
    for (auto& t : io_threads) t = std::thread([this] { io.run(); });
  }

  ~service_hops() {
    server->stop();
    client->close_idle();
    // The connection coroutines finish on the I/O threads; give them a moment, then stop.
    for (int i = 0; i < 200 && server->active_connections() != 0; ++i)
      std::this_thread::sleep_for(5ms);
    work.reset();
    io.stop();
    for (auto& t : io_threads) t.join();
    payments_provider.shutdown(std::chrono::milliseconds(2000));
  }

  /// Makes sure the notifier's subscription exists before anything is announced (Redis creates
  /// the consumer group on the first read).
  void subscribe() {
    (void)inbox->fetch(payments_queue, 1, std::chrono::milliseconds(1));
  }

  /// The payment service's handler: runs inside its SERVER span, which is current across the
  /// co_await on the timer, on whichever I/O thread resumes it.
  static net::awaitable<http::response> serve_payment(service_hops* self, http::request req) {
    auto authorize = self->payments_tracer.start_as_current_span("payment.authorize");
    authorize->set_attribute("payment.request_bytes", static_cast<std::int64_t>(req.body.size()));
    net::steady_timer bank(co_await net::this_coro::executor, 2ms);
    co_await bank.async_wait(net::use_awaitable);
    const auto id = self->producer->send(R"({"order":"A-1001","event":"payment.captured"})");
    if (!id) {
      authorize->set_status(trace::status_code::error, "the queue refused the announcement");
      co_return http::response{503, {}, "queue unavailable"};
    }
    co_return http::response{201, {{"content-type", "application/json"}}, R"({"payment":"P-77"})"};
  }

  static sdk::tracer_provider_options payment_provider_options(
      std::vector<std::shared_ptr<sdk::span_exporter>> sink) {
    sdk::tracer_provider_options o;
    o.resource_ptr = std::make_shared<const sdk::resource>(sdk::merge_resources(
        sdk::default_resource(), sdk::resource{{{"service.name", std::string("payment-service")}}, {}}));
    o.processors.push_back(
        std::make_unique<sdk::simple_span_processor>(std::make_unique<shared_exporter>(std::move(sink))));
    return o;
  }

  net::io_context io{2};
  net::executor_work_guard<net::io_context::executor_type> work{io.get_executor()};
  std::thread io_threads[2];
  sdk::tracer_provider payments_provider;
  trace::tracer payments_tracer;
  std::vector<std::unique_ptr<messaging::transport>> transports;
  messaging::transport* outbox = nullptr;  // the payment service's connection
  messaging::transport* inbox = nullptr;   // the notifier's (the same queue when in-process)
  std::optional<messaging::producer> producer;
  std::optional<http::http_server> server;
  std::optional<http::http_client> client;
  std::string url;
  std::atomic<bool> give_up{false};  // set when no announcement can come any more
};

/// The order service's side of the HTTP hop: a CLIENT span around the request, whose context
/// travels in the `traceparent` header to the payment service.
task<bool> charge_payment(service_hops& hops) {
  http::request req("POST", "/payments", {{"content-type", "application/json"}},
                    R"({"order":"A-1001","amount":129.5})");
  try {
    const http::response res = co_await asio_integration::co_spawn(
        hops.io.get_executor(), hops.client->send(hops.url, std::move(req), http::send_options("/payments")),
        asio_integration::use_task);
    co_return res.status == 201;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ctxflow demo: the payment call failed: %s\n", e.what());
    co_return false;
  }
}

/// The notifier: a long-lived thread of the order service (no ambient context) that processes
/// announcements. Its process span takes the message's creation context as parent, so the
/// email belongs to the order's trace (R9.9, the `parent_from_message` option).
bool notify_until_one(service_hops& hops, std::chrono::milliseconds limit) {
  messaging::consumer_options options;
  options.tracer = demo_tracer();
  options.parent_from_message = true;
  options.max_messages = 1;
  options.wait = 100ms;
  messaging::consumer notifier(*hops.inbox, std::string(payments_queue), std::move(options));
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
#else
struct service_hops {};
#endif

task<> query_database(int item) {
  auto s = demo_tracer().start_as_current_span("db.query", of_kind(trace::span_kind::client));
  s->set_attribute("db.system.name", "demo-kv");
  s->set_attribute("order.item", item);
  co_await coro::sleep_for(std::chrono::milliseconds(1 + item));
}

task<> reserve_stock(int item, pipeline& p) {
  auto s = demo_tracer().start_as_current_span("stock.reserve");
  s->set_attribute("order.item", item);
  co_await coro::sleep_for(std::chrono::milliseconds(3 - item));  // the three interleave
  co_await coro::schedule_on(p.pool);                             // and migrate
  co_await query_database(item);                                  // awaited directly
}

/// Awaited directly by the order: part of the order's task, but it hops threads.
task<> validate(pipeline& p) {
  auto s = demo_tracer().start_as_current_span("order.validate");
  co_await coro::schedule_on(p.pool);
  {
    auto lookup = demo_tracer().start_as_current_span("inventory.lookup");
    std::this_thread::sleep_for(1ms);
  }
  co_await coro::schedule_on(p.loop);
}

task<> place_order(pipeline& p) {
  auto order = demo_tracer().start_as_current_span("order.place",
                                                   of_kind(trace::span_kind::server));
  order->set_attribute("order.id", "A-1001");

  co_await validate(p);

  std::vector<task<void>> items;
  for (int i = 0; i < 3; ++i) items.push_back(reserve_stock(i, p));
  co_await coro::when_all(std::move(items));

  co_await coro::schedule_on(p.pool);
  {
    auto price = demo_tracer().start_as_current_span("price.compute");
    price->set_attribute("order.total", 129.5);
  }
  co_await coro::schedule_on(p.loop);

#if CTXFLOW_DEMO_WITH_ASIO
  if (p.hops != nullptr) p.payment_ok = co_await charge_payment(*p.hops);
#endif

  co_await coro::to_thread([] {
    auto fraud = demo_tracer().start_as_current_span("fraud.score");
    std::this_thread::sleep_for(2ms);
  });

  {
    ctxflow::jthread audit([] {
      auto s = demo_tracer().start_as_current_span("audit.write");
      std::this_thread::sleep_for(1ms);
    });
  }

  {
    auto spawn = demo_tracer().start_as_current_span("receipt.spawn",
                                                     of_kind(trace::span_kind::client));
    std::vector<std::string> args{"demo-child", p.child_spans_path};
    auto child = propagation::spawn_process(p.self_exe, args);  // TRACEPARENT from this span
    p.child_ok = child && child.process.wait().success();
    if (!p.child_ok) spawn->set_status(trace::status_code::error, "receipt printer failed");
  }
}

std::string self_executable() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string("ctxflow");
}

std::string hex_of(const auto& id) {
  auto h = id.to_hex();
  return std::string(h.data(), h.size());
}

/// The child reports its spans to the parent in a small line format (name, ids, times).
void write_child_spans(const std::string& path, const std::vector<sdk::span_data>& spans) {
  std::ofstream out(path, std::ios::trunc);
  for (const auto& s : spans)
    out << s.name << '\t' << hex_of(s.context.trace) << '\t' << hex_of(s.context.span) << '\t'
        << hex_of(s.parent_span_id) << '\t' << s.start_time_unix_nano << '\t'
        << s.end_time_unix_nano << '\n';
}

std::vector<sdk::span_data> read_child_spans(const std::string& path) {
  std::vector<sdk::span_data> spans;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    sdk::span_data s;
    std::string trace_hex, span_hex, parent_hex;
    if (!std::getline(fields, s.name, '\t') || !std::getline(fields, trace_hex, '\t') ||
        !std::getline(fields, span_hex, '\t') || !std::getline(fields, parent_hex, '\t') ||
        !(fields >> s.start_time_unix_nano >> s.end_time_unix_nano))
      continue;
    s.context.trace = trace::trace_id::from_hex(trace_hex);
    s.context.span = trace::span_id::from_hex(span_hex);
    s.parent_span_id = trace::span_id::from_hex(parent_hex);
    s.parent_is_remote = true;
    spans.push_back(std::move(s));
  }
  return spans;
}

struct expectation {
  const char* child;
  const char* parent;
};

#if CTXFLOW_DEMO_WITH_ASIO
const sdk::span_data* find_span(const testing::trace_tree& tree, std::string_view name,
                                trace::span_kind kind) {
  for (const sdk::span_data* s : tree.find_all(name))
    if (s->kind == kind) return s;
  return nullptr;
}

std::string service_of(const sdk::span_data& s) {
  if (s.resource_ptr)
    for (const auto& a : s.resource_ptr->attributes)
      if (a.key == "service.name" && std::holds_alternative<std::string>(a.value))
        return std::get<std::string>(a.value);
  return {};
}

/// The HTTP and queue hops: the client span under the order, the payment service's server span
/// under it (after the traceparent crossed the socket), the announcement sent from inside it and
/// processed by the notifier under the send span.
std::vector<testing::check_result> hop_checks(const testing::trace_tree& tree) {
  std::vector<testing::check_result> out;
  const sdk::span_data* order = find_span(tree, "order.place", trace::span_kind::server);
  const sdk::span_data* client = find_span(tree, "POST /payments", trace::span_kind::client);
  const sdk::span_data* server = find_span(tree, "POST /payments", trace::span_kind::server);
  auto parent_is = [&](const sdk::span_data* child, const sdk::span_data* parent,
                       const char* what) {
    if (child == nullptr || parent == nullptr) {
      out.push_back(testing::check_result::fail(std::string("missing span for: ") + what));
    } else if (child->parent_span_id != parent->context.span) {
      out.push_back(testing::check_result::fail(std::string("wrong parent: ") + what));
    } else {
      out.push_back(testing::check_result::pass());
    }
  };
  parent_is(client, order, "the CLIENT span `POST /payments` under order.place");
  parent_is(server, client, "the SERVER span `POST /payments` under the CLIENT span");
  if (server != nullptr && server->parent_is_remote == false)
    out.push_back(testing::check_result::fail("the server span's parent should be remote"));
  if (server != nullptr && service_of(*server) != "payment-service")
    out.push_back(testing::check_result::fail("`POST /payments` should come from payment-service"));
  out.push_back(tree.child_of("payment.authorize", "POST /payments"));
  out.push_back(tree.child_of("send shop.payments", "payment.authorize"));
  out.push_back(tree.child_of("process shop.payments", "send shop.payments"));
  out.push_back(tree.child_of("email.send", "process shop.payments"));
  return out;
}
#endif

}  // namespace

int run_demo_child(int argc, char** argv) {
  if (argc < 1) return 2;
  auto store = std::make_shared<exporters::in_memory_store>();
  sdk::init_options options;
  options.service_name = "receipt-printer";
  options.simple = true;
  options.exporters.push_back(std::make_unique<exporters::in_memory_exporter>(store));
  auto guard = sdk::init(std::move(options));  // continues TRACEPARENT from the environment
  {
    auto print = trace::get_tracer("ctxflow.demo.child").start_as_current_span("receipt.print");
    print->set_attribute("process.pid", static_cast<std::int64_t>(::getpid()));
    std::this_thread::sleep_for(2ms);
  }
  guard.force_flush();
  write_child_spans(argv[0], store->spans());
  return 0;
}

int run_demo(int argc, char** argv) {
  std::string out_path = "ctxflow-demo.jsonl";
  exporters::render_options render;
#if CTXFLOW_DEMO_WITH_ASIO
  queue_choice queue;
#endif
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
      out_path = argv[++i];
    } else if (std::strcmp(argv[i], "--ascii") == 0) {
      render.ascii = true;
    } else if (std::strcmp(argv[i], "--redis") == 0 && i + 1 < argc) {
#if CTXFLOW_DEMO_WITH_ASIO
      const auto choice = parse_redis(argv[++i]);
      if (!choice) {
        std::fprintf(stderr, "ctxflow demo: --redis wants HOST:PORT, got '%s'\n", argv[i]);
        return 2;
      }
      queue = *choice;
#else
      std::fprintf(stderr, "ctxflow demo: --redis needs a build with CTXFLOW_WITH_ASIO=ON\n");
      return 2;
#endif
    } else {
      std::fprintf(stderr, "ctxflow demo: unknown option '%s'\n", argv[i]);
      return 2;
    }
  }

  // Every service of this process exports into one store (for the checks) and one file.
  auto store = std::make_shared<exporters::in_memory_store>();
  auto file = std::make_shared<exporters::jsonl_exporter>(out_path, false);
  const std::vector<std::shared_ptr<sdk::span_exporter>> sinks{
      std::make_shared<exporters::in_memory_exporter>(store), file};
  sdk::init_options options;
  options.service_name = "order-service";
  options.exporters.push_back(std::make_unique<shared_exporter>(sinks));
  auto guard = sdk::init(std::move(options));
  demo_tracer() = trace::get_tracer("ctxflow.demo", CTXFLOW_VERSION_STRING);

#if CTXFLOW_DEMO_WITH_ASIO
  std::printf("ctxflow %s demo: an order pipeline across tasks, threads, a process, an HTTP call "
              "and a message through %s\n\n",
              CTXFLOW_VERSION_STRING, queue.redis() ? "Redis Streams" : "the in-process queue");
  std::optional<service_hops> hops;
  try {
    hops.emplace(queue, sinks);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ctxflow demo: could not start the payment service: %s\n", e.what());
    return 1;
  }
  hops->subscribe();
  bool notified = false;
  // Started from main() with no span current; joined (also on an early exit) before `hops` goes.
  ctxflow::jthread notifier([&] { notified = notify_until_one(*hops, std::chrono::seconds(10)); });
#else
  std::printf("ctxflow %s demo: an order pipeline across tasks, threads and a process\n\n",
              CTXFLOW_VERSION_STRING);
  service_hops* const hops_ptr = nullptr;
#endif

  exec::thread_pool pool(2);
  const std::string child_path = out_path + ".child";
  bool child_ok = false;
  bool payment_ok = false;
  coro::run([](exec::thread_pool& workers, std::string child_out, service_hops* services,
               bool& child_done, bool& paid) -> task<> {
    pipeline p{workers, *coro::event_loop::current(), self_executable(), std::move(child_out),
               services};
    co_await place_order(p);
    child_done = p.child_ok;
    paid = p.payment_ok;
  }(pool, child_path,
#if CTXFLOW_DEMO_WITH_ASIO
    &*hops,
#else
    hops_ptr,
#endif
    child_ok, payment_ok));
  if (!child_ok) std::fprintf(stderr, "ctxflow demo: the child process did not finish cleanly\n");
#if CTXFLOW_DEMO_WITH_ASIO
  if (!payment_ok) hops->give_up = true;
  notifier.join();
  if (!payment_ok) std::fprintf(stderr, "ctxflow demo: the payment service did not accept\n");
  if (!notified) std::fprintf(stderr, "ctxflow demo: no payment announcement was processed\n");
  hops.reset();  // stops the payment service and flushes its provider
#endif
  guard.force_flush();

  std::vector<sdk::span_data> spans = store->spans();
  for (auto& s : read_child_spans(child_path)) spans.push_back(std::move(s));
  std::remove(child_path.c_str());
  testing::trace_tree tree(std::move(spans));

  std::printf("%s\n", tree.waterfall(render).c_str());

  const expectation parents[] = {
      {"order.validate", "order.place"},  {"inventory.lookup", "order.validate"},
      {"stock.reserve", "order.place"},   {"db.query", "stock.reserve"},
      {"price.compute", "order.place"},   {"fraud.score", "order.place"},
      {"audit.write", "order.place"},     {"receipt.spawn", "order.place"},
      {"receipt.print", "receipt.spawn"},
  };
  std::vector<testing::check_result> checks{tree.all_in_one_trace(), tree.no_orphans(),
                                            tree.count_is("stock.reserve", 3),
                                            tree.count_is("db.query", 3)};
  for (const auto& e : parents) checks.push_back(tree.child_of(e.child, e.parent));
#if CTXFLOW_DEMO_WITH_ASIO
  for (const auto& c : hop_checks(tree)) checks.push_back(c);
#endif

  int failed = 0;
  for (const auto& c : checks) {
    if (!c.passed) {
      ++failed;
      std::printf("FAILED: %s\n", c.message.c_str());
    }
  }
  const auto ids = tree.trace_ids();
  if (failed == 0 && !ids.empty()) {
    std::printf("verified: %zu spans, all in trace %s, every span under the right parent "
                "(%zu checks)\n",
                tree.size(), hex_of(ids.front()).c_str(), checks.size());
  }
  file->shutdown(std::chrono::milliseconds(2000));
  std::printf("spans written as OTLP JSON lines to %s\n", out_path.c_str());
  return failed == 0 ? 0 : 1;
}

}  // namespace ctxflow::tools
