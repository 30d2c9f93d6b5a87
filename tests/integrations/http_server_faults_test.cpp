// SPDX-License-Identifier: Apache-2.0
// http_server under hostile and failing conditions, over real loopback sockets written byte by
// byte: the whole extracted context (trace and baggage) reaches the handler's outgoing calls;
// head and body limits answer 431/413/400; deadlines cut slow and idle clients; the connection
// bound refuses extra connections; descriptor exhaustion backs off without spinning and is
// reported once; shutdown() drains, then cancels a handler stuck on a downstream call; and the
// W3C test service exits on SIGTERM within its drain timeout. The cancellation of
// integrations::asio::co_spawn's completion token reaches the awaited operation.
#include "ctxflow/integrations/http/http_server.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/version.hpp>
#if BOOST_VERSION >= 107700  // per-operation cancellation
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#endif
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "ctxflow/integrations/asio/co_spawn.hpp"
#include "ctxflow/integrations/http/http_client.hpp"
#include "ctxflow/propagation/baggage.hpp"
#include "ctxflow/propagation/composite.hpp"
#include "ctxflow/propagation/global.hpp"
#include "ctxflow/propagation/w3c_baggage.hpp"
#include "ctxflow/propagation/w3c_trace_context.hpp"
#include "ctxflow/testing/span_recorder.hpp"
#include "ctxflow/trace/span.hpp"

namespace ctxflow::integrations {
namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using net::awaitable;

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

// ---------------------------------------------------------------------------------------------
// Raw loopback clients (POSIX sockets, so the test controls every byte and its timing).

/// A client socket connected to 127.0.0.1:`port`; closed on destruction.
class raw_socket {
 public:
  explicit raw_socket(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      connect_errno_ = errno;
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~raw_socket() { close(); }
  raw_socket(const raw_socket&) = delete;
  raw_socket& operator=(const raw_socket&) = delete;
  raw_socket(raw_socket&& o) noexcept
      : fd_(std::exchange(o.fd_, -1)),
        connect_errno_(o.connect_errno_),
        pending_(std::move(o.pending_)) {}
  raw_socket& operator=(raw_socket&&) = delete;

  bool connected() const { return fd_ >= 0; }
  int connect_errno() const { return connect_errno_; }
  int fd() const { return fd_; }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  /// Writes everything; false when the peer is gone.
  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  /// Waits up to `limit` for data; appends it to `buffer`. Returns >0 bytes read, 0 when the peer
  /// closed (or reset), -1 on timeout.
  int read_some(std::string& buffer, std::chrono::milliseconds limit) {
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(limit.count()));
    if (ready <= 0) return -1;
    char chunk[8192];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return 0;
    buffer.append(chunk, static_cast<std::size_t>(n));
    return static_cast<int>(n);
  }

  /// Reads until the peer closes; nullopt if it has not closed within `limit`.
  std::optional<std::string> read_until_closed(std::chrono::milliseconds limit) {
    std::string data;
    const auto end = clock_type::now() + limit;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - clock_type::now());
      if (left.count() <= 0) return std::nullopt;
      const int n = read_some(data, left);
      if (n == 0) return data;
      if (n < 0) return std::nullopt;
    }
  }

  /// Reads one whole response (head and Content-Length body); empty on timeout or close.
  std::string read_response(std::chrono::milliseconds limit = 10s) {
    const auto end = clock_type::now() + limit;
    for (;;) {
      const std::size_t head_end = pending_.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        std::size_t length = 0;
        const std::string head = lower(pending_.substr(0, head_end));
        if (const std::size_t cl = head.find("content-length:"); cl != std::string::npos)
          length = std::stoul(head.substr(cl + 15));
        if (pending_.size() >= head_end + 4 + length) {
          std::string response = pending_.substr(0, head_end + 4 + length);
          pending_.erase(0, head_end + 4 + length);
          return response;
        }
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - clock_type::now());
      if (left.count() <= 0 || read_some(pending_, left) <= 0) return {};
    }
  }

  static std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }

 private:
  int fd_ = -1;
  int connect_errno_ = 0;
  std::string pending_;
};

int status_of(const std::string& response) {
  if (response.size() < 12 || response.compare(0, 5, "HTTP/") != 0) return -1;
  return std::atoi(response.c_str() + 9);
}

bool closes_connection(const std::string& response) {
  return raw_socket::lower(response).find("\r\nconnection: close\r\n") != std::string::npos;
}

std::string get_request(std::string_view target = "/", std::string_view extra = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + std::string(extra) +
         "\r\n";
}

// ---------------------------------------------------------------------------------------------
// Servers on a two-thread io_context.

awaitable<http::response> answer_ok(http::request req) {
  co_return http::response{200, {}, "ok " + req.target};
}

/// An io_context run by two threads for the test's lifetime, and servers on it.
class io_threads {
 public:
  io_threads() {
    for (auto& t : threads_) t = std::thread([this] { io_.run(); });
  }
  ~io_threads() { join(); }
  void join() {
    work_.reset();
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }
  net::any_io_executor executor() { return io_.get_executor(); }

 private:
  net::io_context io_;
  net::executor_work_guard<net::io_context::executor_type> work_{io_.get_executor()};
  std::thread threads_[2];
};

/// Stops the servers (and waits for them) before the io_context threads end.
void stop_all(std::initializer_list<http::http_server*> servers) {
  for (auto* s : servers) s->stop();
  for (auto* s : servers) EXPECT_TRUE(s->wait_for_shutdown(10s));
}

/// Waits until `predicate` holds or `limit` passes.
template <class P>
bool eventually(P predicate, std::chrono::milliseconds limit = 10s) {
  const auto end = clock_type::now() + limit;
  while (!predicate()) {
    if (clock_type::now() > end) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Item: the handler's context is the whole extracted context.

/// The W3C trace-context and baggage propagators as the global one, for one test.
struct w3c_and_baggage_scope {
  std::shared_ptr<const propagation::text_map_propagator> previous =
      propagation::global_propagator();
  w3c_and_baggage_scope() {
    propagation::set_global_propagator(std::make_shared<propagation::composite_propagator>(
        std::vector<propagation::composite_propagator::pointer>{
            std::make_shared<propagation::w3c_trace_context_propagator>(),
            std::make_shared<propagation::w3c_baggage_propagator>()}));
  }
  ~w3c_and_baggage_scope() { propagation::set_global_propagator(previous); }
  w3c_and_baggage_scope(const w3c_and_baggage_scope&) = delete;
  w3c_and_baggage_scope& operator=(const w3c_and_baggage_scope&) = delete;
};

struct seen_headers {
  std::mutex mu;
  std::optional<std::string> traceparent;
  std::optional<std::string> baggage;
};

awaitable<http::response> record_headers(seen_headers& seen, http::request req) {
  std::lock_guard lock(seen.mu);
  if (auto v = http::find_header(req.headers, "traceparent")) seen.traceparent = std::string(*v);
  if (auto v = http::find_header(req.headers, "baggage")) seen.baggage = std::string(*v);
  co_return http::response{200, {}, "recorded"};
}

awaitable<http::response> call_downstream(http::http_client& client, std::uint16_t port,
                                          http::request) {
  const auto user = propagation::baggage::current().get("userId");
  const std::string seen_here = user ? std::string(*user) : "<none>";
  const http::response downstream = co_await client.send("127.0.0.1", port, {"GET", "/next"});
  co_return http::response{200, {}, seen_here + " " + std::to_string(downstream.status)};
}

TEST(HttpServerContext, TheHandlerSeesTheWholeExtractedContextAndPassesItOnDownstream) {
  const std::string trace = "4bf92f3577b34da6a3ce929d0e0e4736";
  const std::string parent = "00f067aa0ba902b7";
  testing::span_recorder recorder;
  w3c_and_baggage_scope propagators;
  io_threads io;
  seen_headers seen;
  http::http_server downstream(io.executor(), [&seen](http::request req) {
    return record_headers(seen, std::move(req));
  });
  downstream.start();
  http::http_client client(io.executor());
  const std::uint16_t downstream_port = downstream.port();
  http::http_server server(io.executor(), [&client, downstream_port](http::request req) {
    return call_downstream(client, downstream_port, std::move(req));
  });
  server.start();

  raw_socket s(server.port());
  ASSERT_TRUE(s.connected());
  ASSERT_TRUE(s.send(get_request("/hop", "traceparent: 00-" + trace + "-" + parent +
                                             "-01\r\nbaggage: userId=alice\r\n")));
  const std::string response = s.read_response();
  stop_all({&server, &downstream});
  io.join();

  EXPECT_EQ(status_of(response), 200) << response;
  EXPECT_NE(response.find("alice 200"), std::string::npos) << response;  // in the handler
  std::lock_guard lock(seen.mu);
  ASSERT_TRUE(seen.baggage.has_value());
  EXPECT_EQ(*seen.baggage, "userId=alice");  // and on its outgoing call
  ASSERT_TRUE(seen.traceparent.has_value());
  EXPECT_EQ(seen.traceparent->substr(3, 32), trace);

  ASSERT_TRUE(recorder.wait_for(3));  // server, client, downstream server
  bool found = false;
  for (const auto& span : recorder.spans()) {
    const auto p = span.parent_span_id.to_hex();
    if (span.kind != trace::span_kind::server || std::string(p.data(), p.size()) != parent)
      continue;
    found = true;  // the SERVER span is the child of the remote parent
    const auto t = span.context.trace.to_hex();
    EXPECT_EQ(std::string(t.data(), t.size()), trace);
    EXPECT_TRUE(span.parent_is_remote);
  }
  EXPECT_TRUE(found);
}

// ---------------------------------------------------------------------------------------------
// Limits.

class HttpServerLimits : public ::testing::Test {
 protected:
  void start(http::server_options options) {
    server_ = std::make_unique<http::http_server>(io_.executor(), answer_ok, std::move(options));
    server_->start();
  }
  void TearDown() override {
    if (server_) stop_all({server_.get()});
    io_.join();
  }
  /// Sends `bytes` on a new connection, reads the answer, and checks the connection is closed
  /// after it.
  std::string exchange(std::string_view bytes) {
    raw_socket s(server_->port());
    EXPECT_TRUE(s.connected());
    s.send(bytes);  // the server may answer and close before everything is written
    const std::optional<std::string> all = s.read_until_closed(10s);
    EXPECT_TRUE(all.has_value()) << "the connection was not closed";
    return all.value_or("");
  }

  io_threads io_;
  std::unique_ptr<http::http_server> server_;
};

TEST_F(HttpServerLimits, AHeadLargerThanTheLimitIsAnswered431) {
  http::server_options o;
  o.max_head_bytes = 1024;
  start(o);
  const std::string answer =
      exchange(get_request("/", "X-Filler: " + std::string(4096, 'a') + "\r\n"));
  EXPECT_EQ(status_of(answer), 431) << answer;
  EXPECT_TRUE(closes_connection(answer)) << answer;
  // A head within the limit is still served.
  EXPECT_EQ(status_of(exchange(get_request("/", "Connection: close\r\nX-Filler: abc\r\n"))), 200);
}

TEST_F(HttpServerLimits, ABodyLargerThanTheLimitIsAnswered413) {
  http::server_options o;
  o.max_body_bytes = 1024;
  start(o);
  // Declared length over the limit, body sent along.
  std::string answer = exchange("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4096\r\n\r\n" +
                                std::string(4096, 'b'));
  EXPECT_EQ(status_of(answer), 413) << answer;
  EXPECT_TRUE(closes_connection(answer)) << answer;
  // Chunked, growing past the limit.
  std::string chunked = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 8; ++i) chunked += "200\r\n" + std::string(512, 'c') + "\r\n";
  chunked += "0\r\n\r\n";
  answer = exchange(chunked);
  EXPECT_EQ(status_of(answer), 413) << answer;
  EXPECT_TRUE(closes_connection(answer)) << answer;
  // A body within the limit is served.
  answer = exchange("POST /small HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 5\r\n"
                    "\r\nhello");
  EXPECT_EQ(status_of(answer), 200) << answer;
}

TEST_F(HttpServerLimits, AHugeDeclaredContentLengthIsAnswered413WithoutReadingTheBody) {
  start({});  // default limits: 1 MiB
  raw_socket s(server_->port());
  ASSERT_TRUE(s.connected());
  const auto begin = clock_type::now();
  // 10 GB declared, nothing of it sent: the answer cannot depend on reading the body.
  ASSERT_TRUE(s.send("PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000000\r\n\r\n"));
  const std::string answer = s.read_response(10s);
  EXPECT_EQ(status_of(answer), 413) << answer;
  EXPECT_TRUE(closes_connection(answer)) << answer;
  EXPECT_LT(seconds_since(begin), 5.0);
  EXPECT_TRUE(s.read_until_closed(10s).has_value());
}

TEST_F(HttpServerLimits, AGarbageRequestLineOrABadHeaderIsAnswered400) {
  start({});
  std::string answer = exchange("HELLO THERE\r\n\r\n");
  EXPECT_EQ(status_of(answer), 400) << answer;
  EXPECT_TRUE(closes_connection(answer)) << answer;
  answer = exchange("GET / HTTP/1.1\r\nHost: x\r\nBad Header Without Colon\r\n\r\n");
  EXPECT_EQ(status_of(answer), 400) << answer;
  answer = exchange("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: twelve\r\n\r\n");
  EXPECT_EQ(status_of(answer), 400) << answer;
}

// ---------------------------------------------------------------------------------------------
// Deadlines and the connection bound.

TEST(HttpServerDeadlines, SlowClientsAreCutAtTheHeadDeadlineWhileAValidRequestSucceeds) {
  io_threads io;
  http::server_options o;
  o.head_timeout = 1s;
  http::http_server server(io.executor(), answer_ok, o);
  server.start();

  // Many connections, each sending one more byte of a never-ending head every 100 ms: a
  // per-read timeout would keep them alive forever; the head deadline must cut them.
  constexpr int slow_count = 20;
  std::vector<raw_socket> slow;
  for (int i = 0; i < slow_count; ++i) slow.emplace_back(server.port());
  const std::string trickle = "GET /slow HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(200, 'z');
  std::vector<double> cut_after(slow_count, -1.0);
  const auto begin = clock_type::now();
  std::atomic<bool> valid_ok{false};
  std::thread valid([&] {
    std::this_thread::sleep_for(300ms);  // while the slow ones are trickling
    raw_socket s(server.port());
    s.send(get_request("/valid", "Connection: close\r\n"));
    valid_ok = status_of(s.read_response()) == 200;
  });
  for (std::size_t byte = 0; seconds_since(begin) < 10.0; ++byte) {
    int open = 0;
    for (int i = 0; i < slow_count; ++i) {
      if (cut_after[i] >= 0) continue;
      std::string scrap;
      const bool sent = slow[i].send(trickle.substr(byte % trickle.size(), 1));
      if (!sent || slow[i].read_some(scrap, 0ms) == 0) {
        cut_after[i] = seconds_since(begin);
        continue;
      }
      ++open;
    }
    if (open == 0) break;
    std::this_thread::sleep_for(100ms);
  }
  valid.join();
  stop_all({&server});
  io.join();

  double latest = 0;
  for (int i = 0; i < slow_count; ++i) {
    EXPECT_GE(cut_after[i], 0.0) << "connection " << i << " was kept alive by its trickle";
    latest = std::max(latest, cut_after[i]);
  }
  EXPECT_LT(latest, 6.0);  // head deadline 1 s, generous margin
  EXPECT_TRUE(valid_ok.load());
  std::printf("[ measure ] %d trickling connections cut after at most %.2f s (head_timeout 1 s)\n",
              slow_count, latest);
}

TEST(HttpServerDeadlines, AnIdleKeepAliveConnectionIsClosedAfterTheIdleTimeout) {
  io_threads io;
  http::server_options o;
  o.idle_timeout = 300ms;
  http::http_server server(io.executor(), answer_ok, o);
  server.start();
  raw_socket s(server.port());
  ASSERT_TRUE(s.send(get_request("/first")));
  const std::string first = s.read_response();
  EXPECT_EQ(status_of(first), 200);
  EXPECT_FALSE(closes_connection(first));  // kept alive
  const auto idle_since = clock_type::now();
  EXPECT_TRUE(s.read_until_closed(10s).has_value());
  const double idle = seconds_since(idle_since);
  EXPECT_GT(idle, 0.1);
  EXPECT_LT(idle, 5.0);
  EXPECT_TRUE(eventually([&] { return server.active_connections() == 0; }));
  stop_all({&server});
}

TEST(HttpServerConnections, TheDefaultBoundIsBelowTheDescriptorLimit) {
  rlimit limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  const std::size_t bound = http::default_max_connections();
  EXPECT_GE(bound, 1u);
  if (limit.rlim_cur != RLIM_INFINITY) {
    EXPECT_LT(bound, static_cast<std::size_t>(limit.rlim_cur));
  }
}

TEST(HttpServerConnections, ConnectionsBeyondTheBoundAreRefusedPromptly) {
  io_threads io;
  http::server_options o;
  o.max_connections = 4;
  http::http_server server(io.executor(), answer_ok, o);
  server.start();
  std::vector<raw_socket> held;
  for (int i = 0; i < 4; ++i) held.emplace_back(server.port());
  ASSERT_TRUE(eventually([&] { return server.active_connections() == 4; }));
  for (int i = 0; i < 3; ++i) {
    raw_socket extra(server.port());
    const auto begin = clock_type::now();
    const std::optional<std::string> answer = extra.read_until_closed(5s);
    ASSERT_TRUE(answer.has_value()) << "an extra connection was kept waiting";
    if (!answer->empty()) {
      EXPECT_EQ(status_of(*answer), 503) << *answer;
    }
    EXPECT_LT(seconds_since(begin), 3.0);
  }
  EXPECT_EQ(server.active_connections(), 4u);
  held.front().close();  // room again
  ASSERT_TRUE(eventually([&] { return server.active_connections() == 3; }));
  raw_socket s(server.port());
  s.send(get_request("/after", "Connection: close\r\n"));
  EXPECT_EQ(status_of(s.read_response()), 200);
  stop_all({&server});
}

// ---------------------------------------------------------------------------------------------
// Descriptor exhaustion, with the server in a child process under a lowered RLIMIT_NOFILE.

/// A child process with its stdout on a pipe; killed (SIGKILL) on destruction if still running.
class child_process {
 public:
  /// Starts `argv[0]` with `argv`; `fd_limit` > 0 lowers RLIMIT_NOFILE in the child first.
  child_process(const std::vector<std::string>& args, rlim_t fd_limit = 0) {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return;
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ == 0) {
      // Only async-signal-safe calls until exec.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
      if (fd_limit > 0) {
        rlimit l{fd_limit, fd_limit};
        ::setrlimit(RLIMIT_NOFILE, &l);
      }
      ::dup2(out[1], STDOUT_FILENO);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    out_ = out[0];
  }
  ~child_process() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    if (out_ >= 0) ::close(out_);
  }
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const { return pid_; }

  /// The next line of the child's stdout, waiting up to `limit`.
  std::optional<std::string> read_line(std::chrono::milliseconds limit) {
    const auto end = clock_type::now() + limit;
    for (;;) {
      if (const std::size_t nl = buffered_.find('\n'); nl != std::string::npos) {
        std::string line = buffered_.substr(0, nl);
        buffered_.erase(0, nl + 1);
        return line;
      }
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(end - clock_type::now());
      if (left.count() <= 0 || !read_more(left)) return std::nullopt;
    }
  }
  /// Everything the child writes until it closes its stdout (or `limit` passes).
  std::string read_rest(std::chrono::milliseconds limit) {
    const auto end = clock_type::now() + limit;
    for (;;) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(end - clock_type::now());
      if (left.count() <= 0 || !read_more(left)) break;
    }
    return std::exchange(buffered_, {});
  }

  /// Waits up to `limit` for the child to exit; its wait status, or nullopt.
  std::optional<int> wait(std::chrono::milliseconds limit) {
    const auto end = clock_type::now() + limit;
    for (;;) {
      int status = 0;
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        exited_ = true;
        return status;
      }
      if (r < 0 || clock_type::now() > end) return std::nullopt;
      std::this_thread::sleep_for(5ms);
    }
  }

  /// User plus system CPU time of the child so far, in seconds (/proc/<pid>/stat).
  double cpu_seconds() const {
    std::ifstream stat("/proc/" + std::to_string(pid_) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const std::size_t paren = text.rfind(')');
    if (paren == std::string::npos) return -1;
    std::istringstream fields(text.substr(paren + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {  // fields 14 and 15: utime, stime
      if (i == 14) utime = std::stoull(field);
      if (i == 15) stime = std::stoull(field);
    }
    return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  }

 private:
  bool read_more(std::chrono::milliseconds limit) {
    pollfd p{out_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(limit.count())) <= 0) return false;
    char chunk[4096];
    const ssize_t n = ::read(out_, chunk, sizeof chunk);
    if (n <= 0) return false;
    buffered_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  pid_t pid_ = -1;
  int out_ = -1;
  bool exited_ = false;
  std::string buffered_;
};

std::uint16_t port_from(const std::optional<std::string>& line, std::string_view prefix) {
  if (!line) return 0;
  const std::size_t at = line->find(prefix);
  if (at == std::string::npos) return 0;
  std::size_t colon = line->rfind(':');
  std::string digits = line->substr(colon != std::string::npos && colon > at
                                        ? colon + 1
                                        : at + prefix.size());
  return static_cast<std::uint16_t>(std::atoi(digits.c_str()));
}

TEST(HttpServerFaults, UnderDescriptorExhaustionTheServerBacksOffServesLaterAndReportsOnce) {
#if defined(__SANITIZE_ADDRESS__)
  // UndefinedBehaviorSanitizer's type check probes whether memory is readable through a pipe of
  // its own; with every descriptor taken, the probe fails and the check reports a valid object as
  // having an invalid vptr. The test runs in the plain builds (the `faults` stage).
  GTEST_SKIP() << "the sanitizer runtime itself needs free descriptors";
#endif
  // A bound far above the descriptors: accept itself fails (EMFILE).
  child_process server({CTXFLOW_HTTP_SERVER_FAULT_SERVER, "100000", "60000"}, /*fd_limit=*/64);
  ASSERT_GT(server.pid(), 0);
  const std::uint16_t port = port_from(server.read_line(20s), "port ");
  ASSERT_NE(port, 0);

  // More idle connections than the server has descriptors for; the kernel completes them all
  // (listen backlog), the server cannot accept the rest.
  std::vector<raw_socket> idle;
  for (int i = 0; i < 150; ++i) {
    idle.emplace_back(port);
    ASSERT_TRUE(idle.back().connected()) << i;
  }
  std::this_thread::sleep_for(300ms);  // let the server run into EMFILE
  const double cpu_before = server.cpu_seconds();
  const auto window_start = clock_type::now();
  std::this_thread::sleep_for(1s);
  const double cpu_share = (server.cpu_seconds() - cpu_before) / seconds_since(window_start);
  EXPECT_LT(cpu_share, 0.5) << "the accept loop spins";
  std::printf("[ measure ] server CPU under descriptor exhaustion: %.1f %%\n", cpu_share * 100);

  // Once the connections go, a valid request is served.
  idle.clear();
  bool served = false;
  const auto begin = clock_type::now();
  while (!served && seconds_since(begin) < 15.0) {
    raw_socket s(port);
    if (s.connected() && s.send(get_request("/", "Connection: close\r\n")))
      served = status_of(s.read_response(3s)) == 200;
    if (!served) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(served);
  std::printf("[ measure ] served again %.2f s after the connections closed\n",
              seconds_since(begin));

  ::kill(server.pid(), SIGTERM);
  const std::optional<int> status = server.wait(10s);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
  const std::string output = server.read_rest(2s);
  std::size_t reports = 0;
  for (std::size_t at = output.find("diagnostic http.server.accept_failed");
       at != std::string::npos;
       at = output.find("diagnostic http.server.accept_failed", at + 1))
    ++reports;
  EXPECT_EQ(reports, 1u) << output;
}

// ---------------------------------------------------------------------------------------------
// Graceful shutdown.

awaitable<http::response> answer_after(std::chrono::milliseconds delay, http::request req) {
  net::steady_timer timer(co_await net::this_coro::executor, delay);
  co_await timer.async_wait(net::use_awaitable);
  co_return http::response{200, {}, "late " + req.target};
}

TEST(HttpServerShutdown, AnInFlightRequestFinishesAndIdleConnectionsAreClosed) {
  io_threads io;
  http::server_options o;
  o.drain_timeout = 10s;
  http::http_server server(io.executor(), [](http::request req) {
    const std::chrono::milliseconds delay = req.target == "/slow" ? 500ms : 0ms;
    return answer_after(delay, std::move(req));
  }, o);
  server.start();
  raw_socket idle(server.port());
  ASSERT_TRUE(idle.send(get_request("/quick")));
  ASSERT_EQ(status_of(idle.read_response()), 200);  // now idle, kept alive
  raw_socket busy(server.port());
  ASSERT_TRUE(busy.send(get_request("/slow")));
  std::this_thread::sleep_for(100ms);  // the slow request is in its handler

  const auto begin = clock_type::now();
  server.shutdown();
  EXPECT_TRUE(idle.read_until_closed(3s).has_value());  // closed without waiting for the drain
  const std::string answer = busy.read_response();
  EXPECT_EQ(status_of(answer), 200) << answer;  // finished
  EXPECT_TRUE(closes_connection(answer)) << answer;
  EXPECT_TRUE(server.wait_for_shutdown(10s));
  EXPECT_LT(seconds_since(begin), 5.0);  // well before the 10 s drain timeout
  raw_socket late(server.port());
  EXPECT_FALSE(late.connected());  // no longer accepting
  EXPECT_EQ(late.connect_errno(), ECONNREFUSED);
}

// Used by the tests that need coroutine cancellation (Boost 1.77 and later).
[[maybe_unused]] awaitable<http::response> wait_forever(std::atomic<int>& arrived, http::request) {
  arrived.fetch_add(1);
  net::steady_timer timer(co_await net::this_coro::executor, 60s);
  co_await timer.async_wait(net::use_awaitable);
  co_return http::response{200, {}, "too late"};
}

awaitable<http::response> call_slow(http::http_client& client, std::uint16_t port,
                                    std::atomic<int>& outcome, http::request) {
  try {
    (void)co_await client.send("127.0.0.1", port, {"GET", "/slow"});
    outcome = 1;
  } catch (const boost::system::system_error&) {
    outcome = 2;  // cancelled
  }
  co_return http::response{503, {}, "cancelled"};
}

#if BOOST_VERSION < 107700
// Without per-operation cancellation the drain timeout cannot reach the handler: it closes the
// connection at once, and the handler runs on until its own call ends (here: the client's
// deadline), after which wait_for_shutdown() returns.
TEST(HttpServerShutdown, AtTheDrainTimeoutTheConnectionIsClosedAndTheHandlerRunsToItsDeadline) {
  io_threads io;
  std::atomic<int> arrived{0};
  // Slower than the client's deadline; not forever, since its own stop cannot cancel it either.
  http::http_server downstream(io.executor(), [&arrived](http::request req) {
    arrived.fetch_add(1);
    return answer_after(6s, std::move(req));
  });
  downstream.start();
  http::client_options co;
  co.timeout = 2s;  // what ends the handler's call
  http::http_client client(io.executor(), co);
  std::atomic<int> outcome{0};
  const std::uint16_t downstream_port = downstream.port();
  http::server_options o;
  o.drain_timeout = 500ms;
  http::http_server server(io.executor(), [&](http::request req) {
    return call_slow(client, downstream_port, outcome, std::move(req));
  }, o);
  server.start();

  raw_socket s(server.port());
  ASSERT_TRUE(s.send(get_request("/work")));
  ASSERT_TRUE(eventually([&] { return arrived.load() == 1; }));
  const auto begin = clock_type::now();
  server.shutdown();
  EXPECT_TRUE(s.read_until_closed(5s).has_value());
  const double closed = seconds_since(begin);
  EXPECT_GE(closed, 0.4);  // the request had its drain time
  EXPECT_LT(closed, 1.5);  // then its connection was closed, before the handler ended
  EXPECT_FALSE(server.wait_for_shutdown(200ms));  // the handler is still waiting downstream
  EXPECT_TRUE(server.wait_for_shutdown(10s));
  const double took = seconds_since(begin);
  EXPECT_GE(took, 1.5);  // the client's 2 s deadline ended the call
  EXPECT_LT(took, 5.0);
  EXPECT_EQ(outcome.load(), 2);
  stop_all({&server, &downstream});
}
#else
TEST(HttpServerShutdown, AHandlerStuckOnASlowDownstreamCallIsCancelledAtTheDrainTimeout) {
  io_threads io;
  std::atomic<int> arrived{0};
  http::http_server downstream(io.executor(), [&arrived](http::request req) {
    return wait_forever(arrived, std::move(req));
  });
  downstream.start();
  http::client_options co;
  co.timeout = 60s;  // only the cancellation can end the call in time
  http::http_client client(io.executor(), co);
  std::atomic<int> outcome{0};
  const std::uint16_t downstream_port = downstream.port();
  http::server_options o;
  o.drain_timeout = 500ms;
  http::http_server server(io.executor(), [&](http::request req) {
    return call_slow(client, downstream_port, outcome, std::move(req));
  }, o);
  server.start();

  raw_socket s(server.port());
  ASSERT_TRUE(s.send(get_request("/work")));
  ASSERT_TRUE(eventually([&] { return arrived.load() == 1; }));
  const auto begin = clock_type::now();
  server.shutdown();
  const bool finished = server.wait_for_shutdown(10s);
  const double took = seconds_since(begin);
  EXPECT_TRUE(finished);
  EXPECT_GE(took, 0.4);  // the request had its drain time
  EXPECT_LT(took, 3.0);  // drain 0.5 s plus margin: the stuck call was cancelled
  EXPECT_EQ(outcome.load(), 2);
  EXPECT_TRUE(s.read_until_closed(5s).has_value());
  std::printf("[ measure ] shutdown with a stuck downstream call took %.3f s (drain 0.5 s)\n",
              took);
  stop_all({&server, &downstream});
}
#endif

// ---------------------------------------------------------------------------------------------
// integrations::asio::co_spawn hands the token's cancellation slot to the coroutine.
#if BOOST_VERSION < 107700
TEST(AsioCoSpawnCancellation, TheTokensCancellationSlotReachesTheAwaitedOperation) {
  GTEST_SKIP() << "Boost " << BOOST_LIB_VERSION
               << " has no per-operation cancellation (added in 1.77)";
}
#else

awaitable<void> nested_wait(std::atomic<bool>& waiting) {
  net::steady_timer timer(co_await net::this_coro::executor, 60s);
  waiting = true;
  co_await timer.async_wait(net::use_awaitable);
}

awaitable<void> outer_wait(std::atomic<bool>& waiting) { co_await nested_wait(waiting); }

TEST(AsioCoSpawnCancellation, TheTokensCancellationSlotReachesTheAwaitedOperation) {
  for (int overload = 0; overload < 2; ++overload) {
    net::io_context io;
    net::cancellation_signal signal;
    std::atomic<bool> waiting{false};
    std::atomic<bool> done{false};
    bool aborted = false;
    auto token = net::bind_cancellation_slot(signal.slot(), [&](std::exception_ptr e) {
      try {
        if (e) std::rethrow_exception(e);
      } catch (const boost::system::system_error& error) {
        aborted = error.code() == net::error::operation_aborted;
      }
      done = true;
    });
    if (overload == 0) {
      integrations::asio::co_spawn(io, outer_wait(waiting), token);
    } else {
      integrations::asio::co_spawn(io.get_executor(), [&] { return outer_wait(waiting); }, token);
    }
    std::thread runner([&] { io.run_for(10s); });
    ASSERT_TRUE(eventually([&] { return waiting.load(); }));
    std::this_thread::sleep_for(20ms);  // the timer wait has started
    net::post(io, [&] { signal.emit(net::cancellation_type::terminal); });
    EXPECT_TRUE(eventually([&] { return done.load(); }, 5s)) << "overload " << overload;
    io.stop();
    runner.join();
    EXPECT_TRUE(aborted) << "overload " << overload;
  }
}
#endif

// ---------------------------------------------------------------------------------------------
// The W3C test service process and SIGTERM.

TEST(W3cTestServiceProcess, SigtermShutsDownWithinTheDrainTimeoutWhileAHandlerWaitsDownstream) {
#if !defined(CTXFLOW_W3C_TEST_SERVICE)
  GTEST_SKIP() << "the examples are not built";
#elif BOOST_VERSION < 107700
  GTEST_SKIP() << "Boost " << BOOST_LIB_VERSION
               << " cannot cancel the service's handler at the drain timeout (per-operation "
                  "cancellation came with 1.77)";
#else
  io_threads io;
  std::atomic<int> arrived{0};
  http::http_server downstream(io.executor(), [&arrived](http::request req) {
    return wait_forever(arrived, std::move(req));
  });
  downstream.start();

  child_process service({CTXFLOW_W3C_TEST_SERVICE, "0", "1000"});
  ASSERT_GT(service.pid(), 0);
  const std::uint16_t port = port_from(service.read_line(20s), "127.0.0.1:");
  ASSERT_NE(port, 0);
  const std::string body = R"([{"url": "http://127.0.0.1:)" + std::to_string(downstream.port()) +
                           R"(/slow", "arguments": []}, {"url": "http://127.0.0.1:)" +
                           std::to_string(downstream.port()) + R"(/never", "arguments": []}])";
  raw_socket s(port);
  ASSERT_TRUE(s.send("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body));
  ASSERT_TRUE(eventually([&] { return arrived.load() == 1; }));

  const auto begin = clock_type::now();
  ASSERT_EQ(::kill(service.pid(), SIGTERM), 0);
  const std::optional<int> status = service.wait(15s);
  const double took = seconds_since(begin);
  ASSERT_TRUE(status.has_value()) << "the service did not exit";
  EXPECT_TRUE(WIFEXITED(*status)) << *status;
  EXPECT_EQ(WEXITSTATUS(*status), 0);  // every request ended within the drain timeout
  EXPECT_LT(took, 1.0 + 3.0);          // drain 1 s plus margin
  EXPECT_EQ(arrived.load(), 1);        // the second call was never made
  std::printf("[ measure ] w3c_test_service exited %.3f s after SIGTERM (drain 1 s)\n", took);
  stop_all({&downstream});
#endif
}

}  // namespace
}  // namespace ctxflow::integrations
