// SPDX-License-Identifier: Apache-2.0
// ctxflowtest.Echo in the sync, callback and coroutine styles (see echo_service.hpp).
#include "grpc_echo/echo_service.hpp"

#include <atomic>
#include <chrono>
#include <string_view>
#include <utility>

#include "ctxflow/integrations/grpc/coro.hpp"
#include "ctxflow/integrations/grpc/interceptors.hpp"
#include "ctxflow/integrations/grpc/metadata.hpp"
#include "ctxflow/integrations/grpc/reactors.hpp"
#include "ctxflow/propagation/baggage.hpp"
#include "ctxflow/propagation/global.hpp"
#include "ctxflow/trace/span.hpp"

namespace grpc_echo {

namespace cg = ctxflow::integrations::grpc;
using ctxflowtest::SayReply;
using ctxflowtest::SayRequest;

ctxflowtest::Echo::Stub& downstreams::stub(const std::string& address) {
  const std::lock_guard lock(mutex_);
  auto& slot = stubs_[address];
  if (!slot)
    slot = ctxflowtest::Echo::NewStub(
        cg::make_channel(address, ::grpc::InsecureChannelCredentials()));
  return *slot;
}

void fill_reply(const ::grpc::ServerContextBase& call, const SayRequest& request,
                SayReply& reply) {
  reply.set_text(request.text());
  // What the metadata carried: the caller's span is this call's parent.
  const ctxflow::context remote = ctxflow::propagation::extract(
      *ctxflow::propagation::global_propagator(), ctxflow::context(), call.client_metadata(),
      cg::server_metadata_text_map{});
  const ctxflow::trace::span_context parent = ctxflow::trace::span_context_from(remote);
  if (parent.valid()) {
    // The trace id of the span current in the handler: the SERVER span continues the trace.
    const auto trace = ctxflow::trace::current_span().context().trace.to_hex();
    const auto span = parent.span.to_hex();
    reply.set_trace_id(std::string(trace.data(), trace.size()));
    reply.set_parent_span_id(std::string(span.data(), span.size()));
  }
  // The baggage current in the handler.
  for (const auto& e : ctxflow::propagation::baggage::current().get_all())
    (*reply.mutable_baggage())[std::string(e.name)] = std::string(e.value);
}

namespace {

void record_downstream_failure(std::string_view address, const ::grpc::Status& status) {
  std::string message(address);
  message += ": ";
  message += status.error_message();
  ctxflow::trace::current_span().record_exception("grpc.downstream", message);
}

SayRequest downstream_request(const SayRequest& request) {
  SayRequest next;
  next.set_text(request.text());
  return next;
}

// ---- sync ----

class sync_service final : public ctxflowtest::Echo::Service {
 public:
  ::grpc::Status Say(::grpc::ServerContext* call, const SayRequest* request,
                     SayReply* reply) override {
    fill_reply(*call, *request, *reply);
    const SayRequest next = downstream_request(*request);
    for (const std::string& address : request->downstream()) {
      ::grpc::ClientContext client;
      client.set_deadline(std::chrono::system_clock::now() +
                          std::chrono::milliseconds(downstream_timeout_ms));
      SayReply ignored;
      const ::grpc::Status status = downstreams_.stub(address).Say(&client, next, &ignored);
      if (!status.ok()) record_downstream_failure(address, status);
    }
    return ::grpc::Status::OK;
  }

 private:
  downstreams downstreams_;
};

// ---- callback ----

class say_reactor final : public cg::server_unary_reactor {
 public:
  say_reactor(::grpc::CallbackServerContext* call, const SayRequest& request, SayReply& reply,
              downstreams& stubs)
      : server_unary_reactor(call), next_(downstream_request(request)) {
    // Runs in the handler method, where the call's context is current.
    fill_reply(*call, request, reply);
    const int n = request.downstream_size();
    if (n == 0) {
      Finish(::grpc::Status::OK);
      return;
    }
    pending_.store(n);
    calls_ = std::make_unique<downstream_call[]>(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
      downstream_call& d = calls_[static_cast<std::size_t>(i)];
      d.address = request.downstream(i);
      d.client.set_deadline(std::chrono::system_clock::now() +
                            std::chrono::milliseconds(downstream_timeout_ms));
      stubs.stub(d.address).async()->Say(&d.client, &next_, &d.reply,
                                         [this, &d](::grpc::Status status) {
                                           // A gRPC thread: the call's context for this piece.
                                           const cg::call_scope in_call(call_context());
                                           if (!status.ok())
                                             record_downstream_failure(d.address, status);
                                           if (pending_.fetch_sub(1) == 1)
                                             Finish(::grpc::Status::OK);
                                         });
    }
  }

 private:
  struct downstream_call {
    std::string address;
    ::grpc::ClientContext client;
    SayReply reply;
  };
  SayRequest next_;
  std::unique_ptr<downstream_call[]> calls_;  // allocated once, before any call starts
  std::atomic<int> pending_{0};
};

class callback_service final : public ctxflowtest::Echo::CallbackService {
 public:
  ::grpc::ServerUnaryReactor* Say(::grpc::CallbackServerContext* call, const SayRequest* request,
                                  SayReply* reply) override {
    return new say_reactor(call, *request, *reply, downstreams_);
  }

 private:
  downstreams downstreams_;
};

// ---- coroutine ----

ctxflow::coro::task<::grpc::Status> say(const ::grpc::CallbackServerContext* call,
                                        const SayRequest* request, SayReply* reply,
                                        downstreams* stubs) {
  fill_reply(*call, *request, *reply);
  const SayRequest next = downstream_request(*request);
  for (const std::string& address : request->downstream()) {
    cg::call_options options;
    options.timeout = std::chrono::milliseconds(downstream_timeout_ms);
    auto result =
        co_await cg::grpc_unary(stubs->stub(address), &ctxflowtest::Echo::Stub::async::Say,
                                next, std::move(options));
    if (!result.ok()) record_downstream_failure(address, result.status);
  }
  co_return ::grpc::Status::OK;
}

class coroutine_service final : public ctxflowtest::Echo::CallbackService {
 public:
  explicit coroutine_service(ctxflow::exec::thread_pool& pool) : pool_(&pool) {}
  ::grpc::ServerUnaryReactor* Say(::grpc::CallbackServerContext* call, const SayRequest* request,
                                  SayReply* reply) override {
    return cg::serve_unary(call, *pool_, say(call, request, reply, &downstreams_));
  }

 private:
  ctxflow::exec::thread_pool* pool_;
  downstreams downstreams_;
};

}  // namespace

std::unique_ptr<::grpc::Service> make_service(style s, ctxflow::exec::thread_pool& pool) {
  switch (s) {
    case style::sync: return std::make_unique<sync_service>();
    case style::callback: return std::make_unique<callback_service>();
    case style::coroutine: return std::make_unique<coroutine_service>(pool);
  }
  return nullptr;
}

server start_server(style s, int port, ctxflow::exec::thread_pool& pool) {
  server out;
  out.service = make_service(s, pool);
  ::grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:" + std::to_string(port),
                           ::grpc::InsecureServerCredentials(), &out.port);
  builder.RegisterService(out.service.get());
  cg::add_server_interceptors(builder);
  out.grpc = builder.BuildAndStart();
  return out;
}

}  // namespace grpc_echo
