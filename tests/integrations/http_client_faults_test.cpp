// SPDX-License-Identifier: Apache-2.0
// http_client against servers that misbehave, all on 127.0.0.1 and started by the tests: one that
// accepts and never answers, one that trickles its response, a port nobody listens on, oversized
// and malformed responses, cancellation through Asio cancellation slots, and HTTPS against a
// loopback TLS server whose CA and certificates the tests make with the `openssl` command.
// Timing assertions are generous bounds; what is asserted is the behaviour (which error, which
// span attributes, what was pooled).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include <boost/version.hpp>
#if BOOST_VERSION >= 107700  // per-operation cancellation
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#endif
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <openssl/ssl.h>

#include "ctxflow/integrations/asio/co_spawn.hpp"
#include "ctxflow/integrations/http/http_client.hpp"
#include "ctxflow/testing/diagnostics_capture.hpp"
#include "ctxflow/testing/span_recorder.hpp"
#include "ctxflow/trace/span.hpp"
#include "integrations/span_attributes.hpp"
#include "integrations/w3c_propagator_scope.hpp"

namespace ctxflow::integrations {
namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
using net::awaitable;
using net::ip::tcp;
using boost::system::error_code;
using clock_type = std::chrono::steady_clock;
using std::chrono::milliseconds;
using test::string_attribute;

// ---------------------------------------------------------------------------------------------
// Loopback servers

/// A TCP server on 127.0.0.1 (ephemeral port) with one thread and io_context of its own; each
/// accepted connection runs `session` as a plain Asio coroutine. Stopping it (or destroying it)
/// stops the io_context, which closes every connection it still holds.
class scripted_server {
 public:
  using session_fn = std::function<awaitable<void>(tcp::socket, scripted_server&)>;

  explicit scripted_server(session_fn session)
      : acceptor_(io_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)),
        session_(std::move(session)) {
    port_ = acceptor_.local_endpoint().port();
    net::co_spawn(io_, accept_loop(*this), net::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~scripted_server() { stop(); }
  scripted_server(const scripted_server&) = delete;
  scripted_server& operator=(const scripted_server&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url(std::string_view scheme = "http", std::string_view host = "127.0.0.1") const {
    return std::string(scheme) + "://" + std::string(host) + ":" + std::to_string(port_) + "/";
  }
  void stop() {
    if (!thread_.joinable()) return;
    io_.stop();
    thread_.join();
  }
  /// Blocks until `n` request heads arrived (or 10 s passed).
  bool wait_for_requests(int n) const {
    const auto until = clock_type::now() + std::chrono::seconds(10);
    while (requests.load() < n) {
      if (clock_type::now() > until) return false;
      std::this_thread::sleep_for(milliseconds(2));
    }
    return true;
  }

  net::io_context& io() { return io_; }

  std::atomic<int> accepted{0};
  std::atomic<int> requests{0};
  /// Connections whose client closed them (the server saw end of stream or a reset).
  std::atomic<int> closed_by_client{0};

 private:
  static awaitable<void> accept_loop(scripted_server& self) {
    for (;;) {
      error_code ec;
      tcp::socket socket = co_await self.acceptor_.async_accept(
          net::redirect_error(net::use_awaitable, ec));
      if (ec) co_return;
      self.accepted.fetch_add(1);
      net::co_spawn(self.io_, self.session_(std::move(socket), self), net::detached);
    }
  }

  net::io_context io_;
  tcp::acceptor acceptor_;
  session_fn session_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

/// Reads one request head into nothing; false when the connection ended first.
awaitable<bool> read_head(tcp::socket& s, std::string& buffer, scripted_server& server) {
  error_code ec;
  const std::size_t n = co_await net::async_read_until(s, net::dynamic_buffer(buffer), "\r\n\r\n",
                                                      net::redirect_error(net::use_awaitable, ec));
  if (ec) co_return false;
  buffer.erase(0, n);
  server.requests.fetch_add(1);
  co_return true;
}

/// Reads and discards until the client closes.
awaitable<void> drain(tcp::socket& s, scripted_server& server) {
  char data[512];
  error_code ec;
  while (!ec)
    co_await s.async_read_some(net::buffer(data), net::redirect_error(net::use_awaitable, ec));
  server.closed_by_client.fetch_add(1);
}

/// Accepts, reads the request and never answers.
awaitable<void> frozen_session(tcp::socket s, scripted_server& server) {
  std::string buffer;
  (void)co_await read_head(s, buffer, server);
  co_await drain(s, server);
}

/// Answers every request on the connection with `reply` (raw bytes).
awaitable<void> canned_session(tcp::socket s, scripted_server& server,
                               std::shared_ptr<const std::string> reply) {
  std::string buffer;
  while (co_await read_head(s, buffer, server)) {
    error_code ec;
    co_await net::async_write(s, net::buffer(*reply), net::redirect_error(net::use_awaitable, ec));
    if (ec) co_return;
  }
  server.closed_by_client.fetch_add(1);
}

/// Announces a 100,000-byte body and sends it one byte every 50 ms (83 minutes in all).
awaitable<void> trickle_session(tcp::socket s, scripted_server& server) {
  std::string buffer;
  if (!co_await read_head(s, buffer, server)) co_return;
  static const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n";
  error_code ec;
  co_await net::async_write(s, net::buffer(head), net::redirect_error(net::use_awaitable, ec));
  net::steady_timer timer(s.get_executor());
  while (!ec) {
    co_await net::async_write(s, net::buffer("x", 1), net::redirect_error(net::use_awaitable, ec));
    timer.expires_after(milliseconds(50));
    co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
  }
  server.closed_by_client.fetch_add(1);
}

/// A chunked body without end: 64 KiB chunks as fast as the client reads them.
awaitable<void> endless_chunks_session(tcp::socket s, scripted_server& server) {
  std::string buffer;
  if (!co_await read_head(s, buffer, server)) co_return;
  static const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  static const std::string chunk = "10000\r\n" + std::string(0x10000, 'x') + "\r\n";
  error_code ec;
  co_await net::async_write(s, net::buffer(head), net::redirect_error(net::use_awaitable, ec));
  while (!ec)
    co_await net::async_write(s, net::buffer(chunk), net::redirect_error(net::use_awaitable, ec));
  server.closed_by_client.fetch_add(1);
}

scripted_server::session_fn canned(std::string reply) {
  auto shared = std::make_shared<const std::string>(std::move(reply));
  return [shared](tcp::socket s, scripted_server& server) {
    return canned_session(std::move(s), server, shared);
  };
}

const std::string ok_reply = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

/// Answers one request (keep-alive), then closes the connection 20 ms later.
awaitable<void> answer_once_session(tcp::socket s, scripted_server& server) {
  std::string buffer;
  if (!co_await read_head(s, buffer, server)) co_return;
  error_code ec;
  co_await net::async_write(s, net::buffer(ok_reply), net::redirect_error(net::use_awaitable, ec));
  net::steady_timer pause(s.get_executor(), milliseconds(20));
  co_await pause.async_wait(net::redirect_error(net::use_awaitable, ec));
}

// ---------------------------------------------------------------------------------------------
// TLS: certificates made with the openssl command, and a loopback HTTPS server

/// A CA, a certificate for localhost / 127.0.0.1 and one for `wrong.invalid`, both signed by the
/// CA, in a temporary directory removed at the end of the suite.
class test_certificates {
 public:
  test_certificates() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "ctxflow-http-client-XXXXXX").string();
    if (!mkdtemp(pattern.data())) return;
    dir_ = pattern;
    {
      std::ofstream cnf(dir_ / "certs.cnf");
      cnf << "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = ctxflow test\n"
             "[ca_ext]\nbasicConstraints = critical, CA:TRUE\n"
             "keyUsage = critical, keyCertSign, cRLSign\nsubjectKeyIdentifier = hash\n"
             "[server_ext]\nbasicConstraints = CA:FALSE\nkeyUsage = critical, digitalSignature\n"
             "extendedKeyUsage = serverAuth\nsubjectAltName = DNS:localhost, IP:127.0.0.1\n"
             "[wrong_ext]\nbasicConstraints = CA:FALSE\nkeyUsage = critical, digitalSignature\n"
             "extendedKeyUsage = serverAuth\nsubjectAltName = DNS:wrong.invalid\n";
    }
    const std::string key = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    ok_ = run("openssl req -x509 -config certs.cnf -extensions ca_ext" + key +
              " -keyout ca.key -out ca.crt -days 2 -subj /CN=ctxflow-test-CA") &&
          leaf("server", "localhost", "server_ext", 2) &&
          leaf("wrong", "wrong.invalid", "wrong_ext", 3);
  }
  ~test_certificates() {
    if (dir_.empty()) return;
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  test_certificates(const test_certificates&) = delete;
  test_certificates& operator=(const test_certificates&) = delete;

  bool ok() const { return ok_; }
  std::string file(std::string_view name) const { return (dir_ / name).string(); }
  /// What the openssl commands printed (for a failure message).
  std::string log() const {
    std::ifstream in(dir_ / "openssl.log");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

 private:
  bool run(const std::string& command) const {
    const std::string line = "cd '" + dir_.string() + "' && " + command + " >>openssl.log 2>&1";
    return std::system(line.c_str()) == 0;
  }
  bool leaf(const std::string& name, const std::string& cn, const std::string& ext, int serial) {
    const std::string key = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    return run("openssl req -new -config certs.cnf" + key + " -keyout " + name + ".key -out " +
               name + ".csr -subj /CN=" + cn) &&
           run("openssl x509 -req -in " + name + ".csr -CA ca.crt -CAkey ca.key -set_serial " +
               std::to_string(serial) + " -days 2 -extfile certs.cnf -extensions " + ext +
               " -out " + name + ".crt");
  }

  std::filesystem::path dir_;
  bool ok_ = false;
};

/// What the HTTPS test server saw.
struct tls_server_state {
  explicit tls_server_state(const std::string& cert, const std::string& key)
      : context(ssl::context::tls_server) {
    context.use_certificate_chain_file(cert);
    context.use_private_key_file(key, ssl::context::pem);
  }
  ssl::context context;
  std::atomic<int> handshakes{0};
  std::atomic<int> failed_handshakes{0};
  std::mutex mu;
  std::vector<std::string> traceparents;  // guarded by mu
  std::vector<std::string> server_names;  // SNI of each handshake, guarded by mu
};

/// TLS handshake, then HTTP requests answered with 200 "secure" until the client closes; records
/// the SNI and each request's traceparent.
awaitable<void> tls_session(tcp::socket s, scripted_server& server,
                            std::shared_ptr<tls_server_state> state) {
  ssl::stream<tcp::socket> stream(std::move(s), state->context);
  error_code ec;
  co_await stream.async_handshake(ssl::stream_base::server,
                                  net::redirect_error(net::use_awaitable, ec));
  if (ec) {
    state->failed_handshakes.fetch_add(1);
    co_return;
  }
  state->handshakes.fetch_add(1);
  {
    const char* sni = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name);
    std::lock_guard lock(state->mu);
    state->server_names.emplace_back(sni ? sni : "");
  }
  beast::flat_buffer buffer;
  for (;;) {
    beast::http::request<beast::http::string_body> req;
    co_await beast::http::async_read(stream, buffer, req,
                                     net::redirect_error(net::use_awaitable, ec));
    if (ec) break;
    server.requests.fetch_add(1);
    {
      std::lock_guard lock(state->mu);
      auto it = req.find("traceparent");
      state->traceparents.emplace_back(it == req.end() ? "" : std::string(it->value()));
    }
    beast::http::response<beast::http::string_body> res(beast::http::status::ok, 11);
    res.body() = "secure";
    res.keep_alive(true);
    res.prepare_payload();
    co_await beast::http::async_write(stream, res, net::redirect_error(net::use_awaitable, ec));
    if (ec) break;
  }
  server.closed_by_client.fetch_add(1);
}

scripted_server::session_fn tls_sessions(std::shared_ptr<tls_server_state> state) {
  return [state](tcp::socket s, scripted_server& server) {
    return tls_session(std::move(s), server, state);
  };
}

// ---------------------------------------------------------------------------------------------
// The client side

/// A two-thread io_context for the client. At the end it lets the work run out and checks that
/// nothing the client started outlives the test (a timer or a read left pending would).
class client_loop {
 public:
  client_loop() {
    for (auto& t : threads_)
      t = std::thread([this] {
        io.run();
        finished_.fetch_add(1);
      });
  }
  ~client_loop() {
    work_.reset();
    const auto until = clock_type::now() + std::chrono::seconds(10);
    while (finished_.load() < 2 && clock_type::now() < until)
      std::this_thread::sleep_for(milliseconds(5));
    if (finished_.load() < 2) {
      ADD_FAILURE() << "the client's io_context still had work 10 s after the test";
      io.stop();
    }
    for (auto& t : threads_) t.join();
  }
  client_loop(const client_loop&) = delete;
  client_loop& operator=(const client_loop&) = delete;

  net::io_context io;

 private:
  net::executor_work_guard<net::io_context::executor_type> work_ = net::make_work_guard(io);
  std::thread threads_[2];
  std::atomic<int> finished_{0};
};

/// GET `url` inside a span "caller", from a coroutine spawned with integrations::asio::co_spawn.
awaitable<http::response> get(http::http_client& client, std::string url,
                              http::send_options options) {
  auto caller = trace::get_tracer("test").start_as_current_span("caller");
  co_return co_await client.send(url, http::request("GET", "/"), std::move(options));
}

#if BOOST_VERSION >= 107700
/// As get(), but the coroutine first lets partial cancellation through its filter.
awaitable<http::response> get_accepting_partial(http::http_client& client, std::string url) {
  co_await net::this_coro::reset_cancellation_state(net::enable_partial_cancellation());
  co_return co_await client.send(url, http::request("GET", "/"), http::send_options());
}
#endif

/// The outcome of one send(): the response, or the error it threw, and how long it took.
struct outcome {
  std::optional<http::response> response;
  error_code code;
  std::string what;
  milliseconds elapsed{0};
};

/// The error code of a failed coroutine (nullopt when it did not fail), read where it completed,
/// so that no exception object crosses to the test's thread. Used by the cancellation tests,
/// which need Boost 1.77.
[[maybe_unused]] std::optional<error_code> failure_code(const std::exception_ptr& e) {
  if (!e) return std::nullopt;
  try {
    std::rethrow_exception(e);
  } catch (const boost::system::system_error& error) {
    return error.code();
  } catch (...) {
    return make_error_code(net::error::fault);
  }
}

/// get(), with the error caught inside the coroutine: the outcome, not an exception, crosses to
/// the test's thread (ThreadSanitizer cannot see how the C++ runtime orders an exception object
/// handed between threads).
awaitable<outcome> get_outcome(http::http_client& client, std::string url,
                               http::send_options options) {
  outcome out;
  try {
    out.response = co_await get(client, std::move(url), std::move(options));
  } catch (const boost::system::system_error& e) {
    out.code = e.code();
    out.what = e.what();
  }
  co_return out;
}

outcome run_get(client_loop& loop, http::http_client& client, const std::string& url,
                http::send_options options = http::send_options()) {
  const auto start = clock_type::now();
  auto future = integrations::asio::co_spawn(loop.io, get_outcome(client, url, std::move(options)),
                                           net::use_future);
  outcome out = future.get();
  out.elapsed = std::chrono::duration_cast<milliseconds>(clock_type::now() - start);
  return out;
}

/// The last CLIENT span recorded.
std::optional<sdk::span_data> last_client_span(const testing::span_recorder& recorder) {
  std::optional<sdk::span_data> found;
  for (auto& s : recorder.spans())
    if (s.kind == trace::span_kind::client) found = s;
  return found;
}

void expect_failed_span(const testing::span_recorder& recorder, std::string_view error_type) {
  const auto span = last_client_span(recorder);
  ASSERT_TRUE(span.has_value());
  EXPECT_EQ(span->status.code, trace::status_code::error);
  EXPECT_EQ(string_attribute(*span, "error.type"), error_type);
}

http::client_options with_timeout(milliseconds timeout) {
  http::client_options options;
  options.timeout = timeout;
  return options;
}

// ---------------------------------------------------------------------------------------------
// Deadline

TEST(HttpClientDeadline, AServerThatNeverAnswersFailsAtTheDeadline) {
  testing::span_recorder recorder;
  client_loop loop;
  scripted_server server(frozen_session);
  http::http_client client(loop.io.get_executor(), with_timeout(milliseconds(500)));

  const outcome r = run_get(loop, client, server.url());
  EXPECT_FALSE(r.response.has_value());
  EXPECT_EQ(r.code, net::error::timed_out) << r.what;
  EXPECT_NE(r.what.find("deadline of 500 ms"), std::string::npos) << r.what;
  EXPECT_GE(r.elapsed, milliseconds(450));
  EXPECT_LT(r.elapsed, milliseconds(10000));
  std::printf("[ measured ] 500 ms deadline against a frozen server: send() failed after %lld ms\n",
              static_cast<long long>(r.elapsed.count()));
  expect_failed_span(recorder, "timeout");
  EXPECT_EQ(client.idle_connections(), 0u);  // the timed-out connection was not pooled...
  EXPECT_TRUE(server.wait_for_requests(1));
  const auto until = clock_type::now() + std::chrono::seconds(10);
  while (server.closed_by_client.load() < 1 && clock_type::now() < until)
    std::this_thread::sleep_for(milliseconds(5));
  EXPECT_EQ(server.closed_by_client.load(), 1);  // ...but closed
}

TEST(HttpClientDeadline, APerRequestDeadlineOverridesTheClientsOne) {
  testing::span_recorder recorder;
  client_loop loop;
  scripted_server server(frozen_session);
  http::http_client client(loop.io.get_executor());  // 30 s by default

  const outcome r = run_get(loop, client, server.url(), http::send_options(milliseconds(300)));
  EXPECT_EQ(r.code, net::error::timed_out) << r.what;
  EXPECT_GE(r.elapsed, milliseconds(250));
  EXPECT_LT(r.elapsed, milliseconds(10000));
  expect_failed_span(recorder, "timeout");
}

TEST(HttpClientDeadline, AResponseThatTricklesInFailsAtTheDeadlineNotAtAPerReadTimeout) {
  testing::span_recorder recorder;
  client_loop loop;
  scripted_server server(trickle_session);
  // Every read gets a byte within 50 ms; only a deadline over the whole send() can end it.
  http::http_client client(loop.io.get_executor(), with_timeout(milliseconds(700)));

  const outcome r = run_get(loop, client, server.url());
  EXPECT_EQ(r.code, net::error::timed_out) << r.what;
  EXPECT_NE(r.what.find("reading the response body"), std::string::npos) << r.what;
  EXPECT_GE(r.elapsed, milliseconds(650));
  EXPECT_LT(r.elapsed, milliseconds(10000));
  std::printf("[ measured ] 700 ms deadline against a trickling server: failed after %lld ms\n",
              static_cast<long long>(r.elapsed.count()));
  expect_failed_span(recorder, "timeout");
  EXPECT_EQ(client.idle_connections(), 0u);
}

TEST(HttpClientDeadline, ADeadPortFailsFastWithConnectionRefused) {
  testing::span_recorder recorder;
  client_loop loop;
  std::uint16_t port = 0;
  {  // a port that was free a moment ago and has no listener now
    net::io_context io;
    tcp::acceptor a(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    port = a.local_endpoint().port();
  }
  http::http_client client(loop.io.get_executor());  // 30 s deadline: must not be what ends it

  const outcome r = run_get(loop, client, "http://127.0.0.1:" + std::to_string(port) + "/");
  EXPECT_EQ(r.code, net::error::connection_refused) << r.what;
  EXPECT_LT(r.elapsed, milliseconds(5000));
  expect_failed_span(recorder, "connection_refused");
}

TEST(HttpClientDeadline, AStalePooledConnectionIsReplacedWithinTheSameSend) {
  testing::span_recorder recorder;
  client_loop loop;
  scripted_server server(answer_once_session);
  http::http_client client(loop.io.get_executor(), with_timeout(milliseconds(5000)));

  ASSERT_EQ(run_get(loop, client, server.url()).response->status, 200);
  EXPECT_EQ(client.idle_connections(), 1u);
  std::this_thread::sleep_for(milliseconds(200));  // the server has closed it by now
  const outcome r = run_get(loop, client, server.url());
  ASSERT_TRUE(r.response.has_value()) << r.what;
  EXPECT_EQ(r.response->status, 200);
  EXPECT_EQ(client.connections_opened(), 2u);
  EXPECT_EQ(server.accepted.load(), 2);
}

// ---------------------------------------------------------------------------------------------
// Cancellation

#if BOOST_VERSION < 107700
TEST(HttpClientCancellation, ACancellationSignalAbortsAnInFlightSendPromptly) {
  GTEST_SKIP() << "Boost " << BOOST_LIB_VERSION
               << " has no per-operation cancellation (added in 1.77): coroutines cannot be "
                  "cancelled, only the deadline ends a send()";
}

TEST(HttpClientCancellation, PartialCancellationAbortsASendWhenTheCoroutineLetsItThrough) {
  GTEST_SKIP() << "Boost " << BOOST_LIB_VERSION
               << " has no per-operation cancellation (added in 1.77)";
}
#else
TEST(HttpClientCancellation, ACancellationSignalAbortsAnInFlightSendPromptly) {
  testing::span_recorder recorder;
  client_loop loop;
  scripted_server frozen(frozen_session);
  scripted_server healthy(canned(ok_reply));
  http::http_client client(loop.io.get_executor());  // 30 s deadline

  // The coroutine runs on a strand; the signal is emitted there too, as Asio requires.
  auto strand = net::make_strand(loop.io);
  net::cancellation_signal cancel;
  std::promise<std::optional<error_code>> finished;
  integrations::asio::co_spawn(
      strand, get(client, frozen.url(), http::send_options()),
      net::bind_cancellation_slot(cancel.slot(), [&finished](std::exception_ptr e,
                                                             http::response) {
        finished.set_value(failure_code(e));
      }));
  ASSERT_TRUE(frozen.wait_for_requests(1));  // the request is out; the client waits for the answer
  const auto start = clock_type::now();
  net::post(strand, [&cancel] { cancel.emit(net::cancellation_type::terminal); });
  auto done = finished.get_future();
  ASSERT_EQ(done.wait_for(std::chrono::seconds(10)), std::future_status::ready)
      << "send() did not end after the cancellation";
  const auto latency = std::chrono::duration_cast<std::chrono::microseconds>(
      clock_type::now() - start);
  std::printf("[ measured ] cancellation to send() throwing: %lld us\n",
              static_cast<long long>(latency.count()));
  EXPECT_LT(latency, std::chrono::seconds(2));

  const std::optional<error_code> code = done.get();
  ASSERT_TRUE(code.has_value()) << "send() did not fail";
  EXPECT_EQ(*code, net::error::operation_aborted) << code->message();
  expect_failed_span(recorder, "cancelled");
  EXPECT_EQ(client.idle_connections(), 0u);

  // The client is still usable.
  const outcome r = run_get(loop, client, healthy.url());
  ASSERT_TRUE(r.response.has_value()) << r.what;
  EXPECT_EQ(r.response->body, "ok");
  EXPECT_EQ(client.idle_connections(), 1u);
}

TEST(HttpClientCancellation, PartialCancellationAbortsASendWhenTheCoroutineLetsItThrough) {
  testing::span_recorder recorder;
  client_loop loop;
  scripted_server frozen(frozen_session);
  http::http_client client(loop.io.get_executor());

  auto strand = net::make_strand(loop.io);
  net::cancellation_signal cancel;
  std::promise<std::optional<error_code>> finished;
  integrations::asio::co_spawn(
      strand, get_accepting_partial(client, frozen.url()),
      net::bind_cancellation_slot(cancel.slot(), [&finished](std::exception_ptr e,
                                                             http::response) {
        finished.set_value(failure_code(e));
      }));
  ASSERT_TRUE(frozen.wait_for_requests(1));
  net::post(strand, [&cancel] { cancel.emit(net::cancellation_type::partial); });
  auto done = finished.get_future();
  ASSERT_EQ(done.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  const std::optional<error_code> code = done.get();
  ASSERT_TRUE(code.has_value()) << "send() did not fail";
  EXPECT_EQ(*code, net::error::operation_aborted) << code->message();
  expect_failed_span(recorder, "cancelled");
}
#endif

// ---------------------------------------------------------------------------------------------
// Limits and malformed responses

TEST(HttpClientLimits, AnAnnouncedBodyOverTheLimitIsRejected) {
  testing::span_recorder recorder;
  testing::diagnostics_capture diagnostics;
  client_loop loop;
  scripted_server server(canned("HTTP/1.1 200 OK\r\nContent-Length: 2097152\r\n\r\n"));
  http::client_options options;
  options.max_response_body = 1024 * 1024;
  http::http_client client(loop.io.get_executor(), options);

  const outcome r = run_get(loop, client, server.url());
  EXPECT_EQ(r.code, beast::http::error::body_limit) << r.what;
  EXPECT_LT(r.elapsed, milliseconds(10000));
  expect_failed_span(recorder, "response_too_large");
  EXPECT_EQ(diagnostics.count("http.client.response_too_large"), 1u);
  EXPECT_EQ(client.idle_connections(), 0u);
}

TEST(HttpClientLimits, AChunkedBodyIsCutOffWhenItPassesTheLimit) {
  testing::span_recorder recorder;
  testing::diagnostics_capture diagnostics;
  client_loop loop;
  scripted_server server(endless_chunks_session);
  http::client_options options;
  options.max_response_body = 1024 * 1024;
  http::http_client client(loop.io.get_executor(), options);

  const outcome r = run_get(loop, client, server.url());
  EXPECT_EQ(r.code, beast::http::error::body_limit) << r.what;
  expect_failed_span(recorder, "response_too_large");
  EXPECT_EQ(diagnostics.count("http.client.response_too_large"), 1u);
}

TEST(HttpClientLimits, AHeadOverTheDefaultLimitIsRejected) {
  testing::span_recorder recorder;
  testing::diagnostics_capture diagnostics;
  client_loop loop;
  scripted_server server(canned("HTTP/1.1 200 OK\r\nX-Big: " + std::string(100 * 1024, 'h') +
                                "\r\nContent-Length: 0\r\n\r\n"));
  http::http_client client(loop.io.get_executor());

  const outcome r = run_get(loop, client, server.url());
  EXPECT_EQ(r.code, beast::http::error::header_limit) << r.what;
  expect_failed_span(recorder, "response_too_large");
  EXPECT_EQ(diagnostics.count("http.client.response_too_large"), 1u);
}

TEST(HttpClientLimits, AMalformedResponseIsAClearError) {
  testing::span_recorder recorder;
  testing::diagnostics_capture diagnostics;
  client_loop loop;
  scripted_server server(canned("HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n"));
  http::http_client client(loop.io.get_executor());

  const outcome r = run_get(loop, client, server.url());
  EXPECT_FALSE(r.response.has_value());
  EXPECT_EQ(r.code.category(),
            beast::http::make_error_code(beast::http::error::bad_status).category())
      << r.what;
  EXPECT_NE(r.what.find("reading the response head"), std::string::npos) << r.what;
  expect_failed_span(recorder, "invalid_response");
  EXPECT_EQ(diagnostics.count("http.client.invalid_response"), 1u);
  EXPECT_EQ(client.idle_connections(), 0u);
}

// ---------------------------------------------------------------------------------------------
// HTTPS

class HttpClientTls : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { certificates_ = new test_certificates(); }
  static void TearDownTestSuite() {
    delete certificates_;
    certificates_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(certificates_->ok()) << "the openssl command failed:\n" << certificates_->log();
  }
  static std::string file(std::string_view name) { return certificates_->file(name); }
  static std::shared_ptr<tls_server_state> server_state(const std::string& name) {
    return std::make_shared<tls_server_state>(file(name + ".crt"), file(name + ".key"));
  }

  static test_certificates* certificates_;
};
test_certificates* HttpClientTls::certificates_ = nullptr;

TEST_F(HttpClientTls, WithTheTestCaTheRequestSucceedsAndCarriesTheTraceparent) {
  testing::span_recorder recorder;
  test::w3c_propagator_scope w3c;
  client_loop loop;
  auto state = server_state("server");
  scripted_server server(tls_sessions(state));
  http::client_options options;
  options.ca_file = file("ca.crt");
  http::http_client client(loop.io.get_executor(), options);

  const outcome r = run_get(loop, client, server.url("https", "localhost"));
  ASSERT_TRUE(r.response.has_value()) << r.what;
  EXPECT_EQ(r.response->status, 200);
  EXPECT_EQ(r.response->body, "secure");
  // The same pooled TLS connection serves the next request.
  const outcome again = run_get(loop, client, server.url("https", "localhost"));
  ASSERT_TRUE(again.response.has_value()) << again.what;
  EXPECT_EQ(client.connections_opened(), 1u);
  // An address is verified against the certificate's IP entry (and gets no SNI).
  const outcome by_address = run_get(loop, client, server.url("https", "127.0.0.1"));
  ASSERT_TRUE(by_address.response.has_value()) << by_address.what;

  ASSERT_TRUE(recorder.wait_for(6));
  std::vector<sdk::span_data> callers, clients;
  for (auto& s : recorder.spans())
    (s.kind == trace::span_kind::client ? clients : callers).push_back(s);
  ASSERT_EQ(clients.size(), 3u);
  ASSERT_EQ(callers.size(), 3u);
  EXPECT_EQ(string_attribute(clients[0], "url.full"),
            "https://localhost:" + std::to_string(server.port()) + "/");
  EXPECT_EQ(clients[0].status.code, trace::status_code::unset);
  std::lock_guard lock(state->mu);
  ASSERT_EQ(state->traceparents.size(), 3u);
  const auto trace_hex = callers[0].context.trace.to_hex();
  const auto span_hex = clients[0].context.span.to_hex();
  // version-trace id-parent id (the client span); the flags are the sampler's business.
  EXPECT_EQ(state->traceparents[0].substr(0, 52),
            "00-" + std::string(trace_hex.data(), trace_hex.size()) + "-" +
                std::string(span_hex.data(), span_hex.size()));
  EXPECT_EQ(state->server_names, (std::vector<std::string>{"localhost", ""}));
}

TEST_F(HttpClientTls, TheSystemStoreDoesNotTrustTheTestCa) {
  testing::span_recorder recorder;
  testing::diagnostics_capture diagnostics;
  client_loop loop;
  auto state = server_state("server");
  scripted_server server(tls_sessions(state));
  http::http_client client(loop.io.get_executor());  // no ca_file: the system store

  const outcome r = run_get(loop, client, server.url("https", "localhost"));
  EXPECT_FALSE(r.response.has_value());
  EXPECT_TRUE(r.code) << r.what;
  EXPECT_NE(r.what.find("certificate verification failed"), std::string::npos) << r.what;
  EXPECT_NE(r.what.find("local issuer"), std::string::npos) << r.what;
  EXPECT_LT(r.elapsed, milliseconds(10000));
  expect_failed_span(recorder, "certificate");
  EXPECT_EQ(diagnostics.count("http.client.tls_failed"), 1u);
  EXPECT_EQ(state->handshakes.load(), 0);
  EXPECT_EQ(client.idle_connections(), 0u);
}

TEST_F(HttpClientTls, ACertificateForAnotherHostNameIsRejected) {
  testing::span_recorder recorder;
  testing::diagnostics_capture diagnostics;
  client_loop loop;
  auto state = server_state("wrong");  // valid, from the trusted CA, but for wrong.invalid
  scripted_server server(tls_sessions(state));
  http::client_options options;
  options.ca_file = file("ca.crt");
  http::http_client client(loop.io.get_executor(), options);

  const outcome r = run_get(loop, client, server.url("https", "localhost"));
  EXPECT_FALSE(r.response.has_value());
  EXPECT_TRUE(r.code) << r.what;
  EXPECT_NE(r.what.find("is not valid for 'localhost'"), std::string::npos) << r.what;
  expect_failed_span(recorder, "certificate");
  EXPECT_EQ(diagnostics.count("http.client.tls_failed"), 1u);
  EXPECT_EQ(state->handshakes.load(), 0);
}

TEST_F(HttpClientTls, WithoutVerificationASelfSignedServerIsAccepted) {
  client_loop loop;
  scripted_server server(tls_sessions(server_state("wrong")));
  http::client_options options;
  options.verify_peer = false;
  http::http_client client(loop.io.get_executor(), options);

  const outcome r = run_get(loop, client, server.url("https", "localhost"));
  ASSERT_TRUE(r.response.has_value()) << r.what;
  EXPECT_EQ(r.response->body, "secure");
}

TEST_F(HttpClientTls, AnUnreadableCaFileIsAClearError) {
  testing::span_recorder recorder;
  testing::diagnostics_capture diagnostics;
  client_loop loop;
  scripted_server server(tls_sessions(server_state("server")));
  http::client_options options;
  options.ca_file = file("no-such-ca.crt");
  http::http_client client(loop.io.get_executor(), options);

  const outcome r = run_get(loop, client, server.url("https", "localhost"));
  EXPECT_FALSE(r.response.has_value());
  EXPECT_NE(r.what.find("no-such-ca.crt"), std::string::npos) << r.what;
  expect_failed_span(recorder, "tls_configuration");
  EXPECT_EQ(diagnostics.count("http.client.tls_ca_failed"), 1u);
  EXPECT_EQ(server.accepted.load(), 0);  // nothing was sent
}

TEST_F(HttpClientTls, AServerThatNeverCompletesTheHandshakeFailsAtTheDeadline) {
  testing::span_recorder recorder;
  client_loop loop;
  scripted_server server(frozen_session);
  http::client_options options = with_timeout(milliseconds(400));
  options.ca_file = file("ca.crt");
  http::http_client client(loop.io.get_executor(), options);

  const outcome r = run_get(loop, client, server.url("https", "localhost"));
  EXPECT_EQ(r.code, net::error::timed_out) << r.what;
  EXPECT_NE(r.what.find("TLS handshake"), std::string::npos) << r.what;
  EXPECT_LT(r.elapsed, milliseconds(10000));
  expect_failed_span(recorder, "timeout");
}

TEST_F(HttpClientTls, PlainAndTlsConnectionsToOnePortAreNeverShared) {
  client_loop loop;
  auto state = server_state("server");
  scripted_server server(tls_sessions(state));
  http::client_options options;
  options.ca_file = file("ca.crt");
  http::http_client client(loop.io.get_executor(), options);

  const outcome first = run_get(loop, client, server.url("https", "localhost"));
  ASSERT_TRUE(first.response.has_value()) << first.what;
  EXPECT_EQ(client.idle_connections(), 1u);
  // Plain HTTP to the same host and port opens a connection of its own (which the TLS server
  // refuses), instead of writing clear text into the pooled TLS one.
  const outcome plain = run_get(loop, client, server.url("http", "localhost"));
  EXPECT_FALSE(plain.response.has_value());
  EXPECT_EQ(client.connections_opened(), 2u);
  // The TLS connection is still pooled and still good.
  const outcome secure = run_get(loop, client, server.url("https", "localhost"));
  ASSERT_TRUE(secure.response.has_value()) << secure.what;
  EXPECT_EQ(client.connections_opened(), 2u);
  EXPECT_EQ(state->handshakes.load(), 1);
}

}  // namespace
}  // namespace ctxflow::integrations
