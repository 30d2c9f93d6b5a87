// SPDX-License-Identifier: Apache-2.0
// The gRPC interceptors (gRPC++ 1.51): the client side starts a CLIENT span per call and injects
// the current context (with that span) into the call's metadata through the global propagator;
// the server side extracts the whole remote context from the metadata, starts a SERVER span and
// makes both current while gRPC runs the handler (sync and callback APIs). Span names and
// attributes follow the OpenTelemetry RPC semantic conventions v1.45.0.
// See docs/usage/grpc.md and docs/design/grpc.md.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/channel_arguments.h>
#include <grpcpp/support/client_interceptor.h>
#include <grpcpp/support/server_interceptor.h>

#include "ctxflow/context/context.hpp"
#include "ctxflow/export.hpp"
#include "ctxflow/trace/provider.hpp"
#include "ctxflow/trace/span.hpp"
#include "ctxflow/trace/tracer.hpp"

namespace ctxflow::integrations::grpc {

/// Which names of the RPC semantic conventions the spans carry.
enum class rpc_semconv : unsigned char {
  /// v1.45.0 (stable): `rpc.system.name`, `rpc.method` (`package.Service/Method`),
  /// `rpc.response.status_code` (the code's name), `server.address`, `server.port`.
  stable,
  /// The stable names and, in addition, the experimental ones of v1.37.0 that do not clash
  /// with them: `rpc.system`, `rpc.service`, `rpc.grpc.status_code` (an integer). `rpc.method`
  /// keeps its stable value.
  stable_and_legacy,
};

/// The default: `stable_and_legacy` when `OTEL_SEMCONV_STABILITY_OPT_IN` lists `rpc/dup`,
/// otherwise `stable`.
CTXFLOW_API rpc_semconv rpc_semconv_from_environment() noexcept;

/// How the client interceptor behaves.
struct client_options {
  /// The tracer of the CLIENT spans; default: `get_tracer("ctxflow.grpc")`.
  trace::tracer tracer = trace::get_tracer("ctxflow.grpc");
  /// The channel's target (`host:port`, `dns:///host:port`, `ipv4:...`), for `server.address`
  /// and `server.port`; make_channel() fills it in. Empty: the attributes are left out.
  std::string target;
  /// Each message sent or received becomes a `message` span event (`rpc.message.type` SENT or
  /// RECEIVED, `rpc.message.id` counting from 1 in each direction).
  bool record_messages = false;
  rpc_semconv semconv = rpc_semconv_from_environment();
};

/// The client interceptor factories to pass to
/// `::grpc::experimental::CreateCustomChannelWithInterceptors`.
///
/// Contract: each call through the channel gets a CLIENT span named `package.Service/Method`
/// whose parent is the context current on the thread that starts the call (a sync call, an
/// async call's creation, a callback call's method); that context, with the CLIENT span in
/// place of its span, is injected with the global propagator into the initial metadata. The span
/// ends when the status is received, on whatever thread gRPC receives it; a non-OK status sets
/// the span's status to ERROR with `error.type` = the code's name.
/// Context: reads the current context at the call's start; never attaches anything.
/// Thread safety: the factories may be shared by any number of channels and threads.
CTXFLOW_API std::vector<std::unique_ptr<::grpc::experimental::ClientInterceptorFactoryInterface>>
client_interceptors(client_options options = {});

/// A channel to `target` with the client interceptor in front of any `extra` ones.
/// Errors: as `::grpc::CreateCustomChannel` (a channel that fails its calls, never null).
CTXFLOW_API std::shared_ptr<::grpc::Channel> make_channel(
    const std::string& target, const std::shared_ptr<::grpc::ChannelCredentials>& credentials,
    client_options options = {}, const ::grpc::ChannelArguments& arguments = {});

/// How the server interceptor behaves.
struct server_options {
  /// The tracer of the SERVER spans; default: `get_tracer("ctxflow.grpc")`.
  trace::tracer tracer = trace::get_tracer("ctxflow.grpc");
  /// As client_options::record_messages.
  bool record_messages = false;
  /// Metadata values longer than this (bytes) are not given to the propagator: they are dropped
  /// and reported (`integrations.grpc.metadata.oversized`). W3C Baggage's own limit is 8192.
  std::size_t max_metadata_value = 8192;
  rpc_semconv semconv = rpc_semconv_from_environment();
};

/// The server interceptor factories; pass them to
/// `builder.experimental().SetInterceptorCreators(...)`, or use add_server_interceptors().
///
/// Contract: for each incoming call the whole remote context (span context, baggage, whatever
/// the global propagator's members extract) is extracted from the client's metadata into the
/// empty context, and a SERVER span named `package.Service/Method` starts as its child (a new
/// root when the metadata carries no valid traceparent). The extracted context with the SERVER
/// span is *the call's context*: call_context() returns it, it is current on the gRPC thread
/// while gRPC runs the handler method (sync API: for the whole handler; callback API: for the
/// method that returns the reactor), and the reactors of reactors.hpp make it current for each
/// reactor callback. Nothing stays attached on a gRPC thread afterwards. The span ends when the
/// status is sent (or, when none is sent, when the call is destroyed); UNKNOWN,
/// DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE and DATA_LOSS set its status to
/// ERROR, as the conventions say for servers.
/// Thread safety: the factories may serve any number of calls on any threads.
CTXFLOW_API std::vector<std::unique_ptr<::grpc::experimental::ServerInterceptorFactoryInterface>>
server_interceptors(server_options options = {});

/// `builder.experimental().SetInterceptorCreators(server_interceptors(options))`.
/// gRPC keeps one list of creators per builder: add other interceptors to the list this
/// returns first, or call SetInterceptorCreators yourself.
CTXFLOW_API void add_server_interceptors(::grpc::ServerBuilder& builder,
                                         server_options options = {});

/// The call's context (see server_interceptors()): the remote context extracted from the
/// metadata with the SERVER span current. The empty context for a call the server interceptor
/// does not see. Thread safety: any thread, for the life of the call (until its OnDone returns).
CTXFLOW_API context call_context(const ::grpc::ServerContextBase& call) noexcept;

/// The SERVER span of the call (an empty reference when there is none). Valid until the call
/// ends.
CTXFLOW_API trace::span_ref call_span(const ::grpc::ServerContextBase& call) noexcept;

}  // namespace ctxflow::integrations::grpc
