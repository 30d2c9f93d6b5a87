// SPDX-License-Identifier: Apache-2.0
// The context across a chain: a client → grpc_echo → a downstream service, in the sync,
// callback and coroutine styles, with concurrent chains so that the servers' handlers and
// callbacks run on several gRPC threads. Every hop stays in the client's trace with the right
// parent span ids, baggage is carried, and every gRPC batch leaves its thread's context as it
// found it (the probe interceptor). Both in-process (also under TSan) and, in builds with the
// example, with grpc_echo as a child process.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <future>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctxflow/context/scope.hpp"
#include "ctxflow/coro/spawn.hpp"
#include "ctxflow/exec/thread_pool.hpp"
#include "ctxflow/integrations/grpc/coro.hpp"
#include "ctxflow/testing/span_recorder.hpp"
#include "integrations/grpc/grpc_fixture.hpp"

namespace ctxflow::test::grpc_tests {
namespace {

using ctxflowtest::SayReply;
using ctxflowtest::SayRequest;

constexpr int client_threads = 4;
constexpr int calls_per_thread = 4;

struct chain_result {
  ::grpc::Status status;
  SayReply reply;
  trace::span_context root;  // the client's span, current when the call started
};

coro::task<chain_result> coroutine_call(ctxflowtest::Echo::Stub* stub, SayRequest request,
                                        exec::thread_pool* pool) {
  chain_result out;
  out.root = trace::current_span().context();
  const context before = context::current();
  auto r = co_await cg::grpc_unary(*stub, &ctxflowtest::Echo::Stub::async::Say, request);
  // C5: the task's own context, on its own scheduler, after the call.
  EXPECT_TRUE(context::current() == before);
  EXPECT_TRUE(pool->running_in_this_thread());
  out.status = r.status;
  out.reply = std::move(r.response);
  co_return out;
}

/// One call from the client, in `style`, under a fresh root span with baggage chain=<i>.
chain_result call_once(grpc_echo::style style, ctxflowtest::Echo::Stub& stub,
                       const std::string& downstream, int i, exec::thread_pool& pool,
                       testing::span_recorder& recorder) {
  auto root = recorder.tracer().start_as_current_span("client");
  const auto b = propagation::baggage::current().set("chain", std::to_string(i));
  const scope with_b(propagation::with_baggage(context::current(), b));
  SayRequest request;
  request.set_text("chain-" + std::to_string(i));
  if (!downstream.empty()) request.add_downstream(downstream);
  chain_result out;
  out.root = trace::current_span().context();
  switch (style) {
    case grpc_echo::style::sync: {
      ::grpc::ClientContext client;
      client.set_deadline(deadline_in(10000));
      out.status = stub.Say(&client, request, &out.reply);
      break;
    }
    case grpc_echo::style::callback: {
      ::grpc::ClientContext client;
      client.set_deadline(deadline_in(10000));
      std::promise<::grpc::Status> done;
      stub.async()->Say(&client, &request, &out.reply,
                        [&done](::grpc::Status s) { done.set_value(std::move(s)); });
      out.status = done.get_future().get();
      break;
    }
    case grpc_echo::style::coroutine:
      out = coro::spawn(pool, coroutine_call(&stub, request, &pool)).get();
      break;
  }
  return out;
}

std::string style_name(grpc_echo::style s) {
  switch (s) {
    case grpc_echo::style::sync: return "Sync";
    case grpc_echo::style::callback: return "Callback";
    case grpc_echo::style::coroutine: return "Coroutine";
  }
  return "?";
}

/// Runs client_threads × calls_per_thread chains at once; results indexed by chain number.
std::vector<chain_result> run_chains(grpc_echo::style style, const std::string& first,
                                     const std::string& downstream, exec::thread_pool& pool,
                                     testing::span_recorder& recorder) {
  auto stub = ctxflowtest::Echo::NewStub(
      cg::make_channel(first, ::grpc::InsecureChannelCredentials()));
  std::vector<chain_result> results(client_threads * calls_per_thread);
  std::vector<std::thread> threads;
  for (int t = 0; t < client_threads; ++t)
    threads.emplace_back([&, t] {
      for (int k = 0; k < calls_per_thread; ++k) {
        const int i = t * calls_per_thread + k;
        results[static_cast<std::size_t>(i)] =
            call_once(style, *stub, downstream, i, pool, recorder);
      }
      // C7 on the client's threads too.
      EXPECT_TRUE(context::current().empty());
    });
  for (auto& th : threads) th.join();
  return results;
}

const sdk::span_data* child(const std::vector<sdk::span_data>& spans, trace::span_kind kind,
                            const trace::span_id& parent) {
  for (const auto& s : spans)
    if (s.kind == kind && s.parent_span_id == parent) return &s;
  return nullptr;
}

/// Waits until `last` has finished every chain's call and the recorder has `spans_per_chain`
/// spans per chain; true when both happened.
bool wait_for_chains(recording_service& last, testing::span_recorder& recorder,
                     int spans_per_chain) {
  const int n = client_threads * calls_per_thread;
  for (int i = 0; i < 500 && last.done_calls() < n; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  return last.done_calls() == n &&
         recorder.wait_for(static_cast<std::size_t>(spans_per_chain * n));
}

/// What every chain must show, whatever ran in the middle: the call succeeded, A's reply names
/// the client's CLIENT span as its parent, in the client's trace, with the client's baggage, and
/// the last service saw the same trace and baggage, in every callback of its reactor. Then
/// `more(r, client_span, seen_by_last)` checks what the test knows in addition.
template <class More>
void for_each_chain(const std::vector<chain_result>& results,
                    const std::vector<sdk::span_data>& spans,
                    const std::map<std::string, seen_call>& seen, More more) {
  for (std::size_t i = 0; i < results.size(); ++i) {
    const std::string chain = std::to_string(i);
    SCOPED_TRACE("chain " + chain);
    const chain_result& r = results[i];
    ASSERT_TRUE(r.status.ok()) << r.status.error_message();
    const sdk::span_data* c = child(spans, trace::span_kind::client, r.root.span);
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(r.reply.trace_id(), hex(r.root.trace));
    EXPECT_EQ(r.reply.parent_span_id(), hex(c->context.span));
    ASSERT_EQ(r.reply.baggage().count("chain"), 1u);
    EXPECT_EQ(r.reply.baggage().at("chain"), chain);
    const seen_call& s = seen.at("chain-" + chain);
    EXPECT_EQ(s.trace_id, hex(r.root.trace));
    ASSERT_EQ(s.baggage.count("chain"), 1u);
    EXPECT_EQ(s.baggage.at("chain"), chain);
    EXPECT_EQ(s.done_baggage, chain);
    more(r, *c, s);
  }
}

class GrpcChain : public ::testing::TestWithParam<grpc_echo::style> {};

TEST_P(GrpcChain, ContextCrossesTwoHopsInProcess) {
  testing::span_recorder recorder;
  exec::thread_pool pool(2);
  thread_probe probe_a, probe_b;
  recording_service last;
  probed_server b = start_probed(last, probe_b);
  auto service = grpc_echo::make_service(GetParam(), pool);
  probed_server a = start_probed(*service, probe_a);

  const auto results = run_chains(GetParam(), a.address(), b.address(), pool, recorder);
  // Per chain: client root, CLIENT, A's SERVER, A's downstream CLIENT, B's SERVER.
  ASSERT_TRUE(wait_for_chains(last, recorder, 5));
  const auto spans = recorder.spans();
  for_each_chain(results, spans, last.seen(),
                 [&](const chain_result& r, const sdk::span_data& c, const seen_call& s) {
                   using trace::span_kind;
                   const sdk::span_data* sa = child(spans, span_kind::server, c.context.span);
                   ASSERT_NE(sa, nullptr);
                   const sdk::span_data* ca = child(spans, span_kind::client, sa->context.span);
                   ASSERT_NE(ca, nullptr);
                   const sdk::span_data* sb = child(spans, span_kind::server, ca->context.span);
                   ASSERT_NE(sb, nullptr);
                   for (const sdk::span_data* d : {sa, ca, sb})
                     EXPECT_EQ(d->context.trace, r.root.trace);
                   // B's parent is A's downstream CLIENT span; B's on_done ran with B's SERVER
                   // span current.
                   EXPECT_EQ(s.parent_span_id, hex(ca->context.span));
                   EXPECT_EQ(s.done_span_id, hex(sb->context.span));
                 });
  a.grpc->Shutdown(deadline_in(1000));
  b.grpc->Shutdown(deadline_in(1000));
  EXPECT_EQ(probe_a.dirty.load(), 0);
  EXPECT_EQ(probe_b.dirty.load(), 0);
  std::printf("[ info ] %s: A's batches ran on %zu gRPC threads, B's on %zu\n",
              style_name(GetParam()).c_str(), probe_a.thread_count(), probe_b.thread_count());
  EXPECT_GT(probe_a.thread_count() + probe_b.thread_count(), 2u);
}

TEST_P(GrpcChain, ADeadDownstreamStillAnswersAndRecordsTheErrorOnTheSpan) {
  testing::span_recorder recorder;
  exec::thread_pool pool(2);
  thread_probe probe;
  auto service = grpc_echo::make_service(GetParam(), pool);
  probed_server a = start_probed(*service, probe);
  auto stub = ctxflowtest::Echo::NewStub(
      cg::make_channel(a.address(), ::grpc::InsecureChannelCredentials()));
  const chain_result r = call_once(GetParam(), *stub, "127.0.0.1:1", 0, pool, recorder);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.reply.trace_id(), hex(r.root.trace));
  ASSERT_TRUE(recorder.wait_for(4));
  const auto spans = recorder.spans();
  const sdk::span_data* c = child(spans, trace::span_kind::client, r.root.span);
  ASSERT_NE(c, nullptr);
  const sdk::span_data* sa = child(spans, trace::span_kind::server, c->context.span);
  ASSERT_NE(sa, nullptr);
  const sdk::span_data* ca = child(spans, trace::span_kind::client, sa->context.span);
  ASSERT_NE(ca, nullptr);
  EXPECT_EQ(ca->status.code, trace::status_code::error);
  bool recorded = false;
  for (const auto& e : sa->events) recorded = recorded || e.name == "exception";
  EXPECT_TRUE(recorded);
  a.grpc->Shutdown(deadline_in(1000));
  EXPECT_EQ(probe.dirty.load(), 0);
}

#ifdef CTXFLOW_GRPC_ECHO
/// grpc_echo as a child process: started with port 0, its address read from its first line,
/// stopped with SIGTERM (it must exit 0).
class echo_process {
 public:
  explicit echo_process(const char* style) {
    int fds[2];
    if (pipe(fds) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], 1);
      close(fds[0]);
      close(fds[1]);
      execl(CTXFLOW_GRPC_ECHO, CTXFLOW_GRPC_ECHO, "0", style, static_cast<char*>(nullptr));
      _exit(127);
    }
    close(fds[1]);
    out_ = fdopen(fds[0], "r");
    char line[128] = {};
    if (out_ && std::fgets(line, sizeof line, out_)) {
      const std::string l(line);
      const std::string prefix = "listening on ";
      if (l.rfind(prefix, 0) == 0) address_ = l.substr(prefix.size(), l.find('\n') - prefix.size());
    }
  }
  ~echo_process() {
    if (pid_ > 0 && !stopped_) stop();
    if (out_) std::fclose(out_);
  }
  const std::string& address() const { return address_; }
  int stop() {
    stopped_ = true;
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  std::string address_;
  bool stopped_ = false;
};

const char* style_arg(grpc_echo::style s) {
  switch (s) {
    case grpc_echo::style::sync: return "sync";
    case grpc_echo::style::callback: return "callback";
    case grpc_echo::style::coroutine: return "coroutine";
  }
  return "callback";
}

TEST_P(GrpcChain, ContextCrossesTheGrpcEchoProgram) {
  testing::span_recorder recorder;
  exec::thread_pool pool(2);
  thread_probe probe_b;
  recording_service last;
  probed_server b = start_probed(last, probe_b);
  echo_process a(style_arg(GetParam()));
  ASSERT_FALSE(a.address().empty());
  EXPECT_EQ(a.address().rfind("127.0.0.1:", 0), 0u);

  const auto results = run_chains(GetParam(), a.address(), b.address(), pool, recorder);
  // Here: client root, CLIENT and B's SERVER per chain (A's spans stay in the child).
  ASSERT_TRUE(wait_for_chains(last, recorder, 3));
  for_each_chain(results, recorder.spans(), last.seen(),
                 [](const chain_result& r, const sdk::span_data& c, const seen_call& s) {
                   // B's parent is A's downstream CLIENT span: in the trace, neither the
                   // client's span nor its CLIENT span.
                   EXPECT_EQ(s.parent_span_id.size(), 16u);
                   EXPECT_NE(s.parent_span_id, hex(c.context.span));
                   EXPECT_NE(s.parent_span_id, hex(r.root.span));
                 });
  EXPECT_EQ(a.stop(), 0);
  b.grpc->Shutdown(deadline_in(1000));
  EXPECT_EQ(probe_b.dirty.load(), 0);
}
#endif

INSTANTIATE_TEST_SUITE_P(Styles, GrpcChain,
                         ::testing::Values(grpc_echo::style::sync, grpc_echo::style::callback,
                                           grpc_echo::style::coroutine),
                         [](const auto& param_info) { return style_name(param_info.param); });

}  // namespace
}  // namespace ctxflow::test::grpc_tests
