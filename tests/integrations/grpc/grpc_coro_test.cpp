// SPDX-License-Identifier: Apache-2.0
// grpc_unary and serve_unary against the context rules, as propagation_matrix_test does for
// tasks: the call carries the snapshot taken in the task (C4), the task keeps its own context
// and resumes on its own scheduler (C5), a handler's changes stay in the handler (C6), and
// nothing is left on the task's thread or the gRPC threads (C7); deadline and stop token cancel
// a call.
#include <gtest/gtest.h>

#include <chrono>
#include <stop_token>
#include <string>
#include <thread>

#include "ctxflow/context/scope.hpp"
#include "ctxflow/coro/schedule_on.hpp"
#include "ctxflow/coro/spawn.hpp"
#include "ctxflow/exec/thread_pool.hpp"
#include "ctxflow/integrations/grpc/coro.hpp"
#include "ctxflow/testing/span_recorder.hpp"
#include "integrations/grpc/grpc_fixture.hpp"

namespace ctxflow::test::grpc_tests {
namespace {

using ctxflowtest::SayReply;
using ctxflowtest::SayRequest;

struct call_outcome {
  ::grpc::Status status;
  SayReply reply;
  std::string task_span;      // the task's span when it awaited
  bool same_context = false;  // C5: the task's own context after the call
  bool on_pool = false;       // resumed on the task's scheduler
  bool no_leak = false;       // C7 on the task
};

coro::task<call_outcome> one_call(ctxflowtest::Echo::Stub* stub, std::string text,
                                  exec::thread_pool* pool, cg::call_options options) {
  call_outcome out;
  testing::context_leak_checker leaks;
  const context before = context::current();
  out.task_span = hex(trace::current_span().context().span);
  SayRequest request;
  request.set_text(text);
  auto r = co_await cg::grpc_unary(*stub, &ctxflowtest::Echo::Stub::async::Say, request,
                                   std::move(options));
  out.same_context =
      trace::current_span().context().span == trace::span_from(before).context().span &&
      propagation::baggage::current() == propagation::baggage::from(before);
  out.on_pool = pool->running_in_this_thread();
  out.no_leak = leaks.check().passed;
  out.status = r.status;
  out.reply = std::move(r.response);
  co_return out;
}

struct fixture {
  testing::span_recorder recorder;
  exec::thread_pool pool{2};
  thread_probe probe;
  recording_service service;
  probed_server server = start_probed(service, probe);
  std::unique_ptr<ctxflowtest::Echo::Stub> stub = ctxflowtest::Echo::NewStub(
      cg::make_channel(server.address(), ::grpc::InsecureChannelCredentials()));
  ~fixture() { server.grpc->Shutdown(deadline_in(1000)); }
};

TEST(GrpcCoroutines, TheCallCarriesTheTasksContextAndTheTaskResumesOnItsSchedulerWithIt) {
  fixture f;
  auto root = f.recorder.tracer().start_as_current_span("task parent");
  const auto b = propagation::baggage::current().set("chain", "c4");
  const scope with_b(propagation::with_baggage(context::current(), b));
  cg::call_options options;
  options.timeout = std::chrono::milliseconds(5000);
  const call_outcome out =
      coro::spawn(f.pool, one_call(f.stub.get(), "c4", &f.pool, std::move(options))).get();
  ASSERT_TRUE(out.status.ok()) << out.status.error_message();
  EXPECT_EQ(out.reply.trace_id(), hex(trace::current_span().context().trace));  // C4
  EXPECT_EQ(out.reply.baggage().at("chain"), "c4");
  EXPECT_TRUE(out.same_context);  // C5
  EXPECT_TRUE(out.on_pool);
  EXPECT_TRUE(out.no_leak);  // C7
  EXPECT_EQ(f.probe.dirty.load(), 0);
}

TEST(GrpcCoroutines, ManyTasksOnTwoThreadsNeverMixTheirContexts) {
  fixture f;
  std::vector<coro::join_handle<call_outcome>> handles;
  std::vector<std::string> parents;
  for (int i = 0; i < 32; ++i) {
    auto root = f.recorder.tracer().start_as_current_span("task " + std::to_string(i));
    const auto b = propagation::baggage::current().set("chain", std::to_string(i));
    const scope with_b(propagation::with_baggage(context::current(), b));
    parents.push_back(hex(trace::current_span().context().trace));
    cg::call_options options;
    options.timeout = std::chrono::milliseconds(5000);
    handles.push_back(coro::spawn(
        f.pool, one_call(f.stub.get(), "t" + std::to_string(i), &f.pool, std::move(options))));
  }
  for (int i = 0; i < 32; ++i) {
    const call_outcome out = handles[static_cast<std::size_t>(i)].get();
    ASSERT_TRUE(out.status.ok());
    EXPECT_EQ(out.reply.trace_id(), parents[static_cast<std::size_t>(i)]);
    EXPECT_EQ(out.reply.baggage().at("chain"), std::to_string(i));
    EXPECT_TRUE(out.same_context);
    EXPECT_TRUE(out.on_pool);
    EXPECT_TRUE(out.no_leak);
  }
  EXPECT_EQ(f.probe.dirty.load(), 0);
}

TEST(GrpcCoroutines, ADeadlineEndsTheCallWithDeadlineExceeded) {
  fixture f;
  cg::call_options options;
  options.timeout = std::chrono::milliseconds(100);
  const auto start = std::chrono::steady_clock::now();
  const call_outcome out =
      coro::spawn(f.pool, one_call(f.stub.get(), "slow", &f.pool, std::move(options))).get();
  EXPECT_EQ(out.status.error_code(), ::grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_TRUE(out.on_pool);
  EXPECT_TRUE(out.no_leak);
}

TEST(GrpcCoroutines, AStopRequestCancelsTheCall) {
  fixture f;
  std::stop_source stop;
  cg::call_options options;
  options.timeout = std::chrono::milliseconds(10000);
  options.stop = stop.get_token();
  auto handle = coro::spawn(f.pool, one_call(f.stub.get(), "slow", &f.pool, std::move(options)));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  stop.request_stop();
  const call_outcome out = handle.get();
  EXPECT_EQ(out.status.error_code(), ::grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(out.on_pool);
  EXPECT_TRUE(out.no_leak);
  ASSERT_TRUE(f.recorder.wait_for(1));
  bool client_error = false;
  for (const auto& s : f.recorder.spans())
    if (s.kind == trace::span_kind::client)
      client_error = s.status.code == trace::status_code::error;
  EXPECT_TRUE(client_error);
}

TEST(GrpcCoroutines, AStopRequestedBeforeTheCallCancelsItAtOnce) {
  fixture f;
  std::stop_source stop;
  stop.request_stop();
  cg::call_options options;
  options.stop = stop.get_token();
  const call_outcome out =
      coro::spawn(f.pool, one_call(f.stub.get(), "x", &f.pool, std::move(options))).get();
  EXPECT_EQ(out.status.error_code(), ::grpc::StatusCode::CANCELLED);
}

// serve_unary: a coroutine handler that changes its context (C6) must not leak the change to
// the gRPC thread or to the caller, and its SERVER span is current across its awaits (C5).
class coroutine_handler_service final : public ctxflowtest::Echo::CallbackService {
 public:
  explicit coroutine_handler_service(exec::thread_pool& pool) : pool_(&pool) {}
  ::grpc::ServerUnaryReactor* Say(::grpc::CallbackServerContext* call, const SayRequest* request,
                                  SayReply* reply) override {
    return cg::serve_unary(call, *pool_, handle(call, request, reply, pool_));
  }

 private:
  static coro::task<::grpc::Status> handle(const ::grpc::CallbackServerContext* call,
                                           const SayRequest* request, SayReply* reply,
                                           exec::thread_pool* pool) {
    const std::string server_span = hex(cg::call_span(*call).context().span);
    const bool current_at_start = hex(trace::current_span().context().span) == server_span;
    // A change of the handler's own (C6).
    const auto b = propagation::baggage::current().set("handler", "private");
    const scope mine(propagation::with_baggage(context::current(), b));
    co_await coro::schedule_on(*pool);
    const bool current_after = hex(trace::current_span().context().span) == server_span;
    grpc_echo::fill_reply(*call, *request, *reply);
    if (!current_at_start || !current_after)
      co_return ::grpc::Status(::grpc::StatusCode::INTERNAL, "the SERVER span was not current");
    if (request->text() == "throw") throw std::runtime_error("handler failed");
    co_return ::grpc::Status::OK;
  }
  exec::thread_pool* pool_;
};

TEST(GrpcCoroutines, ACoroutineHandlerRunsInTheCallsContextAndKeepsItsChangesToItself) {
  testing::span_recorder recorder;
  exec::thread_pool pool(2);
  thread_probe probe;
  coroutine_handler_service service(pool);
  probed_server server = start_probed(service, probe);
  auto stub = traced_stub(server);
  auto root = recorder.tracer().start_as_current_span("caller");
  const auto b = propagation::baggage::current().set("chain", "serve");
  const scope with_b(propagation::with_baggage(context::current(), b));
  for (int i = 0; i < 10; ++i) {
    SayReply reply;
    const ::grpc::Status status = say(*stub, "", reply);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(reply.baggage().at("chain"), "serve");
    EXPECT_EQ(reply.baggage().at("handler"), "private");
    EXPECT_EQ(reply.trace_id(), hex(trace::current_span().context().trace));
  }
  EXPECT_FALSE(propagation::baggage::current().get("handler").has_value());  // C6 at the caller
  // A handler that throws: UNKNOWN with the message, the SERVER span an error.
  SayReply reply;
  const ::grpc::Status status = say(*stub, "throw", reply);
  EXPECT_EQ(status.error_code(), ::grpc::StatusCode::UNKNOWN);
  EXPECT_EQ(status.error_message(), "handler failed");
  server.grpc->Shutdown(deadline_in(1000));
  EXPECT_EQ(probe.dirty.load(), 0);
}

}  // namespace
}  // namespace ctxflow::test::grpc_tests
