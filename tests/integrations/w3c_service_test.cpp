// SPDX-License-Identifier: Apache-2.0
// The W3C test service (examples/w3c_test_service) on loopback, driven the way the W3C Trace
// Context suite drives it: a POST with a JSON list of calls and chosen traceparent/tracestate
// headers; a harness server records the headers of the calls the service makes
// (R2.4-R2.15, R3.1, R3.5, R3.8).
#include "w3c_test_service/w3c_service.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "ctxflow/propagation/global.hpp"
#include "ctxflow/propagation/w3c_trace_context.hpp"
#include "ctxflow/testing/span_recorder.hpp"

namespace ctxflow::integrations {
namespace {

namespace net = boost::asio;

const std::string T = "12345678901234567890123456789012";
const std::string P = "1234567890123456";

struct recorded_call {
  std::string target;
  std::string body;
  std::string content_type;
  std::optional<std::string> traceparent;
  std::optional<std::string> tracestate;
};

/// The service, a harness server that records every call, and a two-thread io_context.
class W3cService : public ::testing::Test {
 protected:
  void SetUp() override {
    previous_ = propagation::global_propagator();
    propagation::set_global_propagator(
        std::make_shared<propagation::w3c_trace_context_propagator>());
    harness_ = std::make_unique<http::http_server>(
        io_.get_executor(), [this](http::request req) { return record(std::move(req)); });
    harness_->start();
    service_ = std::make_unique<w3c_test_service::service>(io_.get_executor(), 0);
    service_->start();
    for (auto& t : threads_) t = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    service_->stop();
    harness_->stop();
    work_.reset();
    for (auto& t : threads_) t.join();
    propagation::set_global_propagator(previous_);
  }

  net::awaitable<http::response> record(http::request req) {
    // Answer a little later, so "the service answers after all calls" is observable.
    net::steady_timer timer(co_await net::this_coro::executor, std::chrono::milliseconds(10));
    co_await timer.async_wait(net::use_awaitable);
    recorded_call c;
    c.target = req.target;
    c.body = req.body;
    c.content_type = std::string(http::find_header(req.headers, "content-type").value_or(""));
    if (auto v = http::find_header(req.headers, "traceparent")) c.traceparent = std::string(*v);
    if (auto v = http::find_header(req.headers, "tracestate")) c.tracestate = std::string(*v);
    std::lock_guard lock(mu_);
    calls_.push_back(std::move(c));
    co_return http::response{200, {}, ""};
  }

  /// POSTs `body` with `headers` to the service (a blocking client); returns the status code
  /// and how many calls the harness had recorded by then.
  std::pair<int, std::size_t> drive(const std::string& headers, const std::string& body) {
    net::io_context client_io;
    net::ip::tcp::socket socket(client_io);
    socket.connect({net::ip::make_address("127.0.0.1"), service_->port()});
    const std::string request = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                                "Content-Type: application/json\r\nContent-Length: " +
                                std::to_string(body.size()) + "\r\n" + headers + "\r\n" + body;
    net::write(socket, net::buffer(request));
    net::streambuf buffer;
    net::read_until(socket, buffer, "\r\n");
    std::istream in(&buffer);
    std::string version;
    int status = 0;
    in >> version >> status;
    std::lock_guard lock(mu_);
    return {status, calls_.size()};
  }

  std::string two_calls() const {
    const std::string base = "http://127.0.0.1:" + std::to_string(harness_->port());
    return R"([{"url": ")" + base + R"(/a", "arguments": [1, {"x": "y"}]},)" +
           R"({"url": ")" + base + R"(/b", "arguments": []}])";
  }

  std::vector<recorded_call> calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }

  testing::span_recorder recorder_;
  net::io_context io_;
  net::executor_work_guard<net::io_context::executor_type> work_{io_.get_executor()};
  std::unique_ptr<http::http_server> harness_;
  std::unique_ptr<w3c_test_service::service> service_;
  std::thread threads_[2];
  std::shared_ptr<const propagation::text_map_propagator> previous_;
  std::mutex mu_;
  std::vector<recorded_call> calls_;  // guarded by mu_
};

std::string field(const std::string& traceparent, int index) {
  // 00-<trace 32>-<span 16>-<flags 2>
  switch (index) {
    case 0: return traceparent.substr(0, 2);
    case 1: return traceparent.substr(3, 32);
    case 2: return traceparent.substr(36, 16);
    default: return traceparent.substr(53, 2);
  }
}

TEST_F(W3cService, CallsEveryUrlInOrderWithANewChildSpanEach) {  // R2.12-R2.15, R3.8
  const auto [status, seen] =
      drive("traceparent: 00-" + T + "-" + P + "-01\r\ntracestate: foo=1,bar=2\r\n", two_calls());
  EXPECT_EQ(status, 200);
  EXPECT_EQ(seen, 2u);  // answered only after both calls finished
  const auto c = calls();
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].target, "/a");
  EXPECT_EQ(c[1].target, "/b");
  EXPECT_EQ(c[0].body, R"([1,{"x":"y"}])");
  EXPECT_EQ(c[1].body, "[]");
  EXPECT_EQ(c[0].content_type, "application/json");
  ASSERT_TRUE(c[0].traceparent && c[1].traceparent);
  for (const auto& call : c) {
    EXPECT_EQ(call.traceparent->size(), 55u);
    EXPECT_EQ(field(*call.traceparent, 0), "00");
    EXPECT_EQ(field(*call.traceparent, 1), T);
    EXPECT_NE(field(*call.traceparent, 2), P);
    EXPECT_EQ(field(*call.traceparent, 3), "01");
    EXPECT_EQ(call.tracestate, std::optional<std::string>("foo=1,bar=2"));
  }
  EXPECT_NE(field(*c[0].traceparent, 2), field(*c[1].traceparent, 2));  // a new span per call
}

TEST_F(W3cService, FlagsArePropagatedIncludingTheRandomFlag) {  // R2.6, R2.14
  for (const std::string flags : {"00", "03"}) {
    drive("traceparent: 00-" + T + "-" + P + "-" + flags + "\r\n", two_calls());
  }
  const auto c = calls();
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(field(*c[0].traceparent, 3), "00");
  EXPECT_EQ(field(*c[1].traceparent, 3), "00");
  EXPECT_EQ(field(*c[2].traceparent, 3), "03");
  EXPECT_EQ(field(*c[3].traceparent, 3), "03");
  for (const auto& call : c) EXPECT_EQ(field(*call.traceparent, 1), T);
}

TEST_F(W3cService, AnInvalidTraceparentStartsANewTrace) {  // R2.2, R2.11, R3.1
  const std::string upper = "ABCDEF78901234567890123456789012";
  const auto [status, seen] = drive(
      "traceparent: 00-" + upper + "-" + P + "-01\r\ntracestate: foo=1\r\n", two_calls());
  EXPECT_EQ(status, 200);
  EXPECT_EQ(seen, 2u);
  const auto c = calls();
  ASSERT_EQ(c.size(), 2u);
  ASSERT_TRUE(c[0].traceparent);
  EXPECT_NE(field(*c[0].traceparent, 1), T);
  EXPECT_EQ(field(*c[0].traceparent, 1), field(*c[1].traceparent, 1));  // one new trace
  EXPECT_FALSE(c[0].tracestate.has_value());  // tracestate without a valid traceparent: dropped
}

TEST_F(W3cService, AnInvalidTracestateIsDroppedWholeAndTheTraceKept) {  // R3.1, R3.5
  drive("traceparent: 00-" + T + "-" + P + "-01\r\ntracestate: foo=1,BAD KEY=2\r\n", two_calls());
  const auto c = calls();
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(field(*c[0].traceparent, 1), T);
  EXPECT_FALSE(c[0].tracestate.has_value());
}

TEST_F(W3cService, ABodyThatIsNotAListOfCallsIsRejected) {
  const auto [status, seen] = drive("", R"({"url": "x"})");
  EXPECT_EQ(status, 400);
  EXPECT_EQ(seen, 0u);
}

}  // namespace
}  // namespace ctxflow::integrations
