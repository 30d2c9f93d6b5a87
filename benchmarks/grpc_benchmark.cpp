// SPDX-License-Identifier: Apache-2.0
// The cost of the gRPC interceptors per unary call: the same sync Say call to a loopback
// ctxflowtest.Echo server (a trivial handler) without ctxflow, with pass-through interceptors on
// both sides (gRPC's interceptor machinery alone), with ctxflow's interceptors and the no-op
// tracer (propagation and bookkeeping only), and with ctxflow's interceptors and the SDK (sampled
// CLIENT and SERVER spans, batched to an exporter that drops them), all in one run.
// Built only with CTXFLOW_WITH_GRPC (benchmarks/CMakeLists.txt).
#include <benchmark/benchmark.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "ctxflow/context/scope.hpp"
#include "ctxflow/integrations/grpc/interceptors.hpp"
#include "ctxflow/propagation/baggage.hpp"
#include "ctxflow/propagation/global.hpp"
#include "ctxflow/sdk/batch_span_processor.hpp"
#include "ctxflow/sdk/tracer_provider.hpp"
#include "echo.grpc.pb.h"

namespace {

using namespace ctxflow;
namespace cg = ctxflow::integrations::grpc;

class null_exporter final : public sdk::span_exporter {
 public:
  sdk::export_result export_spans(std::span<const sdk::span_data* const> batch) noexcept override {
    benchmark::DoNotOptimize(batch.data());
    return sdk::export_result::success;
  }
};

class echo final : public ctxflowtest::Echo::Service {
 public:
  ::grpc::Status Say(::grpc::ServerContext*, const ctxflowtest::SayRequest* request,
                     ctxflowtest::SayReply* reply) override {
    reply->set_text(request->text());
    return ::grpc::Status::OK;
  }
};

/// A client and a server interceptor that only proceed: what gRPC's interceptor machinery costs
/// by itself, so that ctxflow's share can be told apart.
class pass_through final : public ::grpc::experimental::Interceptor {
 public:
  void Intercept(::grpc::experimental::InterceptorBatchMethods* m) override { m->Proceed(); }
};
class pass_through_client final
    : public ::grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  ::grpc::experimental::Interceptor* CreateClientInterceptor(
      ::grpc::experimental::ClientRpcInfo*) override {
    return new pass_through;
  }
};
class pass_through_server final
    : public ::grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  ::grpc::experimental::Interceptor* CreateServerInterceptor(
      ::grpc::experimental::ServerRpcInfo*) override {
    return new pass_through;
  }
};

enum class mode { plain, empty_interceptors, noop_tracer, sdk };

struct setup {
  std::shared_ptr<sdk::tracer_provider> provider;
  echo service;
  std::unique_ptr<::grpc::Server> server;
  std::unique_ptr<ctxflowtest::Echo::Stub> stub;

  explicit setup(mode m) {
    trace::tracer tracer;  // no-op
    if (m == mode::sdk) {
      sdk::tracer_provider_options opts;
      opts.processors.push_back(std::make_unique<sdk::batch_span_processor>(
          std::make_unique<null_exporter>(), sdk::batch_options{}));
      provider = std::make_shared<sdk::tracer_provider>(std::move(opts));
      tracer = provider->get_tracer("bench");
    }
    int port = 0;
    ::grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", ::grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service);
    if (m == mode::empty_interceptors) {
      std::vector<std::unique_ptr<::grpc::experimental::ServerInterceptorFactoryInterface>> f;
      f.push_back(std::make_unique<pass_through_server>());
      builder.experimental().SetInterceptorCreators(std::move(f));
    } else if (m != mode::plain) {
      cg::server_options so;
      so.tracer = tracer;
      cg::add_server_interceptors(builder, so);
    }
    server = builder.BuildAndStart();
    const std::string address = "127.0.0.1:" + std::to_string(port);
    if (m == mode::plain) {
      stub = ctxflowtest::Echo::NewStub(
          ::grpc::CreateChannel(address, ::grpc::InsecureChannelCredentials()));
    } else if (m == mode::empty_interceptors) {
      std::vector<std::unique_ptr<::grpc::experimental::ClientInterceptorFactoryInterface>> f;
      f.push_back(std::make_unique<pass_through_client>());
      stub = ctxflowtest::Echo::NewStub(::grpc::experimental::CreateCustomChannelWithInterceptors(
          address, ::grpc::InsecureChannelCredentials(), ::grpc::ChannelArguments(),
          std::move(f)));
    } else {
      cg::client_options co;
      co.tracer = tracer;
      stub = ctxflowtest::Echo::NewStub(
          cg::make_channel(address, ::grpc::InsecureChannelCredentials(), co));
    }
  }
  ~setup() { server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1)); }
};

void run_calls(benchmark::State& state, mode m) {
  propagation::set_global_propagator(
      propagation::propagator_from_env_value("tracecontext,baggage"));
  setup s(m);
  // A caller with a span and one baggage entry, as a traced service would have.
  trace::tracer caller_tracer = s.provider ? s.provider->get_tracer("caller") : trace::tracer();
  auto root = caller_tracer.start_as_current_span("caller");
  const auto b = propagation::baggage::current().set("tenant", "acme");
  const scope with_b(propagation::with_baggage(context::current(), b));
  ctxflowtest::SayRequest request;
  request.set_text("hello");
  for (auto _ : state) {
    ctxflowtest::SayReply reply;
    ::grpc::ClientContext client;
    client.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    const ::grpc::Status status = s.stub->Say(&client, request, &reply);
    if (!status.ok()) state.SkipWithError(status.error_message().c_str());
    benchmark::DoNotOptimize(reply);
  }
  propagation::set_global_propagator(nullptr);
}

void BM_grpc_unary_plain(benchmark::State& state) { run_calls(state, mode::plain); }
void BM_grpc_unary_empty_interceptors(benchmark::State& state) {
  run_calls(state, mode::empty_interceptors);
}
void BM_grpc_unary_interceptors_noop_tracer(benchmark::State& state) {
  run_calls(state, mode::noop_tracer);
}
void BM_grpc_unary_interceptors_sdk(benchmark::State& state) { run_calls(state, mode::sdk); }

BENCHMARK(BM_grpc_unary_plain)->UseRealTime();
BENCHMARK(BM_grpc_unary_empty_interceptors)->UseRealTime();
BENCHMARK(BM_grpc_unary_interceptors_noop_tracer)->UseRealTime();
BENCHMARK(BM_grpc_unary_interceptors_sdk)->UseRealTime();

}  // namespace
