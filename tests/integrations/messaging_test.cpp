// SPDX-License-Identifier: Apache-2.0
// producer / consumer over the in-process queue and a real redis-server (Redis Streams): the
// process span continues the producer's trace across tasks and threads, batches link every
// message, one trace runs from an HTTP request to the span that processed the message it
// produced, and the semantic conventions of R9.6-R9.10.
#include "ctxflow/integrations/messaging/consumer.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "ctxflow/coro/event_loop.hpp"
#include "ctxflow/exec/jthread.hpp"
#include "ctxflow/integrations/asio/co_spawn.hpp"
#include "ctxflow/integrations/http/http_client.hpp"
#include "ctxflow/integrations/http/http_server.hpp"
#include "ctxflow/integrations/messaging/in_process_queue.hpp"
#include "ctxflow/integrations/messaging/producer.hpp"
#include "ctxflow/integrations/messaging/redis_streams.hpp"
#include "ctxflow/testing/gtest.hpp"
#include "ctxflow/testing/span_recorder.hpp"
#include "ctxflow/trace/span.hpp"
#include "integrations/redis_server.hpp"
#include "integrations/span_attributes.hpp"
#include "integrations/w3c_propagator_scope.hpp"

namespace ctxflow::integrations {
namespace {

namespace net = boost::asio;
using messaging::consumer;
using messaging::message;
using messaging::producer;

using test::int_attribute;
using test::string_attribute;
using test::w3c_propagator_scope;

coro::task<std::optional<std::string>> produce_in_task(producer& p, std::string body) {
  auto root = trace::get_tracer("test").start_as_current_span("order placed");
  co_return co_await p.send_async(std::move(body));
}

/// The consumer options that make the creation context the process span's parent (R9.9).
messaging::consumer_options continuing_the_producers_trace() {
  messaging::consumer_options o;
  o.parent_from_message = true;
  return o;
}

/// Produces one message from a task on an event loop, consumes it on another thread with
/// `parent_from_message`, and checks the trace: root -> send -> process (R9.8, R9.9).
void check_producer_consumer_trace(messaging::transport& t, std::string_view system) {
  testing::span_recorder recorder;
  w3c_propagator_scope w3c;
  producer p(t, "shop.orders");
  const auto id = coro::run(produce_in_task(p, "order 7"));
  ASSERT_TRUE(id.has_value());

  std::string body_seen;
  std::string span_seen_in_handler;
  exec::jthread worker([&] {
    consumer c(t, "shop.orders", continuing_the_producers_trace());
    for (int i = 0; i < 50 && body_seen.empty(); ++i)
      c.poll([&](const message& m) {
        body_seen = m.body;
        const auto sc = trace::current_span().context();
        span_seen_in_handler = std::string(sc.span.to_hex().data(), 16);
      });
  });
  worker.join();
  EXPECT_EQ(body_seen, "order 7");

  ASSERT_TRUE(recorder.wait_for(3));
  const auto tree = recorder.tree();
  EXPECT_TRACE(tree.all_in_one_trace());
  EXPECT_TRACE(tree.child_of("send shop.orders", "order placed"));
  EXPECT_TRACE(tree.child_of("process shop.orders", "send shop.orders"));
  EXPECT_TRACE(tree.has_link("process shop.orders", "send shop.orders"));
  const sdk::span_data& send = *tree.find("send shop.orders");
  const sdk::span_data& process = *tree.find("process shop.orders");
  EXPECT_EQ(span_seen_in_handler, std::string(process.context.span.to_hex().data(), 16));
  EXPECT_EQ(send.kind, trace::span_kind::producer);
  EXPECT_EQ(process.kind, trace::span_kind::consumer);
  EXPECT_EQ(string_attribute(send, "messaging.system"), system);
  EXPECT_EQ(string_attribute(send, "messaging.destination.name"), "shop.orders");
  EXPECT_EQ(string_attribute(send, "messaging.operation.type"), "send");
  EXPECT_EQ(string_attribute(send, "messaging.message.id"), *id);
  EXPECT_EQ(string_attribute(process, "messaging.operation.type"), "process");
  EXPECT_EQ(string_attribute(process, "messaging.message.id"), *id);
  EXPECT_EQ(int_attribute(process, "messaging.batch.message_count"), -1);  // single message
}

TEST(InProcessQueue, ProcessSpanContinuesTheProducersTraceAcrossThreadsWhenAsked) {  // R9.9, C4
  messaging::in_process_queue queue;
  check_producer_consumer_trace(queue, "ctxflow");
}

std::string span_hex(const trace::span_context& sc) {
  const auto h = sc.span.to_hex();
  return std::string(h.data(), h.size());
}

// R9.9 [D]: by default the process span is a child of the ambient context (a root when there is
// none) and only links to the creation context, whether or not a span is current.
TEST(InProcessQueue, ByDefaultTheProcessSpanIsAChildOfTheAmbientSpanAndLinksTheMessage) {
  testing::span_recorder recorder;
  w3c_propagator_scope w3c;
  messaging::in_process_queue queue;
  producer p(queue, "jobs");
  {
    auto origin = trace::get_tracer("test").start_as_current_span("origin");
    ASSERT_TRUE(p.send("with ambient"));
    ASSERT_TRUE(p.send("without ambient"));
  }
  messaging::consumer_options options;
  options.max_messages = 1;
  options.wait = std::chrono::milliseconds(0);
  ASSERT_FALSE(options.parent_from_message);  // the default
  consumer c(queue, "jobs", options);
  std::string seen_with, seen_without;
  {
    auto worker = trace::get_tracer("test").start_as_current_span("worker loop");
    ASSERT_EQ(c.poll([&](const message&) {
      seen_with = span_hex(trace::current_span().context());
    }), 1u);
  }
  ASSERT_EQ(c.poll([&](const message&) {
    seen_without = span_hex(trace::current_span().context());
  }), 1u);

  ASSERT_TRUE(recorder.wait_for(5));
  const auto tree = recorder.tree();
  const auto sends = tree.find_all("send jobs");
  const auto processes = tree.find_all("process jobs");
  ASSERT_EQ(sends.size(), 2u);
  ASSERT_EQ(processes.size(), 2u);
  const sdk::span_data* with = span_hex(processes[0]->context) == seen_with ? processes[0]
                                                                            : processes[1];
  const sdk::span_data* without = with == processes[0] ? processes[1] : processes[0];
  EXPECT_EQ(span_hex(without->context), seen_without);

  // A span was current: it is the parent, and the producer's span is only a link.
  const sdk::span_data* loop = tree.find("worker loop");
  ASSERT_NE(loop, nullptr);
  EXPECT_EQ(with->parent_span_id, loop->context.span);
  EXPECT_NE(with->context.trace, sends[0]->context.trace);
  ASSERT_EQ(with->links.size(), 1u);
  EXPECT_EQ(with->links[0].context.trace, sends[0]->context.trace);
  // Nothing was current: a root of a new trace, still linked to the producer's span.
  EXPECT_FALSE(without->parent_span_id.valid());
  EXPECT_NE(without->context.trace, sends[0]->context.trace);
  ASSERT_EQ(without->links.size(), 1u);
  EXPECT_EQ(without->links[0].context.trace, sends[0]->context.trace);
  bool linked_to_a_send = false;
  for (const sdk::span_data* s : sends)
    linked_to_a_send = linked_to_a_send || s->context.span == without->links[0].context.span;
  EXPECT_TRUE(linked_to_a_send);
}

// R9.9: when the creation context is made the parent while another span is current, that
// ambient span is linked.
TEST(InProcessQueue, WithParentFromMessageTheAmbientSpanIsLinked) {
  testing::span_recorder recorder;
  w3c_propagator_scope w3c;
  messaging::in_process_queue queue;
  producer p(queue, "jobs");
  {
    auto origin = trace::get_tracer("test").start_as_current_span("origin");
    ASSERT_TRUE(p.send("x"));
  }
  consumer c(queue, "jobs", continuing_the_producers_trace());
  {
    auto worker = trace::get_tracer("test").start_as_current_span("worker loop");
    ASSERT_EQ(c.poll([](const message&) {}), 1u);
  }
  ASSERT_TRUE(recorder.wait_for(4));
  const auto tree = recorder.tree();
  EXPECT_TRACE(tree.child_of("process jobs", "send jobs"));
  EXPECT_TRACE(tree.has_link("process jobs", "send jobs"));
  EXPECT_TRACE(tree.has_link("process jobs", "worker loop"));
}

/// Sends one message from each of `n` separate traces and consumes them as one batch.
void check_batch_links(messaging::transport& t, int n) {
  testing::span_recorder recorder;
  w3c_propagator_scope w3c;
  producer p(t, "audit");
  for (int i = 0; i < n; ++i) {
    auto root = trace::get_tracer("test").start_as_current_span("trace " + std::to_string(i));
    ASSERT_TRUE(p.send("event " + std::to_string(i)));
  }
  messaging::consumer_options options;
  options.max_messages = static_cast<std::size_t>(n);
  consumer c(t, "audit", options);
  std::size_t seen = 0;
  for (int i = 0; i < 20 && seen == 0; ++i)
    c.poll_batch([&](std::span<const message> batch) { seen = batch.size(); });
  ASSERT_EQ(seen, static_cast<std::size_t>(n));

  ASSERT_TRUE(recorder.wait_for(static_cast<std::size_t>(2 * n + 1)));
  const auto tree = recorder.tree();
  const sdk::span_data* batch = tree.find("process audit");
  ASSERT_NE(batch, nullptr);
  EXPECT_EQ(int_attribute(*batch, "messaging.batch.message_count"), n);
  ASSERT_EQ(batch->links.size(), static_cast<std::size_t>(n));
  // One link per message, each pointing at that message's send span.
  const auto sends = tree.find_all("send audit");
  ASSERT_EQ(sends.size(), static_cast<std::size_t>(n));
  for (const sdk::span_data* s : sends) {
    bool linked = false;
    for (const auto& l : batch->links)
      linked = linked || (l.context.trace == s->context.trace && l.context.span == s->context.span);
    EXPECT_TRUE(linked) << "no link to " << s->name;
  }
  EXPECT_TRACE(tree.has_link("process audit", "send audit"));
}

TEST(InProcessQueue, BatchSpanLinksEveryProducerSpan) {  // R9.9
  messaging::in_process_queue queue;
  check_batch_links(queue, 3);
}

TEST(InProcessQueue, HandlerExceptionsPassThroughAndMarkTheSpan) {  // R1.12, R9.10
  testing::span_recorder recorder;
  messaging::in_process_queue queue;
  producer p(queue, "jobs");
  ASSERT_TRUE(p.send("x"));
  consumer c(queue, "jobs");
  EXPECT_THROW(c.poll([](const message&) { throw std::out_of_range("bad job"); }),
               std::out_of_range);
  ASSERT_TRUE(recorder.wait_for(2));
  const auto tree = recorder.tree();
  const sdk::span_data* process = tree.find("process jobs");
  ASSERT_NE(process, nullptr);
  EXPECT_EQ(process->status.code, trace::status_code::error);
  EXPECT_EQ(string_attribute(*process, "error.type"), "std::out_of_range");
}

/// A fixture with a real redis-server on a free loopback port for each test.
class RedisStreams : public ::testing::Test {
 protected:
  void SetUp() override {
    if (redis_server::find_binary().empty())
      GTEST_SKIP() << "redis-server is not installed (Debian package redis-server); CI has it";
    server_ = std::make_unique<test::redis_server>();
    ASSERT_TRUE(server_->running()) << server_->problem();
  }
  void TearDown() override { server_.reset(); }
  messaging::redis_options options() const {
    messaging::redis_options o;
    o.port = server_->port();
    return o;
  }
  using redis_server = test::redis_server;
  std::unique_ptr<test::redis_server> server_;
};

TEST_F(RedisStreams, ProcessSpanContinuesTheProducersTraceAcrossThreadsWhenAsked) {  // R9.8, R9.9
  messaging::redis_streams redis(options());
  check_producer_consumer_trace(redis, "redis");
}

TEST_F(RedisStreams, BatchSpanLinksEveryProducerSpanWithAConsumerGroup) {  // R9.9
  auto o = options();
  o.group = "auditors";
  messaging::redis_streams redis(o);
  check_batch_links(redis, 4);
}

TEST_F(RedisStreams, HeadersAndBodyRoundTripThroughTheStreamEntry) {
  messaging::redis_streams redis(options());
  const auto id = redis.append("raw", {{"traceparent", "00-x"}, {"k", "v"}}, "payload");
  ASSERT_TRUE(id.has_value());
  const auto got = redis.fetch("raw", 10, std::chrono::milliseconds(100));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].id, *id);
  EXPECT_EQ(got[0].body, "payload");
  EXPECT_EQ(got[0].headers,
            (messaging::header_list{{"traceparent", "00-x"}, {"k", "v"}}));
}

TEST(RedisStreamsDown, ASendToAnUnreachableServerFailsAsAValue) {  // R1.12, R9.10
  testing::span_recorder recorder;
  messaging::redis_options o;
  o.port = 1;  // nothing listens there
  o.connect_timeout = std::chrono::milliseconds(200);
  messaging::redis_streams redis(o);
  producer p(redis, "nowhere");
  EXPECT_FALSE(p.send("lost").has_value());
  ASSERT_TRUE(recorder.wait_for(1));
  const auto spans = recorder.spans();
  const sdk::span_data& s = spans.front();
  EXPECT_EQ(s.status.code, trace::status_code::error);
  EXPECT_EQ(string_attribute(s, "error.type"), "send_failed");
}

// One trace from the HTTP request that produced a message to the span that processed it.
net::awaitable<void> place_order(http::http_client& client, std::uint16_t port) {
  auto root = trace::get_tracer("test").start_as_current_span("checkout");
  (void)co_await client.send("127.0.0.1", port, {"POST", "/orders", {}, "order 9"});
}

TEST_F(RedisStreams, OneTraceFromTheHttpRequestToTheProcessSpan) {  // R9.2, R9.3, R9.8, R9.9
  testing::span_recorder recorder;
  w3c_propagator_scope w3c;
  messaging::redis_streams redis(options());
  producer orders(redis, "orders");
  net::io_context io;
  http::server_options so;
  // A route table of one entry (R9.3: the route comes from the application, not the path).
  so.route = [](std::string_view, std::string_view path) {
    return path == "/orders" ? std::string("/orders") : std::string();
  };
  http::http_server server(
      io.get_executor(),
      [&orders](http::request req) -> net::awaitable<http::response> {
        // Inside the SERVER span: the send span becomes its child.
        const auto id = orders.send(req.body);
        co_return http::response{id ? 202 : 500, {}, id.value_or("")};
      },
      so);
  server.start();
  http::http_client client(io.get_executor());
  std::exception_ptr failure;
  integrations::asio::co_spawn(io, place_order(client, server.port()), [&](std::exception_ptr e) {
    failure = e;
    server.stop();
  });
  std::atomic<bool> processed{false};
  exec::jthread worker([&] {
    consumer c(redis, "orders", continuing_the_producers_trace());
    for (int i = 0; i < 50 && !processed.load(); ++i)
      c.poll([&](const message& m) { processed.store(m.body == "order 9"); });
  });
  io.run();
  worker.join();
  if (failure) std::rethrow_exception(failure);
  EXPECT_TRUE(processed.load());

  ASSERT_TRUE(recorder.wait_for(5));
  const auto tree = recorder.tree();
  EXPECT_TRACE(tree.all_in_one_trace());
  EXPECT_TRACE(tree.child_of("POST", "checkout"));
  EXPECT_TRACE(tree.child_of("POST /orders", "POST"));  // server span under the client span
  EXPECT_TRACE(tree.child_of("send orders", "POST /orders"));
  EXPECT_TRACE(tree.child_of("process orders", "send orders"));
  EXPECT_TRACE(tree.no_orphans());
}

}  // namespace
}  // namespace ctxflow::integrations
