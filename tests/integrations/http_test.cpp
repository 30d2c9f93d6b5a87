// SPDX-License-Identifier: Apache-2.0
// http_client and http_server over loopback on a two-thread io_context: the trace continues across
// a hop (client span parent of server span, same trace), the server span is current across the
// handler's awaits, concurrent requests through one pool never mix traces, a malformed
// traceparent starts a new trace without failing the request, and the semantic-convention names,
// attributes and statuses (R2.11, R9.1-R9.5).
#include "ctxflow/integrations/http/http_client.hpp"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "ctxflow/integrations/asio/co_spawn.hpp"
#include "ctxflow/integrations/http/http_server.hpp"
#include "ctxflow/testing/gtest.hpp"
#include "ctxflow/testing/span_recorder.hpp"
#include "ctxflow/trace/span.hpp"
#include "integrations/span_attributes.hpp"
#include "integrations/w3c_propagator_scope.hpp"

namespace ctxflow::integrations {
namespace {

namespace net = boost::asio;
using net::awaitable;

using test::int_attribute;
using test::string_attribute;
using test::w3c_propagator_scope;

std::string hex(const trace::trace_id& id) {
  const auto h = id.to_hex();
  return std::string(h.data(), h.size());
}

/// Runs `main` (a coroutine spawned with integrations::asio::co_spawn) on a two-thread
/// io_context; stops `server` when it ends, then waits for every connection to close.
void run_two_threads(net::io_context& io, http::http_server& server, awaitable<void> main) {
  std::exception_ptr failure;
  integrations::asio::co_spawn(io, std::move(main), [&](std::exception_ptr e) {
    failure = e;
    server.stop();
  });
  std::thread second([&] { io.run(); });
  io.run();
  second.join();
  if (failure) std::rethrow_exception(failure);
}

std::string route_of(std::string_view, std::string_view path) {
  return path.substr(0, 7) == "/items/" ? "/items/{id}" : "";
}

// The handler: waits on a timer (the span must stay current across it), answers with the trace
// id of the current span and whether it was the same span before and after the wait.
awaitable<http::response> traced_handler(http::request req) {
  const trace::span_context before = trace::current_span().context();
  net::steady_timer timer(co_await net::this_coro::executor, std::chrono::milliseconds(1));
  co_await timer.async_wait(net::use_awaitable);
  const trace::span_context after = trace::current_span().context();
  http::response res;
  if (req.target == "/fail") res.status = 503;
  if (req.target == "/missing") res.status = 404;
  if (req.target == "/throw") throw std::runtime_error("handler failure");
  res.body = hex(after.trace) + (before.span == after.span && after.valid() ? " same" : " changed");
  co_return res;
}

awaitable<void> one_hop(http::http_client& client, std::uint16_t port, http::response& out) {
  auto root = trace::get_tracer("test").start_as_current_span("caller");
  out = co_await client.send("127.0.0.1", port, {"POST", "/items/42?x=1", {}, "payload"});
}

TEST(HttpIntegration, TraceContinuesAcrossAHop) {  // R9.1-R9.3, C5
  testing::span_recorder recorder;
  w3c_propagator_scope w3c;
  net::io_context io;
  http::server_options so;
  so.route = route_of;
  http::http_server server(io.get_executor(), traced_handler, so);
  server.start();
  http::http_client client(io.get_executor());
  http::response res;
  run_two_threads(io, server, one_hop(client, server.port(), res));

  ASSERT_TRUE(recorder.wait_for(3));
  const auto tree = recorder.tree();
  EXPECT_TRACE(tree.all_in_one_trace());
  EXPECT_TRACE(tree.child_of("POST", "caller"));              // client span under the caller
  EXPECT_TRACE(tree.child_of("POST /items/{id}", "POST"));    // server span under the client span
  EXPECT_TRACE(tree.no_orphans());
  EXPECT_EQ(res.status, 200);
  // The server span was current in the handler, before and after its await, on its trace.
  EXPECT_EQ(res.body, hex(tree.find("caller")->context.trace) + " same");

  const sdk::span_data& client_span = *tree.find("POST");
  EXPECT_EQ(client_span.kind, trace::span_kind::client);
  EXPECT_EQ(string_attribute(client_span, "http.request.method"), "POST");
  EXPECT_EQ(string_attribute(client_span, "server.address"), "127.0.0.1");
  EXPECT_EQ(int_attribute(client_span, "server.port"), server.port());
  EXPECT_EQ(string_attribute(client_span, "url.full"),
            "http://127.0.0.1:" + std::to_string(server.port()) + "/items/42?x=1");
  EXPECT_EQ(int_attribute(client_span, "http.response.status_code"), 200);
  EXPECT_EQ(string_attribute(client_span, "network.protocol.version"), "1.1");
  EXPECT_EQ(client_span.status.code, trace::status_code::unset);

  const sdk::span_data& server_span = *tree.find("POST /items/{id}");
  EXPECT_EQ(server_span.kind, trace::span_kind::server);
  EXPECT_TRUE(server_span.parent_is_remote);
  EXPECT_EQ(string_attribute(server_span, "http.request.method"), "POST");
  EXPECT_EQ(string_attribute(server_span, "url.path"), "/items/42");
  EXPECT_EQ(string_attribute(server_span, "url.query"), "x=1");
  EXPECT_EQ(string_attribute(server_span, "url.scheme"), "http");
  EXPECT_EQ(string_attribute(server_span, "http.route"), "/items/{id}");
  EXPECT_EQ(string_attribute(server_span, "client.address"), "127.0.0.1");
  EXPECT_EQ(int_attribute(server_span, "server.port"), server.port());
  EXPECT_EQ(int_attribute(server_span, "http.response.status_code"), 200);
  EXPECT_EQ(server_span.status.code, trace::status_code::unset);
}

awaitable<void> one_request(http::http_client& client, std::uint16_t port, int index,
                            std::atomic<int>& mismatches, std::atomic<int>& done) {
  auto root = trace::get_tracer("test").start_as_current_span("request " + std::to_string(index));
  const std::string mine = hex(trace::current_span().context().trace);
  for (int i = 0; i < 3; ++i) {
    http::response r = co_await client.send("127.0.0.1", port, {"GET", "/"});
    if (r.body != mine + " same") mismatches.fetch_add(1);
    if (hex(trace::current_span().context().trace) != mine) mismatches.fetch_add(1);
  }
  done.fetch_add(1);
}

awaitable<void> many_requests(http::http_client& client, std::uint16_t port, int count,
                              std::atomic<int>& mismatches) {
  std::atomic<int> done{0};
  for (int i = 0; i < count; ++i)
    integrations::asio::co_spawn(co_await net::this_coro::executor,
                               one_request(client, port, i, mismatches, done),
                               net::detached);
  net::steady_timer timer(co_await net::this_coro::executor);
  while (done.load() < count) {
    timer.expires_after(std::chrono::milliseconds(2));
    co_await timer.async_wait(net::use_awaitable);
  }
}

TEST(HttpIntegration, ConcurrentRequestsThroughOnePoolNeverMixTheirTraces) {  // C6, R9.2
  testing::span_recorder recorder;
  w3c_propagator_scope w3c;
  net::io_context io;
  http::http_server server(io.get_executor(), traced_handler);
  server.start();
  http::client_options co;
  co.max_idle_per_peer = 4;
  http::http_client client(io.get_executor(), co);
  std::atomic<int> mismatches{0};
  constexpr int count = 20;
  run_two_threads(io, server, many_requests(client, server.port(), count, mismatches));
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_LT(client.connections_opened(), std::size_t{3 * count});  // connections were reused
  ASSERT_TRUE(recorder.wait_for(count * 7));
  const auto tree = recorder.tree();
  EXPECT_EQ(tree.trace_ids().size(), std::size_t{count});
  EXPECT_TRACE(tree.no_orphans());
  for (const sdk::span_data* s : tree.find_all("GET")) {  // client and server spans
    if (s->kind != trace::span_kind::server) continue;
    const sdk::span_data* parent = tree.parent_of(*s);
    ASSERT_NE(parent, nullptr);
    EXPECT_EQ(parent->kind, trace::span_kind::client);
  }
}

/// Sends raw request bytes and returns the status line.
std::string raw_request(std::uint16_t port, const std::string& bytes) {
  net::io_context io;
  net::ip::tcp::socket socket(io);
  socket.connect({net::ip::make_address("127.0.0.1"), port});
  net::write(socket, net::buffer(bytes));
  net::streambuf buffer;
  net::read_until(socket, buffer, "\r\n");
  std::istream in(&buffer);
  std::string line;
  std::getline(in, line);
  return line;
}

TEST(HttpIntegration, MalformedTraceparentStartsANewTraceAndTheRequestSucceeds) {  // R2.11, R9.3
  testing::span_recorder recorder;
  w3c_propagator_scope w3c;
  net::io_context io;
  http::http_server server(io.get_executor(), traced_handler);
  server.start();
  std::thread runner([&] { io.run(); });
  const std::string status = raw_request(
      server.port(),
      "GET /plain HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
      "traceparent: 00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01\r\n\r\n");
  server.stop();
  runner.join();
  EXPECT_EQ(status.substr(0, 12), "HTTP/1.1 200");
  ASSERT_TRUE(recorder.wait_for(1));
  const auto spans = recorder.spans();
  const sdk::span_data& s = spans.front();
  EXPECT_EQ(s.name, "GET");
  EXPECT_FALSE(s.parent_span_id.valid());
  EXPECT_NE(hex(s.context.trace), "0af7651916cd43dd8448eb211c80319c");
}

awaitable<void> statuses(http::http_client& client, std::uint16_t port,
                         std::vector<int>& codes) {
  for (const char* target : {"/fail", "/missing", "/throw"}) {
    http::response r = co_await client.send("127.0.0.1", port, {"GET", target});
    codes.push_back(r.status);
  }
  bool refused = false;
  try {
    (void)co_await client.send("127.0.0.1", 1, {"GET", "/"});  // nothing listens on port 1
  } catch (const boost::system::system_error&) {
    refused = true;
  }
  codes.push_back(refused ? -1 : 0);
}

TEST(HttpIntegration, StatusFollowsTheConventionsOnBothSides) {  // R9.5
  testing::span_recorder recorder;
  w3c_propagator_scope w3c;
  net::io_context io;
  http::http_server server(io.get_executor(), traced_handler);
  server.start();
  http::http_client client(io.get_executor());
  std::vector<int> codes;
  run_two_threads(io, server, statuses(client, server.port(), codes));
  EXPECT_EQ(codes, (std::vector<int>{503, 404, 500, -1}));
  ASSERT_TRUE(recorder.wait_for(7));
  std::vector<sdk::span_data> server_spans, client_spans;
  for (const auto& s : recorder.spans())
    (s.kind == trace::span_kind::server ? server_spans : client_spans).push_back(s);
  ASSERT_EQ(server_spans.size(), 3u);
  ASSERT_EQ(client_spans.size(), 4u);
  for (const auto& s : server_spans) {
    const auto code = int_attribute(s, "http.response.status_code");
    // Server: only 5xx is an error; 4xx leaves the status unset.
    EXPECT_EQ(s.status.code, code >= 500 ? trace::status_code::error : trace::status_code::unset)
        << code;
    if (code == 500) {
      EXPECT_FALSE(s.events.empty());  // the handler's exception was recorded
    }
  }
  for (const auto& s : client_spans) {
    // Client: 4xx, 5xx and transport failures are errors.
    EXPECT_EQ(s.status.code, trace::status_code::error) << s.name;
  }
  EXPECT_EQ(string_attribute(client_spans.back(), "error.type"), "connection_refused");
  EXPECT_EQ(string_attribute(client_spans[0], "error.type"), "503");
}

}  // namespace
}  // namespace ctxflow::integrations
