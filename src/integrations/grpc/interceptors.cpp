// SPDX-License-Identifier: Apache-2.0
// The client and server interceptors, and the registry that maps a server call to its context.
//
// Client: the interceptor is created on the thread that starts the call, which is where the
// parent context is read; the CLIENT span starts at PRE_SEND_INITIAL_METADATA (same thread) and
// ends at POST_RECV_STATUS, on whatever thread gRPC completes the call; nothing is attached on
// either.
// Server: the whole remote context is extracted at POST_RECV_INITIAL_METADATA. gRPC runs the
// handler method from inside the last interceptor's Proceed() of that batch (sync API:
// SyncRequest::ContinueRunAfterInterception; callback API: CallbackCallTag's), so the call's
// context is entered around that Proceed() and left when it returns: current for the handler,
// gone afterwards. docs/design/grpc.md has the details.
#include "ctxflow/integrations/grpc/interceptors.hpp"

#include <array>
#include <atomic>
#include <functional>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <utility>

#include <grpcpp/create_channel.h>

#include "ctxflow/context/execution_unit.hpp"
#include "ctxflow/integrations/grpc/detail/handoff.hpp"
#include "ctxflow/integrations/grpc/metadata.hpp"
#include "ctxflow/propagation/global.hpp"
#include "integrations/grpc/semconv.hpp"

namespace ctxflow::integrations::grpc {
namespace {

using hook = ::grpc::experimental::InterceptionHookPoints;

// ---- client ----

struct client_shared {
  client_options options;
  detail::host_port peer;
};

class client_interceptor final : public ::grpc::experimental::Interceptor {
 public:
  client_interceptor(std::shared_ptr<const client_shared> shared,
                     ::grpc::experimental::ClientRpcInfo* info) noexcept
      : shared_(std::move(shared)),
        method_(detail::full_method(info->method())),
        parent_(context::current()) {}

  ~client_interceptor() override {
    detail::handoff_acquire();
    if (!ended_) span_.end();  // a call that never received its status (an empty span: no-op)
    detail::handoff_release();
  }

  void Intercept(::grpc::experimental::InterceptorBatchMethods* m) override {
    detail::handoff_acquire();
    const client_options& o = shared_->options;
    if (m->QueryInterceptionHookPoint(hook::PRE_SEND_INITIAL_METADATA))
      start(*m->GetSendInitialMetadata());
    if (o.record_messages) {
      if (m->QueryInterceptionHookPoint(hook::PRE_SEND_MESSAGE))
        detail::message_event(span_, true, sent_);
      if (m->QueryInterceptionHookPoint(hook::POST_RECV_MESSAGE) && m->GetRecvMessage() != nullptr)
        detail::message_event(span_, false, received_);
    }
    if (m->QueryInterceptionHookPoint(hook::POST_RECV_STATUS) && !ended_) {
      const ::grpc::Status& status = *m->GetRecvStatus();
      detail::record_status(span_, status, !status.ok(), o.semconv);
      ended_ = true;
      span_.end();
    }
    detail::handoff_release();
    m->Proceed();
  }

 private:
  void start(std::multimap<std::string, std::string>& metadata) {
    const client_options& o = shared_->options;
    const auto attributes =
        detail::start_attributes(method_, o.target.empty() ? nullptr : &shared_->peer, o.semconv);
    trace::start_options so;
    so.kind = trace::span_kind::client;
    so.parent = parent_;
    so.attributes = attributes;
    span_ = o.tracer.start_span(method_, so);
    // The caller's whole context (baggage and all) with the CLIENT span as the span.
    const context injected = trace::context_with_span(parent_, span_);
    propagation::inject(*propagation::global_propagator(), injected, metadata,
                        client_metadata_text_map{});
    parent_ = context();  // not needed any more: do not keep the caller's context alive
  }

  std::shared_ptr<const client_shared> shared_;
  std::string_view method_;  // points into gRPC's method name, which outlives the call
  context parent_;
  trace::span span_;
  bool ended_ = false;
  std::atomic<std::int64_t> sent_{0};
  std::atomic<std::int64_t> received_{0};
};

class client_factory final : public ::grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit client_factory(std::shared_ptr<const client_shared> shared)
      : shared_(std::move(shared)) {}
  ::grpc::experimental::Interceptor* CreateClientInterceptor(
      ::grpc::experimental::ClientRpcInfo* info) override {
    detail::handoff_acquire();  // the memory may come from an interceptor freed on a gRPC thread
    return new client_interceptor(shared_, info);
  }

 private:
  std::shared_ptr<const client_shared> shared_;
};

// ---- server ----

class server_interceptor;

// Server call → interceptor. Sharded so that concurrent calls rarely share a lock; an entry is
// added once the call's context is complete and removed before the interceptor is destroyed,
// both under the shard's lock, which also orders the context's publication for readers.
class call_registry {
 public:
  void add(const ::grpc::ServerContextBase* call, server_interceptor* i) {
    shard& s = of(call);
    const std::lock_guard lock(s.mutex);
    s.calls[call] = i;
  }
  void remove(const ::grpc::ServerContextBase* call, const server_interceptor* i) {
    shard& s = of(call);
    const std::lock_guard lock(s.mutex);
    auto it = s.calls.find(call);
    if (it != s.calls.end() && it->second == i) s.calls.erase(it);
  }
  template <class Fn>
  void with(const ::grpc::ServerContextBase* call, Fn&& fn) {
    shard& s = of(call);
    const std::lock_guard lock(s.mutex);
    auto it = s.calls.find(call);
    if (it != s.calls.end()) fn(*it->second);
  }

 private:
  struct shard {
    std::mutex mutex;
    std::unordered_map<const ::grpc::ServerContextBase*, server_interceptor*> calls;
  };
  shard& of(const ::grpc::ServerContextBase* call) {
    return shards_[std::hash<const void*>{}(call) % shards_.size()];
  }
  std::array<shard, 16> shards_;
};

call_registry& registry() {
  static call_registry r;
  return r;
}

class server_interceptor final : public ::grpc::experimental::Interceptor {
 public:
  server_interceptor(std::shared_ptr<const server_options> options,
                     ::grpc::experimental::ServerRpcInfo* info) noexcept
      : options_(std::move(options)),
        call_(info->server_context()),
        method_(detail::full_method(info->method())) {}

  ~server_interceptor() override {
    detail::handoff_acquire();
    if (registered_) registry().remove(call_, this);
    if (!ended_) span_.end();  // no status was sent (the call was cancelled)
    detail::handoff_release();
  }

  void Intercept(::grpc::experimental::InterceptorBatchMethods* m) override {
    detail::handoff_acquire();
    const server_options& o = *options_;
    const bool starts = m->QueryInterceptionHookPoint(hook::POST_RECV_INITIAL_METADATA);
    if (starts) start(*m->GetRecvInitialMetadata());
    if (o.record_messages) {
      if (m->QueryInterceptionHookPoint(hook::POST_RECV_MESSAGE) && m->GetRecvMessage() != nullptr)
        detail::message_event(span_, false, received_);
      if (m->QueryInterceptionHookPoint(hook::PRE_SEND_MESSAGE))
        detail::message_event(span_, true, sent_);
    }
    if (m->QueryInterceptionHookPoint(hook::PRE_SEND_STATUS) && !ended_) {
      const ::grpc::Status status = m->GetSendStatus();
      detail::record_status(span_, status, detail::server_error(status.error_code()), o.semconv);
      ended_ = true;
      span_.end();
    }
    if (starts) {
      // gRPC runs the handler method inside this Proceed() (see the top of the file). The unit
      // holds its own reference to the context: `this` may be gone when Proceed() returns.
      const execution_unit_scope unit(call_context_, "gRPC handler");
      detail::handoff_release();
      m->Proceed();
      detail::handoff_release();  // what the handler method did, for the reactor's callbacks
      return;
    }
    detail::handoff_release();
    m->Proceed();
  }

  const context& call_context() const noexcept { return call_context_; }
  trace::span_ref span() const noexcept { return span_; }

 private:
  void start(const std::multimap<::grpc::string_ref, ::grpc::string_ref>& metadata) {
    const server_options& o = *options_;
    // Into the empty context: nothing of the gRPC thread's own state is inherited. A missing
    // or malformed traceparent leaves no remote span, so the SERVER span is a new root (the
    // propagator reports a malformed one).
    server_metadata_text_map getter;
    getter.max_value = o.max_metadata_value;
    const context extracted =
        propagation::extract(*propagation::global_propagator(), context(), metadata, getter);
    const auto attributes = detail::start_attributes(method_, nullptr, o.semconv);
    trace::start_options so;
    so.kind = trace::span_kind::server;
    so.parent = extracted;
    so.attributes = attributes;
    span_ = o.tracer.start_span(method_, so);
    call_context_ = trace::context_with_span(extracted, span_);
    registry().add(call_, this);
    registered_ = true;
  }

  std::shared_ptr<const server_options> options_;
  const ::grpc::ServerContextBase* call_;
  std::string_view method_;
  context call_context_;
  trace::span span_;
  bool registered_ = false;
  bool ended_ = false;
  std::atomic<std::int64_t> sent_{0};
  std::atomic<std::int64_t> received_{0};
};

class server_factory final : public ::grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit server_factory(std::shared_ptr<const server_options> options)
      : options_(std::move(options)) {}
  ::grpc::experimental::Interceptor* CreateServerInterceptor(
      ::grpc::experimental::ServerRpcInfo* info) override {
    detail::handoff_acquire();
    return new server_interceptor(options_, info);
  }

 private:
  std::shared_ptr<const server_options> options_;
};

}  // namespace

std::vector<std::unique_ptr<::grpc::experimental::ClientInterceptorFactoryInterface>>
client_interceptors(client_options options) {
  auto shared = std::make_shared<client_shared>();
  shared->peer = detail::split_target(options.target);
  shared->options = std::move(options);
  std::vector<std::unique_ptr<::grpc::experimental::ClientInterceptorFactoryInterface>> out;
  out.push_back(std::make_unique<client_factory>(std::move(shared)));
  return out;
}

std::shared_ptr<::grpc::Channel> make_channel(
    const std::string& target, const std::shared_ptr<::grpc::ChannelCredentials>& credentials,
    client_options options, const ::grpc::ChannelArguments& arguments) {
  if (options.target.empty()) options.target = target;
  return ::grpc::experimental::CreateCustomChannelWithInterceptors(
      target, credentials, arguments, client_interceptors(std::move(options)));
}

std::vector<std::unique_ptr<::grpc::experimental::ServerInterceptorFactoryInterface>>
server_interceptors(server_options options) {
  std::vector<std::unique_ptr<::grpc::experimental::ServerInterceptorFactoryInterface>> out;
  out.push_back(
      std::make_unique<server_factory>(std::make_shared<const server_options>(std::move(options))));
  return out;
}

void add_server_interceptors(::grpc::ServerBuilder& builder, server_options options) {
  builder.experimental().SetInterceptorCreators(server_interceptors(std::move(options)));
}

context call_context(const ::grpc::ServerContextBase& call) noexcept {
  context out;
  registry().with(&call, [&](const server_interceptor& i) { out = i.call_context(); });
  return out;
}

trace::span_ref call_span(const ::grpc::ServerContextBase& call) noexcept {
  trace::span_ref out;
  registry().with(&call, [&](const server_interceptor& i) { out = i.span(); });
  return out;
}

}  // namespace ctxflow::integrations::grpc
