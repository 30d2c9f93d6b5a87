// SPDX-License-Identifier: Apache-2.0
// Private helpers of the gRPC integration: the RPC semantic-convention names (v1.45.0, and the
// v1.37.0 ones emitted with OTEL_SEMCONV_STABILITY_OPT_IN=rpc/dup), status-code names, the
// method and target splitting, and the span bookkeeping both interceptors share.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <grpcpp/support/status.h>

#include "ctxflow/integrations/grpc/interceptors.hpp"
#include "ctxflow/trace/attribute.hpp"
#include "ctxflow/trace/span.hpp"

namespace ctxflow::integrations::grpc::detail {

namespace attr {
inline constexpr std::string_view system_name = "rpc.system.name";
inline constexpr std::string_view method = "rpc.method";
inline constexpr std::string_view response_status_code = "rpc.response.status_code";
inline constexpr std::string_view server_address = "server.address";
inline constexpr std::string_view server_port = "server.port";
inline constexpr std::string_view error_type = "error.type";
inline constexpr std::string_view message_type = "rpc.message.type";
inline constexpr std::string_view message_id = "rpc.message.id";
// v1.37.0 (experimental), emitted in addition with rpc_semconv::stable_and_legacy.
inline constexpr std::string_view legacy_system = "rpc.system";
inline constexpr std::string_view legacy_service = "rpc.service";
inline constexpr std::string_view legacy_status_code = "rpc.grpc.status_code";
}  // namespace attr

/// "OK", "DEADLINE_EXCEEDED", ...; "UNKNOWN" for a value outside 0-16.
std::string_view status_code_name(int code) noexcept;

/// `/package.Service/Method` → `package.Service/Method`.
std::string_view full_method(const char* grpc_method) noexcept;

/// `package.Service` of `package.Service/Method`.
std::string_view service_of(std::string_view full) noexcept;

/// host and port of a channel target (`host:port`, `dns:///host:port`, `ipv4:a.b.c.d:port`,
/// `[v6]:port`); port 0 when there is none.
struct host_port {
  std::string host;
  std::int64_t port = 0;
};
host_port split_target(std::string_view target);

/// The start attributes of an RPC span; the views refer to `full` and `peer`.
std::vector<trace::attribute_kv> start_attributes(std::string_view full, const host_port* peer,
                                                  rpc_semconv semconv);

/// Sets the status attributes (and ERROR when `is_error`) on `span`.
void record_status(trace::span_ref span, const ::grpc::Status& status, bool is_error,
                   rpc_semconv semconv) noexcept;

/// True for the codes the conventions make a SERVER span's error.
bool server_error(::grpc::StatusCode code) noexcept;

/// Adds a `message` event (SENT or RECEIVED) with the next id of `counter`.
void message_event(trace::span_ref span, bool sent, std::atomic<std::int64_t>& counter) noexcept;

}  // namespace ctxflow::integrations::grpc::detail
