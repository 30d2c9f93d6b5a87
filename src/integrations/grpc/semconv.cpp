// SPDX-License-Identifier: Apache-2.0
// RPC semantic conventions for the gRPC interceptors (v1.45.0; v1.37.0 names on request).
#include "integrations/grpc/semconv.hpp"

#include <array>
#include <charconv>
#include <cstdlib>

namespace ctxflow::integrations::grpc {

rpc_semconv rpc_semconv_from_environment() noexcept {
  const char* v = std::getenv("OTEL_SEMCONV_STABILITY_OPT_IN");
  if (!v) return rpc_semconv::stable;
  std::string_view list(v);
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item == "rpc/dup") return rpc_semconv::stable_and_legacy;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return rpc_semconv::stable;
}

}  // namespace ctxflow::integrations::grpc

namespace ctxflow::integrations::grpc::detail {

std::string_view status_code_name(int code) noexcept {
  static constexpr std::array<std::string_view, 17> names = {
      "OK",           "CANCELLED",          "UNKNOWN",           "INVALID_ARGUMENT",
      "DEADLINE_EXCEEDED", "NOT_FOUND",     "ALREADY_EXISTS",    "PERMISSION_DENIED",
      "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",    "OUT_OF_RANGE",
      "UNIMPLEMENTED", "INTERNAL",          "UNAVAILABLE",       "DATA_LOSS",
      "UNAUTHENTICATED"};
  if (code < 0 || code >= static_cast<int>(names.size())) return "UNKNOWN";
  return names[static_cast<std::size_t>(code)];
}

std::string_view full_method(const char* grpc_method) noexcept {
  std::string_view m = grpc_method ? std::string_view(grpc_method) : std::string_view();
  if (!m.empty() && m.front() == '/') m.remove_prefix(1);
  return m;
}

std::string_view service_of(std::string_view full) noexcept {
  return full.substr(0, full.rfind('/'));
}

host_port split_target(std::string_view target) {
  host_port out;
  // A scheme: `dns:///host:port`, `dns:host:port`, `ipv4:host:port`, `ipv6:[..]:port`.
  for (std::string_view scheme : {"dns:", "ipv4:", "ipv6:"}) {
    if (target.substr(0, scheme.size()) == scheme) {
      target.remove_prefix(scheme.size());
      if (target.substr(0, 2) == "//") {
        target.remove_prefix(2);
        target = target.substr(target.find('/') + 1);  // the authority
      }
      break;
    }
  }
  if (target.substr(0, 5) == "unix:") {
    out.host = std::string(target.substr(5));
    return out;
  }
  std::string_view host = target;
  const std::size_t colon = target.rfind(':');
  const std::size_t bracket = target.rfind(']');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    const std::string_view port = target.substr(colon + 1);
    std::int64_t value = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec == std::errc() && ptr == port.data() + port.size() && value > 0 && value < 65536) {
      out.port = value;
      host = target.substr(0, colon);
    }
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  out.host = std::string(host);
  return out;
}

std::vector<trace::attribute_kv> start_attributes(std::string_view full, const host_port* peer,
                                                  rpc_semconv semconv) {
  std::vector<trace::attribute_kv> a;
  a.reserve(6);
  a.push_back({attr::system_name, "grpc"});
  a.push_back({attr::method, full});
  if (peer && !peer->host.empty()) {
    a.push_back({attr::server_address, std::string_view(peer->host)});
    if (peer->port != 0) a.push_back({attr::server_port, peer->port});
  }
  if (semconv == rpc_semconv::stable_and_legacy) {
    a.push_back({attr::legacy_system, "grpc"});
    a.push_back({attr::legacy_service, service_of(full)});
  }
  return a;
}

void record_status(trace::span_ref span, const ::grpc::Status& status, bool is_error,
                   rpc_semconv semconv) noexcept {
  const int code = static_cast<int>(status.error_code());
  const std::string_view name = status_code_name(code);
  span.set_attribute(attr::response_status_code, name);
  if (semconv == rpc_semconv::stable_and_legacy)
    span.set_attribute(attr::legacy_status_code, static_cast<std::int64_t>(code));
  if (is_error) {
    span.set_attribute(attr::error_type, name);
    span.set_status(trace::status_code::error, status.error_message());
  }
}

bool server_error(::grpc::StatusCode code) noexcept {
  switch (code) {
    case ::grpc::StatusCode::UNKNOWN:
    case ::grpc::StatusCode::DEADLINE_EXCEEDED:
    case ::grpc::StatusCode::UNIMPLEMENTED:
    case ::grpc::StatusCode::INTERNAL:
    case ::grpc::StatusCode::UNAVAILABLE:
    case ::grpc::StatusCode::DATA_LOSS:
      return true;
    default:
      return false;
  }
}

void message_event(trace::span_ref span, bool sent, std::atomic<std::int64_t>& counter) noexcept {
  const std::int64_t id = counter.fetch_add(1, std::memory_order_relaxed) + 1;
  span.add_event("message", {{attr::message_type, sent ? "SENT" : "RECEIVED"},
                             {attr::message_id, id}});
}

}  // namespace ctxflow::integrations::grpc::detail
