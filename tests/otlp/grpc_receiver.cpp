// SPDX-License-Identifier: Apache-2.0
// The loopback OTLP/gRPC receiver of the tests: a synchronous TraceService on 127.0.0.1.
#include "grpc_receiver.hpp"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <utility>

#include "otlp_trace_grpc.grpc.pb.h"
#include "rpc_status.pb.h"

namespace ctxflow::exporters::otlp::testing {

namespace pb = opentelemetry::proto::collector::trace::v1;

struct grpc_receiver::state final : pb::TraceService::Service {
  mutable std::mutex mu;
  mutable std::condition_variable cv;  // signals a new request, and stopping
  grpc_script script;                  // guarded by mu
  std::vector<grpc_received> received;  // guarded by mu
  bool stopping = false;               // guarded by mu
  std::unique_ptr<grpc::Server> server;

  grpc::Status Export(grpc::ServerContext* ctx, const pb::ExportTraceServiceRequest* req,
                      pb::ExportTraceServiceResponse* resp) override {
    grpc_received r;
    r.request = *req;
    for (const auto& [k, v] : ctx->client_metadata())
      r.metadata.emplace(std::string(k.data(), k.size()), std::string(v.data(), v.size()));
    for (const auto& rs : req->resource_spans())
      for (const auto& ss : rs.scope_spans())
        for (const auto& sp : ss.spans()) r.span_names.push_back(sp.name());
    grpc_answer a;
    {
      std::unique_lock lock(mu);
      const std::size_t index = received.size();
      received.push_back(std::move(r));
      cv.notify_all();
      if (script) a = script(index);
      if (a.delay.count() > 0) cv.wait_for(lock, a.delay, [&] { return stopping; });
    }
    if (a.code != 0) {
      const auto code = static_cast<grpc::StatusCode>(a.code);
      if (a.retry_info)
        return grpc::Status(code, a.message,
                            status_details_with_retry_info(a.code, a.message, *a.retry_info));
      return grpc::Status(code, a.message);
    }
    if (a.rejected_spans) {
      resp->mutable_partial_success()->set_rejected_spans(*a.rejected_spans);
      resp->mutable_partial_success()->set_error_message(a.partial_message);
    }
    return grpc::Status::OK;
  }
};

grpc_receiver::grpc_receiver(grpc_script script, bool accept_gzip,
                             std::optional<std::pair<std::string, std::string>> tls)
    : state_(std::make_shared<state>()) {
  state_->script = std::move(script);
  grpc::ServerBuilder builder;
  int port = 0;
  std::shared_ptr<grpc::ServerCredentials> creds = grpc::InsecureServerCredentials();
  if (tls) {
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back({tls->second, tls->first});
    creds = grpc::SslServerCredentials(ssl);
  }
  builder.AddListeningPort("127.0.0.1:0", creds, &port);
  builder.RegisterService(state_.get());
  if (!accept_gzip) builder.SetCompressionAlgorithmSupportStatus(GRPC_COMPRESS_GZIP, false);
  state_->server = builder.BuildAndStart();
  if (!state_->server || port <= 0) throw std::runtime_error("grpc_receiver: cannot listen");
  port_ = static_cast<std::uint16_t>(port);
  tls_ = tls.has_value();
}

grpc_receiver::~grpc_receiver() {
  {
    std::lock_guard lock(state_->mu);
    state_->stopping = true;
  }
  state_->cv.notify_all();
  state_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  state_->server->Wait();
}

std::string grpc_receiver::endpoint() const {
  return (tls_ ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(port_);
}

void grpc_receiver::set_script(grpc_script script) {
  std::lock_guard lock(state_->mu);
  state_->script = std::move(script);
}

std::vector<grpc_received> grpc_receiver::requests() const {
  std::lock_guard lock(state_->mu);
  return state_->received;
}

std::size_t grpc_receiver::request_count() const {
  std::lock_guard lock(state_->mu);
  return state_->received.size();
}

std::size_t grpc_receiver::span_count() const {
  std::lock_guard lock(state_->mu);
  std::size_t n = 0;
  for (const auto& r : state_->received) n += r.span_names.size();
  return n;
}

bool grpc_receiver::wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(state_->mu);
  return state_->cv.wait_for(lock, timeout, [&] { return state_->received.size() >= n; });
}

std::string status_details_with_retry_info(int code, const std::string& message,
                                           std::chrono::milliseconds delay) {
  ctxflowtest::rpc::RetryInfo info;
  info.mutable_retry_delay()->set_seconds(delay.count() / 1000);
  info.mutable_retry_delay()->set_nanos(
      static_cast<std::int32_t>((delay.count() % 1000) * 1000000));
  ctxflowtest::rpc::Status st;
  st.set_code(code);
  st.set_message(message);
  auto* any = st.add_details();
  any->set_type_url("type.googleapis.com/google.rpc.RetryInfo");
  any->set_value(info.SerializeAsString());
  return st.SerializeAsString();
}

}  // namespace ctxflow::exporters::otlp::testing
