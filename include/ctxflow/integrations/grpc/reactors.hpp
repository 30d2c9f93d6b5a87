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
#include "ctxflow/integrations/grpc/interceptors.hpp"

namespace ctxflow::integrations::grpc {

/// Makes the call's context current for a scope, in a unit of its own: what the code inside
/// attaches stays inside, and the thread's previous context is back at the end (C6, C7). For
/// code of a call that runs outside the reactors below (a client callback the handler started,
/// a thread the handler handed the call to).
class call_scope {
 public:
  explicit call_scope(const ::grpc::ServerContextBase& call) noexcept
      : unit_(call_context(call), "gRPC call") {}
  explicit call_scope(context call_ctx) noexcept : unit_(std::move(call_ctx), "gRPC call") {}
  call_scope(const call_scope&) = delete;
  call_scope& operator=(const call_scope&) = delete;

 private:
  execution_unit_scope unit_;
};

namespace detail {
/// The part every reactor shares: the call's context, read once at construction (in the handler
/// method, where the interceptor has already published it).
class reactor_context {
 public:
  explicit reactor_context(const ::grpc::ServerContextBase* call) noexcept
      : ctx_(call ? grpc::call_context(*call) : context()) {}
  /// The call's context.
  const context& call_context() const noexcept { return ctx_; }

 protected:
  call_scope enter() const noexcept { return call_scope(ctx_); }

 private:
  context ctx_;
};
}  // namespace detail

/// A unary reactor. Lifetime: on_done()'s default deletes the reactor (allocate it with new);
/// override it for another ownership, and do not touch the reactor after it returns.
class server_unary_reactor : public ::grpc::ServerUnaryReactor, public detail::reactor_context {
 public:
  explicit server_unary_reactor(::grpc::CallbackServerContext* call) noexcept
      : reactor_context(call) {}

  void OnSendInitialMetadataDone(bool ok) final {
    const call_scope s = enter();
    on_send_initial_metadata_done(ok);
  }
  void OnCancel() final {
    const call_scope s = enter();
    on_cancel();
  }
  void OnDone() final {
    const call_scope s = enter();
    on_done();  // may delete this; `s` holds its own reference to the context
  }

 protected:
  virtual void on_send_initial_metadata_done(bool /*ok*/) {}
  virtual void on_cancel() {}
  virtual void on_done() { delete this; }
};

/// A client-streaming reactor (see server_unary_reactor for the lifetime).
template <class Request>
class server_read_reactor : public ::grpc::ServerReadReactor<Request>,
                            public detail::reactor_context {
 public:
  explicit server_read_reactor(::grpc::CallbackServerContext* call) noexcept
      : reactor_context(call) {}

  void OnSendInitialMetadataDone(bool ok) final {
    const call_scope s = this->enter();
    on_send_initial_metadata_done(ok);
  }
  void OnReadDone(bool ok) final {
    const call_scope s = this->enter();
    on_read_done(ok);
  }
  void OnCancel() final {
    const call_scope s = this->enter();
    on_cancel();
  }
  void OnDone() final {
    const call_scope s = this->enter();
    on_done();
  }

 protected:
  virtual void on_send_initial_metadata_done(bool /*ok*/) {}
  virtual void on_read_done(bool /*ok*/) {}
  virtual void on_cancel() {}
  virtual void on_done() { delete this; }
};

/// A server-streaming reactor (see server_unary_reactor for the lifetime).
template <class Response>
class server_write_reactor : public ::grpc::ServerWriteReactor<Response>,
                             public detail::reactor_context {
 public:
  explicit server_write_reactor(::grpc::CallbackServerContext* call) noexcept
      : reactor_context(call) {}

  void OnSendInitialMetadataDone(bool ok) final {
    const call_scope s = this->enter();
    on_send_initial_metadata_done(ok);
  }
  void OnWriteDone(bool ok) final {
    const call_scope s = this->enter();
    on_write_done(ok);
  }
  void OnCancel() final {
    const call_scope s = this->enter();
    on_cancel();
  }
  void OnDone() final {
    const call_scope s = this->enter();
    on_done();
  }

 protected:
  virtual void on_send_initial_metadata_done(bool /*ok*/) {}
  virtual void on_write_done(bool /*ok*/) {}
  virtual void on_cancel() {}
  virtual void on_done() { delete this; }
};

/// A bidirectional-streaming reactor (see server_unary_reactor for the lifetime).
template <class Request, class Response>
class server_bidi_reactor : public ::grpc::ServerBidiReactor<Request, Response>,
                            public detail::reactor_context {
 public:
  explicit server_bidi_reactor(::grpc::CallbackServerContext* call) noexcept
      : reactor_context(call) {}

  void OnSendInitialMetadataDone(bool ok) final {
    const call_scope s = this->enter();
    on_send_initial_metadata_done(ok);
  }
  void OnReadDone(bool ok) final {
    const call_scope s = this->enter();
    on_read_done(ok);
  }
  void OnWriteDone(bool ok) final {
    const call_scope s = this->enter();
    on_write_done(ok);
  }
  void OnCancel() final {
    const call_scope s = this->enter();
    on_cancel();
  }
  void OnDone() final {
    const call_scope s = this->enter();
    on_done();
  }

 protected:
  virtual void on_send_initial_metadata_done(bool /*ok*/) {}
  virtual void on_read_done(bool /*ok*/) {}
  virtual void on_write_done(bool /*ok*/) {}
  virtual void on_cancel() {}
  virtual void on_done() { delete this; }
};

}  // namespace ctxflow::integrations::grpc
