// SPDX-License-Identifier: Apache-2.0
// grpc_receiver: a small real OTLP/gRPC receiver for tests. A gRPC server on 127.0.0.1
// (ephemeral port) implementing TraceService/Export with the classes protoc generates from
// tests/otlp/proto (libprotobuf decodes the requests). It records each request with its
// metadata, and a script decides each answer: a status code (with a google.rpc.RetryInfo in the
// details when asked), a partial success, a delay.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "otlp_trace_service.pb.h"

namespace ctxflow::exporters::otlp::testing {

/// One call as the receiver saw it.
struct grpc_received {
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest request;
  std::multimap<std::string, std::string> metadata;  // the client's metadata
  std::vector<std::string> span_names;               // every span, in message order
};

/// What to answer.
struct grpc_answer {
  /// A grpc::StatusCode (0: OK).
  int code = 0;
  std::string message;
  /// With a non-OK code: a google.rpc.RetryInfo with this delay in the status details.
  std::optional<std::chrono::milliseconds> retry_info;
  /// With OK: a partial_success with these rejected spans and message.
  std::optional<std::int64_t> rejected_spans;
  std::string partial_message;
  /// Wait this long before answering (the wait ends early when the receiver stops).
  std::chrono::milliseconds delay{0};
};

/// Decides the answer to the `index`-th call (0-based).
using grpc_script = std::function<grpc_answer(std::size_t index)>;

/// Thread safety: every member function may be called from any thread.
class grpc_receiver {
 public:
  /// `accept_gzip` false: the server does not accept gzip-compressed messages (a gzip call
  /// then fails with UNIMPLEMENTED). With `tls` (PEM certificate chain and key) it serves TLS.
  explicit grpc_receiver(grpc_script script = {}, bool accept_gzip = true,
                         std::optional<std::pair<std::string, std::string>> tls = {});
  /// Stops the server (calls in flight are cancelled).
  ~grpc_receiver();
  grpc_receiver(const grpc_receiver&) = delete;
  grpc_receiver& operator=(const grpc_receiver&) = delete;

  std::uint16_t port() const { return port_; }
  /// `http://127.0.0.1:<port>` (`https://` with TLS)
  std::string endpoint() const;

  void set_script(grpc_script script);
  std::vector<grpc_received> requests() const;
  std::size_t request_count() const;
  std::size_t span_count() const;
  /// Waits until at least `n` calls arrived; false on timeout.
  bool wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const;

  struct state;

 private:
  std::shared_ptr<state> state_;
  std::uint16_t port_ = 0;
  bool tls_ = false;
};

/// A google.rpc.Status (code, message) with a RetryInfo of `delay`, serialised: what the
/// grpc-status-details-bin trailer carries.
std::string status_details_with_retry_info(int code, const std::string& message,
                                           std::chrono::milliseconds delay);

}  // namespace ctxflow::exporters::otlp::testing
