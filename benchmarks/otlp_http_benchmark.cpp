// SPDX-License-Identifier: Apache-2.0
// OTLP/HTTP end to end: encode + POST + response for batches of 512 spans to a loopback sink
// (an HTTP/1.1 server on 127.0.0.1 in a thread that reads each request and answers 200), over
// one kept-alive connection. Built only when the OTLP/HTTP exporter is (CTXFLOW_HAS_OTLP_HTTP).
// With the OTLP/gRPC exporter (CTXFLOW_HAS_OTLP_GRPC), the same batches over gRPC to a loopback
// gRPC server that accepts any call and answers an empty message, for the comparison.
#include <benchmark/benchmark.h>

#if defined(CTXFLOW_HAS_OTLP_HTTP)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "ctxflow/exporters/otlp/http_exporter.hpp"
#if defined(CTXFLOW_HAS_OTLP_GRPC)
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>

#include "ctxflow/exporters/otlp/grpc_exporter.hpp"
#endif

namespace {

using namespace ctxflow;

/// Answers every request with an empty 200; one connection at a time.
class sink_server {
 public:
  sink_server() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd_, 4);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~sink_server() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::string endpoint() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/v1/traces";
  }

 private:
  void run() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      serve(c);
      ::close(c);
    }
  }
  void serve(int c) {
    std::string buf;
    char tmp[65536];
    while (!stop_) {
      const std::size_t head = buf.find("\r\n\r\n");
      if (head != std::string::npos) {
        std::size_t length = 0;
        const std::size_t cl = buf.find("Content-Length:");
        if (cl != std::string::npos && cl < head) length = std::stoul(buf.substr(cl + 15));
        if (buf.size() >= head + 4 + length) {
          buf.erase(0, head + 4 + length);
          static const char reply[] =
              "HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\n\r\n";
          ::send(c, reply, sizeof reply - 1, MSG_NOSIGNAL);
          continue;
        }
      }
      pollfd p{c, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const ssize_t n = ::recv(c, tmp, sizeof tmp, 0);
      if (n <= 0) return;
      buf.append(tmp, static_cast<std::size_t>(n));
    }
  }

  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

std::vector<sdk::span_data> make_spans(std::size_t n) {
  auto res = std::make_shared<sdk::resource>();
  res->attributes = {{"service.name", std::string("checkout")}};
  auto scope = std::make_shared<sdk::instrumentation_scope>();
  scope->name = "ctxflow.http";
  std::vector<sdk::span_data> spans(n);
  for (std::size_t i = 0; i < n; ++i) {
    auto& s = spans[i];
    s.context.trace.bytes[0] = static_cast<std::uint8_t>(i + 1);
    s.context.span.bytes[0] = static_cast<std::uint8_t>(i + 1);
    s.context.flags = trace::trace_flags{0x01};
    s.name = "GET /api/v1/orders/{id}";
    s.kind = trace::span_kind::server;
    s.start_time_unix_nano = 1700000000000000000ull + i;
    s.end_time_unix_nano = s.start_time_unix_nano + 1000;
    for (int a = 0; a < 8; ++a) s.attributes.push_back({"attr." + std::to_string(a), std::int64_t{a}});
    s.resource_ptr = res;
    s.scope_ptr = scope;
  }
  return spans;
}

/// Exports batches of 512 spans with `exporter` (one per iteration); `state.range(0)` says
/// whether they are gzip-compressed.
void export_batches(benchmark::State& state, sdk::span_exporter& exporter) {
  const auto spans = make_spans(512);
  std::vector<const sdk::span_data*> ptrs;
  for (const auto& s : spans) ptrs.push_back(&s);
  for (auto _ : state) {
    if (exporter.export_spans(ptrs) != sdk::export_result::success) {
      state.SkipWithError("export failed");
      break;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 512);
  state.SetLabel(state.range(0) != 0 ? "gzip" : "identity");
}

void BM_otlp_export_loopback(benchmark::State& state) {
  sink_server server;
  exporters::otlp::http_exporter_options o;
  o.endpoint = server.endpoint();
  o.compression = state.range(0) != 0 ? exporters::otlp::http_compression::gzip
                                      : exporters::otlp::http_compression::none;
  exporters::otlp::http_exporter exporter(o);
  export_batches(state, exporter);
}
BENCHMARK(BM_otlp_export_loopback)->Arg(0)->Arg(1)->UseRealTime();

#if defined(CTXFLOW_HAS_OTLP_GRPC)
/// A gRPC server on 127.0.0.1 that reads any call's message and answers an empty one.
class grpc_sink {
 public:
  grpc_sink() {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterCallbackGenericService(&service_);
    server_ = builder.BuildAndStart();
  }
  ~grpc_sink() { server_->Shutdown(std::chrono::system_clock::now()); }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  class reactor final : public grpc::ServerGenericBidiReactor {
   public:
    reactor() { StartRead(&request_); }
    void OnReadDone(bool ok) override {
      if (!ok) {
        Finish(grpc::Status::OK);
        return;
      }
      grpc::Slice empty;
      reply_ = grpc::ByteBuffer(&empty, 1);
      StartWriteAndFinish(&reply_, grpc::WriteOptions(), grpc::Status::OK);
    }
    void OnDone() override { delete this; }

   private:
    grpc::ByteBuffer request_;
    grpc::ByteBuffer reply_;
  };
  struct service final : grpc::CallbackGenericService {
    grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext*) override {
      return new reactor;
    }
  };
  service service_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

void BM_otlp_grpc_export_loopback(benchmark::State& state) {
  grpc_sink server;
  exporters::otlp::grpc_exporter_options o;
  o.endpoint = server.endpoint();
  o.compression = state.range(0) != 0 ? exporters::otlp::otlp_compression::gzip
                                      : exporters::otlp::otlp_compression::none;
  exporters::otlp::grpc_exporter exporter(o);
  export_batches(state, exporter);
}
BENCHMARK(BM_otlp_grpc_export_loopback)->Arg(0)->Arg(1)->UseRealTime();
#endif

}  // namespace
#endif
