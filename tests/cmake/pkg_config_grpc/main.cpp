// SPDX-License-Identifier: Apache-2.0
// Built by scripts/test.sh with nothing but `pkg-config --cflags --libs ctxflow-grpc
// ctxflow-sdk`: the gRPC component's flags must bring gRPC++ along. The program runs a gRPC
// server on 127.0.0.1 (an ephemeral port) with ctxflow's server interceptors
// and a generic callback service that answers every method with UNIMPLEMENTED, calls a method
// through a channel with the client interceptor from inside a span, and checks
// what the in-memory exporter holds: a CLIENT and a SERVER span of that method, both status ERROR
// (the server answers UNIMPLEMENTED), both in the caller's trace, the SERVER span a child of the
// CLIENT span. Every call has a deadline. Exit 0 only when all of that holds.
#include <chrono>
#include <cstdio>
#include <future>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include "ctxflow/exporters/in_memory_exporter.hpp"
#include "ctxflow/integrations/grpc/interceptors.hpp"
#include "ctxflow/propagation/global.hpp"
#include "ctxflow/propagation/w3c_trace_context.hpp"
#include "ctxflow/sdk/span_processor.hpp"
#include "ctxflow/sdk/tracer_provider.hpp"
#include "ctxflow/trace/provider.hpp"

namespace cg = ctxflow::integrations::grpc;

namespace {

int fail(const char* what) {
  std::fprintf(stderr, "pkg_config_grpc: %s\n", what);
  return 1;
}

}  // namespace

int main() {
  auto exporter = std::make_unique<ctxflow::exporters::in_memory_exporter>();
  const std::shared_ptr<ctxflow::exporters::in_memory_store> memory = exporter->store();
  ctxflow::sdk::tracer_provider_options provider_options;
  provider_options.processors.push_back(
      std::make_unique<ctxflow::sdk::simple_span_processor>(std::move(exporter)));
  // As sdk::init would: the W3C propagator (the global one is a no-op until set).
  ctxflow::propagation::set_global_propagator(
      std::make_shared<ctxflow::propagation::w3c_trace_context_propagator>());
  ctxflow::trace::set_tracer_provider(
      std::make_shared<ctxflow::sdk::tracer_provider>(std::move(provider_options)));

  int port = 0;
  ::grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", ::grpc::InsecureServerCredentials(), &port);
  // Its reactors answer every method with UNIMPLEMENTED; gRPC needs a service to serve at all.
  ::grpc::CallbackGenericService generic;
  builder.RegisterCallbackGenericService(&generic);
  cg::add_server_interceptors(builder);
  std::unique_ptr<::grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) return fail("the server did not start");

  const std::string target = "127.0.0.1:" + std::to_string(port);
  ::grpc::GenericStub stub(cg::make_channel(target, ::grpc::InsecureChannelCredentials()));
  ctxflow::trace::trace_id caller_trace;
  ::grpc::Status status;
  {
    auto parent = ctxflow::trace::get_tracer("pkg_config_grpc").start_as_current_span("caller");
    caller_trace = ctxflow::trace::current_span().context().trace;
    ::grpc::ClientContext call;
    call.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    ::grpc::Slice empty_message(std::string{});  // a default ByteBuffer is not a valid message
    ::grpc::ByteBuffer request(&empty_message, 1), response;
    std::promise<::grpc::Status> done;
    std::future<::grpc::Status> result = done.get_future();
    stub.UnaryCall(&call, "/ctxflowtest.Absent/Call", ::grpc::StubOptions(), &request, &response,
                   [&done](::grpc::Status s) { done.set_value(std::move(s)); });
    // The call's own deadline ends it; this wait only guards against a call that never ends.
    if (result.wait_for(std::chrono::seconds(20)) != std::future_status::ready)
      return fail("the call did not end");
    status = result.get();
  }
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  if (status.error_code() != ::grpc::StatusCode::UNIMPLEMENTED) return fail("expected UNIMPLEMENTED");

  ctxflow::trace::span_id client_span, server_parent;
  for (const auto& span : memory->spans()) {
    if (span.name != "ctxflowtest.Absent/Call") continue;
    if (span.context.trace != caller_trace) return fail("a span left the caller's trace");
    if (span.status.code != ctxflow::trace::status_code::error) return fail("a span is not ERROR");
    if (span.kind == ctxflow::trace::span_kind::client) client_span = span.context.span;
    if (span.kind == ctxflow::trace::span_kind::server) server_parent = span.parent_span_id;
  }
  if (!client_span.valid() || !server_parent.valid()) return fail("a CLIENT or SERVER span is missing");
  if (client_span != server_parent) return fail("the SERVER span is not the CLIENT span's child");
  const auto hex = caller_trace.to_hex();
  std::printf("pkg_config_grpc: CLIENT and SERVER spans in trace %.*s\n",
              static_cast<int>(hex.size()), hex.data());
  return 0;
}
