// SPDX-License-Identifier: Apache-2.0
// Coroutines over gRPC's callback API:
// - `co_await grpc_unary(stub, &Stub::async::Say, request)` makes a unary call from a ctxflow
//   task: the call starts with the task's context current (so the client interceptor injects it),
//   and the task resumes on its own scheduler with its own context (C5), not on the gRPC thread;
//   a deadline and a std::stop_token cancel it.
// - `serve_unary(call, executor, handler_task)` answers a callback-API unary method with a
//   `coro::task<::grpc::Status>` that runs on `executor` with the call's context.
// See docs/usage/grpc.md.
#pragma once

#include <chrono>
#include <coroutine>
#include <functional>
#include <optional>
#include <stop_token>
#include <utility>

#include <grpcpp/client_context.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>
#include <grpcpp/support/status.h>

#include "ctxflow/context/context.hpp"
#include "ctxflow/context/execution_unit.hpp"
#include "ctxflow/coro/spawn.hpp"
#include "ctxflow/coro/task.hpp"
#include "ctxflow/exec/scheduler.hpp"
#include "ctxflow/exec/thread_pool.hpp"
#include "ctxflow/integrations/grpc/detail/handoff.hpp"
#include "ctxflow/integrations/grpc/reactors.hpp"
#include "ctxflow/macros.hpp"
#include "ctxflow/trace/span.hpp"

namespace ctxflow::integrations::grpc {

/// Per-call settings of grpc_unary().
struct call_options {
  call_options() noexcept {}  // a constructor, not an aggregate (GCC 12 and coroutine frames)
  /// The call's deadline, from its start. Zero or negative: none.
  std::chrono::milliseconds timeout{30000};
  /// When stop is requested, the call is cancelled (ClientContext::TryCancel) and completes
  /// with CANCELLED.
  std::stop_token stop;
  /// Called on the call's ClientContext before it starts (metadata, compression, ...).
  std::function<void(::grpc::ClientContext&)> prepare;
};

/// What a unary call gives back: its status and, when the status is OK, the response.
template <class Response>
struct unary_result {
  ::grpc::Status status;
  Response response;
  bool ok() const noexcept { return status.ok(); }
};

namespace detail {

template <class Stub, class Async, class Request, class Response>
class unary_awaitable {
 public:
  using method_type = void (Async::*)(::grpc::ClientContext*, const Request*, Response*,
                                      std::function<void(::grpc::Status)>);

  unary_awaitable(Stub& stub, method_type method, const Request& request, call_options options)
      : stub_(&stub),
        method_(method),
        request_(&request),
        options_(std::move(options)),
        ctx_(context::current()) {}  // in the task: the task's context (C4 for the call)

  unary_awaitable(const unary_awaitable&) = delete;
  unary_awaitable& operator=(const unary_awaitable&) = delete;

  bool await_ready() const noexcept { return false; }

  void await_suspend(std::coroutine_handle<> h) {
    handle_ = h;
    // The task's own scheduler: the one running it now. A task driven from a plain thread
    // (sync_wait) resumes on the default pool rather than on a gRPC thread.
    scheduler_ = exec::current_scheduler();
    if (!scheduler_) scheduler_ = &exec::default_pool();
    if (options_.timeout.count() > 0)
      client_.set_deadline(std::chrono::system_clock::now() + options_.timeout);
    if (options_.prepare) options_.prepare(client_);
    if (options_.stop.stop_possible())
      stop_.emplace(options_.stop, cancel{&client_});
    // The task's unit is parked here (the resumer's context is current): the call is started
    // with the task's context current, so the client interceptor reads it as the parent.
    const execution_unit_scope unit(ctx_, "gRPC call start");
    grpc::detail::handoff_release();
    (stub_->async()->*method_)(&client_, request_, &result_.response,
                               [this](::grpc::Status status) {
                                 grpc::detail::handoff_acquire();
                                 result_.status = std::move(status);
                                 coro::detail::resume_on(*scheduler_, handle_);
                               });
    // Nothing of `this` is touched after the call started: the task may already be resuming.
  }

  unary_result<Response> await_resume() {
    stop_.reset();  // waits for a cancellation running on another thread
    return std::move(result_);
  }

 private:
  struct cancel {
    ::grpc::ClientContext* client;
    void operator()() const noexcept { client->TryCancel(); }
  };

  Stub* stub_;
  method_type method_;
  const Request* request_;
  call_options options_;
  context ctx_;
  ::grpc::ClientContext client_;
  unary_result<Response> result_;
  std::coroutine_handle<> handle_;
  exec::scheduler* scheduler_ = nullptr;
  std::optional<std::stop_callback<cancel>> stop_;  // destroyed before client_
};

}  // namespace detail

/// `co_await grpc_unary(stub, &Service::Stub::async::Method, request [, options])`: one unary
/// call through the callback API, from a ctxflow task.
///
/// Context: the call starts with the awaiting task's context current (the client interceptor
/// injects it, with the CLIENT span); after the co_await the task's own context is current again
/// (C5), and the gRPC thread that completed the call keeps its own (C7).
/// Resumes on: the scheduler that ran the task when it awaited (exec::current_scheduler(); the
/// default pool when there is none), never on the gRPC thread.
/// Cancellation: `options.timeout` is the call's deadline (DEADLINE_EXCEEDED);
/// `options.stop` cancels it (CANCELLED). Either way the task resumes with the status.
/// Lifetime: `request` and `stub` must outlive the co_await (they do in the usual
/// `co_await grpc_unary(...)` with locals of the task).
/// Errors: the status of the result; nothing is thrown.
template <class Stub, class Async, class Request, class Response>
detail::unary_awaitable<Stub, Async, Request, Response> grpc_unary(
    Stub& stub,
    void (Async::*method)(::grpc::ClientContext*, const Request*, Response*,
                          std::function<void(::grpc::Status)>),
    const Request& request, call_options options = call_options()) {
  return detail::unary_awaitable<Stub, Async, Request, Response>(stub, method, request,
                                                                  std::move(options));
}

namespace detail {

/// The reactor serve_unary() returns: finished by the handler task, deleted at OnDone.
class task_unary_reactor final : public server_unary_reactor {
 public:
  using server_unary_reactor::server_unary_reactor;
};

// A coroutine with its state as parameters (MAINTAINERS.md, "Coroutine lambdas").
inline coro::task<> finish_with(task_unary_reactor* reactor, coro::task<::grpc::Status> handler) {
  ::grpc::Status status;
  bool failed = false;
  CTXFLOW_TRY {
    status = co_await std::move(handler);
  } CTXFLOW_CATCH_ALL {
    failed = true;
    status = ::grpc::Status(::grpc::StatusCode::UNKNOWN, current_exception_message());
  }
  if (failed) trace::current_span().set_status(trace::status_code::error);
  grpc::detail::handoff_release();
  reactor->Finish(status);  // the reactor may be gone once Finish returns
}

}  // namespace detail

/// Answers a callback-API unary method with a coroutine: returns the reactor to return from
/// the method, and runs `handler` on `executor` as a task of its own, then finishes the call
/// with the status it returns (UNKNOWN, with the message, when it throws).
///
/// Context: call it in the method (where the server interceptor has made the call's context
/// current): the task starts from that context (C4), so the call's SERVER span and baggage
/// are current in it, across its co_awaits (C5); nothing leaks to the gRPC thread (C7).
/// Lifetime: whatever the handler refers to (the request, the response, the call) lives until
/// the call is finished, i.e. for the whole task.
///
/// Example:
/// ```
/// ::grpc::ServerUnaryReactor* Say(::grpc::CallbackServerContext* call,
///                                 const SayRequest* request, SayReply* reply) override {
///   return ctxflow::integrations::grpc::serve_unary(call, pool_, say(request, reply));
/// }
/// ```
template <exec::executor Executor>
::grpc::ServerUnaryReactor* serve_unary(::grpc::CallbackServerContext* call, Executor& executor,
                                        coro::task<::grpc::Status> handler) {
  auto* reactor = new detail::task_unary_reactor(call);
  // The call's context, explicitly: the task starts from it even where a caller runs the method
  // outside the interceptor's scope.
  const call_scope in_call(reactor->call_context());
  (void)coro::spawn(executor, detail::finish_with(reactor, std::move(handler)));
  return reactor;
}

}  // namespace ctxflow::integrations::grpc
