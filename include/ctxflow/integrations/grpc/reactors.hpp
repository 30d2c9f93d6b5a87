// SPDX-License-Identifier: Apache-2.0
// Callback-API server reactors that run every reactor callback of a call with the call's context
// current (the remote context extracted by the server interceptor, with the SERVER span), on
// whichever gRPC thread runs it, and leave nothing behind on that thread afterwards.
// Derive from server_unary_reactor / server_read_reactor<Request> / server_write_reactor<Response>
// / server_bidi_reactor<Request, Response> instead of gRPC's reactors and override the
// snake_case hooks (on_done, on_cancel, on_read_done, ...); gRPC's OnXxx methods are final here.
// See docs/usage/grpc.md.
#pragma once

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include "ctxflow/context/context.hpp"
#include "ctxflow/context/execution_unit.hpp"
#include "ctxflow/integrations/grpc/detail/handoff.hpp"
#include "ctxflow/integrations/grpc/interceptors.hpp"

namespace ctxflow::integrations::grpc {

/// Makes the call's context current for a scope, in a unit of its own: what the code inside
/// attaches stays inside, and the thread's previous context is back at the end (C6, C7). For
/// code of a call that runs outside the reactors below (a client callback the handler started,
/// a thread the handler handed the call to).
class call_scope {
 public:
  explicit call_scope(const ::grpc::ServerContextBase& call) noexcept
      : unit_(call_context(call), "gRPC call") {
    detail::handoff_acquire();
  }
  explicit call_scope(context call_ctx) noexcept : unit_(std::move(call_ctx), "gRPC call") {
    detail::handoff_acquire();
  }
  call_scope(const call_scope&) = delete;
  call_scope& operator=(const call_scope&) = delete;
  ~call_scope() { detail::handoff_release(); }

 private:
  execution_unit_scope unit_;
};

namespace detail {
/// What every reactor shares: the call's context, read once at construction (in the handler
/// method, where the interceptor has already published it), and the callbacks every kind of
/// reactor has, each run in a call_scope.
template <class GrpcReactor>
class context_reactor : public GrpcReactor {
 public:
  explicit context_reactor(const ::grpc::ServerContextBase* call) noexcept
      : ctx_(call ? grpc::call_context(*call) : context()) {
    detail::handoff_release();
  }

  /// The call's context.
  const context& call_context() const noexcept { return ctx_; }

  void OnSendInitialMetadataDone(bool ok) final {
    detail::handoff_acquire();
    const call_scope s(ctx_);
    on_send_initial_metadata_done(ok);
  }
  void OnCancel() final {
    detail::handoff_acquire();
    const call_scope s(ctx_);
    on_cancel();
  }
  void OnDone() final {
    detail::handoff_acquire();
    const call_scope s(ctx_);  // holds its own reference: on_done may delete this
    on_done();
  }

 protected:
  virtual void on_send_initial_metadata_done(bool /*ok*/) {}
  virtual void on_cancel() {}
  /// Deletes the reactor (allocate it with new); override it for another ownership, and do not
  /// touch the reactor after it returns.
  virtual void on_done() { delete this; }

 private:
  context ctx_;
};
}  // namespace detail

/// A unary reactor: on_send_initial_metadata_done, on_cancel and on_done run in the call's
/// context.
class server_unary_reactor : public detail::context_reactor<::grpc::ServerUnaryReactor> {
 public:
  explicit server_unary_reactor(::grpc::CallbackServerContext* call) noexcept
      : context_reactor(call) {}
};

/// A client-streaming reactor; on_read_done too runs in the call's context.
template <class Request>
class server_read_reactor
    : public detail::context_reactor<::grpc::ServerReadReactor<Request>> {
 public:
  explicit server_read_reactor(::grpc::CallbackServerContext* call) noexcept
      : detail::context_reactor<::grpc::ServerReadReactor<Request>>(call) {}

  void OnReadDone(bool ok) final {
    detail::handoff_acquire();
    const call_scope s(this->call_context());
    on_read_done(ok);
  }

 protected:
  virtual void on_read_done(bool /*ok*/) {}
};

/// A server-streaming reactor; on_write_done too runs in the call's context.
template <class Response>
class server_write_reactor
    : public detail::context_reactor<::grpc::ServerWriteReactor<Response>> {
 public:
  explicit server_write_reactor(::grpc::CallbackServerContext* call) noexcept
      : detail::context_reactor<::grpc::ServerWriteReactor<Response>>(call) {}

  void OnWriteDone(bool ok) final {
    detail::handoff_acquire();
    const call_scope s(this->call_context());
    on_write_done(ok);
  }

 protected:
  virtual void on_write_done(bool /*ok*/) {}
};

/// A bidirectional-streaming reactor; on_read_done and on_write_done too run in the call's
/// context.
template <class Request, class Response>
class server_bidi_reactor
    : public detail::context_reactor<::grpc::ServerBidiReactor<Request, Response>> {
 public:
  explicit server_bidi_reactor(::grpc::CallbackServerContext* call) noexcept
      : detail::context_reactor<::grpc::ServerBidiReactor<Request, Response>>(call) {}

  void OnReadDone(bool ok) final {
    detail::handoff_acquire();
    const call_scope s(this->call_context());
    on_read_done(ok);
  }
  void OnWriteDone(bool ok) final {
    detail::handoff_acquire();
    const call_scope s(this->call_context());
    on_write_done(ok);
  }

 protected:
  virtual void on_read_done(bool /*ok*/) {}
  virtual void on_write_done(bool /*ok*/) {}
};

}  // namespace ctxflow::integrations::grpc
