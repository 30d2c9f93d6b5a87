// SPDX-License-Identifier: Apache-2.0
// ctxflowtest.Echo implemented three ways: the sync API, the callback API (a context-carrying
// reactor) and a coroutine (serve_unary + grpc_unary). Each replies with the trace id and
// parent span id the call carried and the baggage current in the handler, then calls Say on
// every downstream address with the context injected. Used by the grpc_echo program and by the
// tests.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <grpcpp/grpcpp.h>

#include "ctxflow/exec/thread_pool.hpp"
#include "echo.grpc.pb.h"

namespace grpc_echo {

enum class style { sync, callback, coroutine };

/// Stubs for the downstream addresses, one channel (with the client interceptor) each.
class downstreams {
 public:
  ctxflowtest::Echo::Stub& stub(const std::string& address);

 private:
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<ctxflowtest::Echo::Stub>> stubs_;
};

/// The reply of a call as the service sees it (trace id, parent span id, baggage).
void fill_reply(const ::grpc::ServerContextBase& call, const ctxflowtest::SayRequest& request,
                ctxflowtest::SayReply& reply);

/// The deadline of each downstream call.
inline constexpr int downstream_timeout_ms = 5000;

/// A service of the given style; `pool` runs the coroutine handlers (style::coroutine).
std::unique_ptr<::grpc::Service> make_service(style s, ctxflow::exec::thread_pool& pool);

/// A server on 127.0.0.1 (port 0: any free port) with the server interceptor.
struct server {
  std::unique_ptr<::grpc::Service> service;
  std::unique_ptr<::grpc::Server> grpc;
  int port = 0;
};
server start_server(style s, int port, ctxflow::exec::thread_pool& pool);

}  // namespace grpc_echo
