// SPDX-License-Identifier: Apache-2.0
// loopback_receiver: a small real OTLP/HTTP receiver for tests. An HTTP/1.1 server on
// 127.0.0.1 (ephemeral port, keep-alive) in its own thread that gunzips request bodies with
// zlib and decodes them with libprotobuf or nlohmann::json. A handler scripts each answer, so
// tests can make it fail (status codes, Retry-After, delays, dropped connections) and it can be
// taken down and brought back on the same port.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace ctxflow::exporters::otlp::testing {

/// One request as the receiver saw it.
struct received_request {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // names in lowercase
  std::string body;                            // as received
  std::string payload;                         // after Content-Encoding: gzip was undone
  bool decoded = false;                        // the payload decoded as an OTLP request
  std::vector<std::string> span_names;         // every span, in message order
};

/// What to answer.
struct canned_response {
  int status = 200;
  std::string content_type = "application/x-protobuf";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  /// Wait this long before answering (the wait ends early when the receiver stops).
  std::chrono::milliseconds delay{0};
  /// Close the connection without answering.
  bool drop_connection = false;
};

/// Decides the answer to the `index`-th request (0-based).
using response_script = std::function<canned_response(const received_request&, std::size_t index)>;

/// Thread safety: every member function may be called from any thread.
class loopback_receiver {
 public:
  explicit loopback_receiver(response_script script = {});
  ~loopback_receiver();
  loopback_receiver(const loopback_receiver&) = delete;
  loopback_receiver& operator=(const loopback_receiver&) = delete;

  std::uint16_t port() const { return port_; }
  /// `http://127.0.0.1:<port>/v1/traces`
  std::string endpoint() const;

  /// Closes the listening socket and every connection: clients get "connection refused".
  void go_down();
  /// Listens again on the same port.
  void come_up();

  void set_script(response_script script);

  std::vector<received_request> requests() const;
  std::size_t request_count() const;
  std::size_t span_count() const;
  std::size_t connections_accepted() const;
  /// Waits until at least `n` requests arrived; false on timeout.
  bool wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const;

 private:
  void run();
  bool open_listener();
  void close_listener();
  canned_response answer(received_request& req);

  std::uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> want_up_{true};
  std::atomic<bool> is_up_{false};
  int listen_fd_ = -1;  // owned by the server thread after construction

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  response_script script_;
  std::vector<received_request> requests_;
  std::size_t spans_ = 0;
  std::size_t accepted_ = 0;
};

/// A binary ExportTraceServiceResponse with partial_success set.
std::string partial_success_body(std::int64_t rejected, const std::string& message);
/// A binary google.rpc.Status.
std::string rpc_status_body(int code, const std::string& message);

}  // namespace ctxflow::exporters::otlp::testing
