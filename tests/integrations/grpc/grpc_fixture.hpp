// SPDX-License-Identifier: Apache-2.0
// What the gRPC tests share: a recording ctxflowtest.Echo service (callback API, a ctxflow
// reactor) that keeps what each call saw, a probe interceptor that checks every gRPC thread is
// left with the empty context after each interceptor batch, and small helpers.
#pragma once

#include <atomic>
#include <cstdio>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "ctxflow/integrations/grpc/interceptors.hpp"
#include "ctxflow/integrations/grpc/reactors.hpp"
#include "ctxflow/propagation/baggage.hpp"
#include "ctxflow/testing/context_leak_checker.hpp"
#include "ctxflow/trace/span.hpp"
#include "echo.grpc.pb.h"
#include "grpc_echo/echo_service.hpp"

namespace ctxflow::test::grpc_tests {

namespace cg = ctxflow::integrations::grpc;

inline std::string hex(const trace::trace_id& id) {
  const auto h = id.to_hex();
  return std::string(h.data(), h.size());
}
inline std::string hex(const trace::span_id& id) {
  const auto h = id.to_hex();
  return std::string(h.data(), h.size());
}

inline std::chrono::system_clock::time_point deadline_in(int ms = 5000) {
  return std::chrono::system_clock::now() + std::chrono::milliseconds(ms);
}

/// Counts interceptor batches on gRPC threads and those that found or left a context there.
struct thread_probe {
  std::atomic<int> batches{0};
  std::atomic<int> dirty{0};
  std::atomic<int> foreign{0};  // batches run on a thread that had a context
  std::mutex mutex;
  std::set<std::thread::id> threads;
  void note_thread() {
    const std::lock_guard lock(mutex);
    threads.insert(std::this_thread::get_id());
  }
  std::size_t thread_count() {
    const std::lock_guard lock(mutex);
    return threads.size();
  }
};

/// Runs before ctxflow's server interceptor: the thread running a batch (and the handler that
/// runs inside it) must have the same context, and attach depth, afterwards as before.
class probe_interceptor final : public ::grpc::experimental::Interceptor {
 public:
  explicit probe_interceptor(thread_probe* probe) : probe_(probe) {}
  void Intercept(::grpc::experimental::InterceptorBatchMethods* m) override {
    thread_probe* const probe = probe_;  // `this` may be gone once Proceed() returns
    // A batch started from inside a handler (a sync handler's reply, a reactor's Finish in the
    // method) runs nested on the handler's thread, in the handler's context: only the outermost
    // batch of a gRPC thread is checked.
    static thread_local int depth = 0;
    if (depth++ > 0) {
      m->Proceed();
      --depth;
      return;
    }
    probe->note_thread();
    // The thread may be one of gRPC's (empty context) or an application thread that gRPC
    // borrows while it waits in a blocking call (that thread's own context): either way the
    // batch, and the handler inside it, must leave it exactly as it found it.
    if (!context::current().empty()) probe->foreign.fetch_add(1);
    testing::context_leak_checker leaks;
    m->Proceed();
    const auto result = leaks.check();
    if (!result.passed) {
      probe->dirty.fetch_add(1);
      std::fprintf(stderr, "probe: %s\n", result.message.c_str());
    }
    probe->batches.fetch_add(1);
    --depth;
  }

 private:
  thread_probe* probe_;
};

class probe_factory final : public ::grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit probe_factory(thread_probe* probe) : probe_(probe) {}
  ::grpc::experimental::Interceptor* CreateServerInterceptor(
      ::grpc::experimental::ServerRpcInfo*) override {
    return new probe_interceptor(probe_);
  }

 private:
  thread_probe* probe_;
};

/// The probe first, then ctxflow's server interceptor.
inline void add_probed_interceptors(::grpc::ServerBuilder& builder, thread_probe& probe,
                                    cg::server_options options = {}) {
  auto creators = cg::server_interceptors(std::move(options));
  creators.insert(creators.begin(), std::make_unique<probe_factory>(&probe));
  builder.experimental().SetInterceptorCreators(std::move(creators));
}

/// What the recording service saw for one call.
struct seen_call {
  std::string trace_id;
  std::string parent_span_id;
  std::map<std::string, std::string> baggage;
  std::string server_span_id;     // the call's SERVER span
  std::string done_span_id;       // the span current in on_done
  std::string done_baggage;       // baggage entry "chain" current in on_done
};

/// ctxflowtest.Echo on the callback API with a ctxflow reactor, keeping what each call saw
/// (keyed by the request's text). A request with the text "slow" is answered only when the call
/// is cancelled (deadline or client cancellation).
class recording_service final : public ctxflowtest::Echo::CallbackService {
 public:
  ::grpc::ServerUnaryReactor* Say(::grpc::CallbackServerContext* call,
                                  const ctxflowtest::SayRequest* request,
                                  ctxflowtest::SayReply* reply) override {
    grpc_echo::fill_reply(*call, *request, *reply);
    seen_call s;
    s.trace_id = reply->trace_id();
    s.parent_span_id = reply->parent_span_id();
    s.baggage.insert(reply->baggage().begin(), reply->baggage().end());
    s.server_span_id = hex(cg::call_span(*call).context().span);
    auto* r = new reactor(call, this, request->text());
    {
      const std::lock_guard lock(mutex_);
      seen_[request->text()] = std::move(s);
    }
    if (request->text() != "slow") r->Finish(::grpc::Status::OK);
    return r;
  }

  std::map<std::string, seen_call> seen() {
    const std::lock_guard lock(mutex_);
    return seen_;
  }
  int done_calls() const { return done_.load(); }

 private:
  class reactor final : public cg::server_unary_reactor {
   public:
    reactor(::grpc::CallbackServerContext* call, recording_service* owner, std::string text)
        : server_unary_reactor(call), owner_(owner), text_(std::move(text)) {}

   protected:
    void on_cancel() override {
      if (text_ == "slow") Finish(::grpc::Status::CANCELLED);
    }
    void on_done() override {
      const std::string span = hex(trace::current_span().context().span);
      const auto chain = propagation::baggage::current().get("chain");
      {
        const std::lock_guard lock(owner_->mutex_);
        seen_call& s = owner_->seen_[text_];
        s.done_span_id = span;
        s.done_baggage = chain ? std::string(*chain) : std::string();
      }
      owner_->done_.fetch_add(1);
      delete this;
    }

   private:
    recording_service* owner_;
    std::string text_;
  };

  std::mutex mutex_;
  std::map<std::string, seen_call> seen_;
  std::atomic<int> done_{0};
};

/// A server on 127.0.0.1 with any free port, the probe and ctxflow's interceptor.
struct probed_server {
  std::unique_ptr<::grpc::Server> grpc;
  int port = 0;
  std::string address() const { return "127.0.0.1:" + std::to_string(port); }
};

inline probed_server start_probed(::grpc::Service& service, thread_probe& probe,
                                  cg::server_options options = {}) {
  probed_server out;
  ::grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", ::grpc::InsecureServerCredentials(), &out.port);
  builder.RegisterService(&service);
  // Several threads for the sync API's handlers.
  builder.SetSyncServerOption(::grpc::ServerBuilder::SyncServerOption::NUM_CQS, 2);
  builder.SetSyncServerOption(::grpc::ServerBuilder::SyncServerOption::MIN_POLLERS, 2);
  add_probed_interceptors(builder, probe, std::move(options));
  out.grpc = builder.BuildAndStart();
  return out;
}

/// A stub for `server` through a channel with ctxflow's client interceptor.
inline std::unique_ptr<ctxflowtest::Echo::Stub> traced_stub(const probed_server& server,
                                                           cg::client_options options = {}) {
  return ctxflowtest::Echo::NewStub(cg::make_channel(
      server.address(), ::grpc::InsecureChannelCredentials(), std::move(options)));
}

/// One sync Say with `text` and a 5 s deadline.
inline ::grpc::Status say(ctxflowtest::Echo::Stub& stub, const std::string& text,
                          ctxflowtest::SayReply& reply) {
  ctxflowtest::SayRequest request;
  request.set_text(text);
  ::grpc::ClientContext client;
  client.set_deadline(deadline_in());
  return stub.Say(&client, request, &reply);
}

}  // namespace ctxflow::test::grpc_tests
