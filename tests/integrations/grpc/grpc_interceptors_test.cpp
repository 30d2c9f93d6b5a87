// SPDX-License-Identifier: Apache-2.0
// The client and server interceptors over loopback: spans named and attributed by the RPC
// semantic conventions (v1.45.0), the CLIENT span the parent of the SERVER span, statuses, a
// malformed traceparent and oversized baggage, message events, and the call's context current
// in sync handlers and in every callback of a ctxflow reactor, with nothing left on the gRPC
// threads (the probe interceptor).
#include <gtest/gtest.h>

#include <string>

#include "ctxflow/context/scope.hpp"
#include "ctxflow/exec/thread_pool.hpp"
#include "ctxflow/testing/diagnostics_capture.hpp"
#include "ctxflow/testing/span_recorder.hpp"
#include "integrations/grpc/grpc_fixture.hpp"
#include "integrations/span_attributes.hpp"

namespace ctxflow::test::grpc_tests {
namespace {

using ctxflowtest::SayReply;
using ctxflowtest::SayRequest;
using test::int_attribute;
using test::string_attribute;

const sdk::span_data* find_span(const std::vector<sdk::span_data>& spans, trace::span_kind kind,
                                const trace::span_id& parent) {
  for (const auto& s : spans)
    if (s.kind == kind && s.parent_span_id == parent) return &s;
  return nullptr;
}

TEST(GrpcInterceptors, ClientAndServerSpansFollowTheRpcConventionsAcrossOneHop) {
  testing::span_recorder recorder;
  thread_probe probe;
  recording_service service;
  probed_server server = start_probed(service, probe);
  auto stub = traced_stub(server);

  SayReply reply;
  trace::span_context caller;
  {
    auto root = recorder.tracer().start_as_current_span("caller");
    SayRequest request;
    request.set_text("one");
    ::grpc::ClientContext client;
    client.set_deadline(deadline_in());
    ASSERT_TRUE(stub->Say(&client, request, &reply).ok());
    caller = trace::current_span().context();
  }

  ASSERT_TRUE(recorder.wait_for(3));
  const auto spans = recorder.spans();
  const sdk::span_data* c = find_span(spans, trace::span_kind::client, caller.span);
  ASSERT_NE(c, nullptr);
  const sdk::span_data* s = find_span(spans, trace::span_kind::server, c->context.span);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(c->name, "ctxflowtest.Echo/Say");
  EXPECT_EQ(s->name, "ctxflowtest.Echo/Say");
  EXPECT_EQ(c->context.trace, caller.trace);
  EXPECT_EQ(s->context.trace, caller.trace);
  EXPECT_TRUE(s->parent_is_remote);
  for (const sdk::span_data* d : {c, s}) {
    EXPECT_EQ(string_attribute(*d, "rpc.system.name"), "grpc");
    EXPECT_EQ(string_attribute(*d, "rpc.method"), "ctxflowtest.Echo/Say");
    EXPECT_EQ(string_attribute(*d, "rpc.response.status_code"), "OK");
    EXPECT_EQ(d->status.code, trace::status_code::unset);
  }
  EXPECT_EQ(string_attribute(*c, "server.address"), "127.0.0.1");
  EXPECT_EQ(int_attribute(*c, "server.port"), server.port);
  // What the server saw: the CLIENT span as the parent, in the caller's trace.
  EXPECT_EQ(reply.trace_id(), hex(caller.trace));
  EXPECT_EQ(reply.parent_span_id(), hex(c->context.span));
  server.grpc->Shutdown(deadline_in(1000));
  EXPECT_EQ(probe.dirty.load(), 0);
}

TEST(GrpcInterceptors, AnAsyncApiCallCarriesTheContextCurrentWhereItIsCreated) {
  testing::span_recorder recorder;
  thread_probe probe;
  recording_service service;
  probed_server server = start_probed(service, probe);
  auto stub = traced_stub(server);
  ::grpc::CompletionQueue cq;
  SayReply reply;
  ::grpc::Status status;
  trace::span_context caller;
  ::grpc::ClientContext client;
  client.set_deadline(deadline_in());
  std::unique_ptr<::grpc::ClientAsyncResponseReader<SayReply>> rpc;
  {
    auto root = recorder.tracer().start_as_current_span("async caller");
    caller = trace::current_span().context();
    SayRequest request;
    request.set_text("async");
    rpc = stub->AsyncSay(&client, request, &cq);
    rpc->Finish(&reply, &status, reinterpret_cast<void*>(1));
  }
  // Completed on this thread, outside the caller's span: the CLIENT span keeps its parent.
  void* tag = nullptr;
  bool ok = false;
  ASSERT_TRUE(cq.Next(&tag, &ok));
  ASSERT_TRUE(ok);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(context::current().empty());
  ASSERT_TRUE(recorder.wait_for(3));
  const auto spans = recorder.spans();
  const sdk::span_data* c = find_span(spans, trace::span_kind::client, caller.span);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(reply.trace_id(), hex(caller.trace));
  EXPECT_EQ(reply.parent_span_id(), hex(c->context.span));
  EXPECT_EQ(string_attribute(*c, "rpc.response.status_code"), "OK");
  server.grpc->Shutdown(deadline_in(1000));
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  EXPECT_EQ(probe.dirty.load(), 0);
}

TEST(GrpcInterceptors, LegacyNamesAreAddedWhenAsked) {
  testing::span_recorder recorder;
  thread_probe probe;
  recording_service service;
  cg::server_options so;
  so.semconv = cg::rpc_semconv::stable_and_legacy;
  probed_server server = start_probed(service, probe, so);
  cg::client_options co;
  co.semconv = cg::rpc_semconv::stable_and_legacy;
  auto stub = traced_stub(server, co);
  SayReply reply;
  ASSERT_TRUE(say(*stub, "", reply).ok());
  ASSERT_TRUE(recorder.wait_for(2));
  for (const auto& s : recorder.spans()) {
    EXPECT_EQ(string_attribute(s, "rpc.system"), "grpc");
    EXPECT_EQ(string_attribute(s, "rpc.service"), "ctxflowtest.Echo");
    EXPECT_EQ(int_attribute(s, "rpc.grpc.status_code"), 0);
  }
  server.grpc->Shutdown(deadline_in(1000));
}

TEST(GrpcInterceptors, ANonOkStatusMakesTheClientSpanAnError) {
  testing::span_recorder recorder;
  // A port nobody listens on: the call fails with UNAVAILABLE (or DEADLINE_EXCEEDED).
  auto stub = ctxflowtest::Echo::NewStub(
      cg::make_channel("127.0.0.1:1", ::grpc::InsecureChannelCredentials()));
  SayRequest request;
  SayReply reply;
  ::grpc::ClientContext client;
  client.set_deadline(deadline_in(2000));
  const ::grpc::Status status = stub->Say(&client, request, &reply);
  ASSERT_FALSE(status.ok());
  ASSERT_TRUE(recorder.wait_for(1));
  const auto spans = recorder.spans();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].kind, trace::span_kind::client);
  EXPECT_EQ(spans[0].status.code, trace::status_code::error);
  EXPECT_FALSE(string_attribute(spans[0], "error.type").empty());
  EXPECT_EQ(string_attribute(spans[0], "error.type"),
            string_attribute(spans[0], "rpc.response.status_code"));
}

TEST(GrpcInterceptors, AMalformedTraceparentStartsANewRootWithADiagnostic) {
  testing::span_recorder recorder;
  testing::diagnostics_capture diagnostics;
  thread_probe probe;
  recording_service service;
  probed_server server = start_probed(service, probe);
  // A channel without ctxflow's interceptor, so the metadata is ours alone.
  auto stub = ctxflowtest::Echo::NewStub(
      ::grpc::CreateChannel(server.address(), ::grpc::InsecureChannelCredentials()));
  SayRequest request;
  request.set_text("malformed");
  SayReply reply;
  ::grpc::ClientContext client;
  client.set_deadline(deadline_in());
  client.AddMetadata("traceparent", "00-not-a-trace-context-01");
  ASSERT_TRUE(stub->Say(&client, request, &reply).ok());
  ASSERT_TRUE(recorder.wait_for(1));
  const auto spans = recorder.spans();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].kind, trace::span_kind::server);
  EXPECT_FALSE(spans[0].parent_span_id.valid());
  EXPECT_TRUE(reply.trace_id().empty());
  EXPECT_GE(diagnostics.count("propagation.traceparent.invalid"), 1u);
  server.grpc->Shutdown(deadline_in(1000));
  EXPECT_EQ(probe.dirty.load(), 0);
}

TEST(GrpcInterceptors, OversizedBaggageMetadataIsDroppedWithADiagnostic) {
  testing::span_recorder recorder;
  testing::diagnostics_capture diagnostics;
  thread_probe probe;
  recording_service service;
  cg::server_options so;
  so.max_metadata_value = 64;
  probed_server server = start_probed(service, probe, so);
  auto stub = traced_stub(server);
  auto root = recorder.tracer().start_as_current_span("caller");
  const auto big = propagation::baggage::current().set("big", std::string(200, 'x'));
  const scope with_big(propagation::with_baggage(context::current(), big));
  SayReply reply;
  ASSERT_TRUE(say(*stub, "big", reply).ok());
  EXPECT_TRUE(reply.baggage().empty());
  EXPECT_FALSE(reply.trace_id().empty());  // the traceparent still got through
  EXPECT_GE(diagnostics.count("integrations.grpc.metadata.oversized"), 1u);
  server.grpc->Shutdown(deadline_in(1000));
}

TEST(GrpcInterceptors, MessagesAreRecordedAsSpanEventsWhenAsked) {
  testing::span_recorder recorder;
  thread_probe probe;
  recording_service service;
  cg::server_options so;
  so.record_messages = true;
  probed_server server = start_probed(service, probe, so);
  cg::client_options co;
  co.record_messages = true;
  auto stub = traced_stub(server, co);
  SayReply reply;
  ASSERT_TRUE(say(*stub, "", reply).ok());
  ASSERT_TRUE(recorder.wait_for(2));
  for (const auto& s : recorder.spans()) {
    ASSERT_EQ(s.events.size(), 2u) << s.name;
    const bool client_span = s.kind == trace::span_kind::client;
    std::vector<std::string> types;
    for (const auto& e : s.events) {
      EXPECT_EQ(e.name, "message");
      for (const auto& a : e.attributes) {
        if (a.key == "rpc.message.type") types.push_back(std::get<std::string>(a.value));
        if (a.key == "rpc.message.id") {
          EXPECT_EQ(std::get<std::int64_t>(a.value), 1);
        }
      }
    }
    const std::vector<std::string> expected =
        client_span ? std::vector<std::string>{"SENT", "RECEIVED"}
                    : std::vector<std::string>{"RECEIVED", "SENT"};
    EXPECT_EQ(types, expected) << s.name;
  }
  server.grpc->Shutdown(deadline_in(1000));
}

TEST(GrpcInterceptors, TheSyncHandlerRunsInTheCallsContextAndLeavesTheThreadEmpty) {
  testing::span_recorder recorder;
  thread_probe probe;
  exec::thread_pool pool(1);
  auto service = grpc_echo::make_service(grpc_echo::style::sync, pool);
  probed_server server = start_probed(*service, probe);
  auto stub = traced_stub(server);
  auto root = recorder.tracer().start_as_current_span("caller");
  const auto b = propagation::baggage::current().set("tenant", "acme");
  const scope with_b(propagation::with_baggage(context::current(), b));
  for (int i = 0; i < 20; ++i) {
    SayReply reply;
    ASSERT_TRUE(say(*stub, "", reply).ok());
    // fill_reply reads the trace id of the span current in the handler and its baggage.
    EXPECT_EQ(reply.trace_id(), hex(trace::current_span().context().trace));
    ASSERT_EQ(reply.baggage().count("tenant"), 1u);
    EXPECT_EQ(reply.baggage().at("tenant"), "acme");
  }
  server.grpc->Shutdown(deadline_in(1000));
  EXPECT_GT(probe.batches.load(), 0);
  EXPECT_EQ(probe.dirty.load(), 0);
}

TEST(GrpcInterceptors, EveryReactorCallbackRunsInTheCallsContext) {
  testing::span_recorder recorder;
  thread_probe probe;
  recording_service service;
  probed_server server = start_probed(service, probe);
  auto stub = traced_stub(server);
  auto root = recorder.tracer().start_as_current_span("caller");
  const auto b = propagation::baggage::current().set("chain", "reactor");
  const scope with_b(propagation::with_baggage(context::current(), b));
  SayReply reply;
  ASSERT_TRUE(say(*stub, "reactor", reply).ok());
  // on_done runs after the status is sent: wait for it.
  for (int i = 0; i < 500 && service.done_calls() < 1; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  const seen_call seen = service.seen().at("reactor");
  EXPECT_FALSE(seen.server_span_id.empty());
  EXPECT_EQ(seen.done_span_id, seen.server_span_id);
  EXPECT_EQ(seen.done_baggage, "reactor");
  server.grpc->Shutdown(deadline_in(1000));
  EXPECT_EQ(probe.dirty.load(), 0);
}

}  // namespace
}  // namespace ctxflow::test::grpc_tests
