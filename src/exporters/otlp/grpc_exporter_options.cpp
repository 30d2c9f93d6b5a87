// SPDX-License-Identifier: Apache-2.0
// OTLP/gRPC exporter configuration: the environment variables (docs/requirements.md §10; those
// shared with OTLP/HTTP are read in otlp_options.cpp) and the gRPC target of an endpoint (R8.17).
#include <string>

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/exporters/otlp/grpc_exporter.hpp"
#include "ctxflow/macros.hpp"
#include "base/ascii.hpp"
#include "exporters/otlp/otlp_env.hpp"
#include "internal/env.hpp"
#include "internal/report.hpp"

namespace ctxflow::exporters::otlp {

std::optional<grpc_target> resolve_grpc_target(std::string_view endpoint,
                                               bool insecure) noexcept {
  CTXFLOW_TRY {
    grpc_target out;
    std::string_view rest = endpoint;
    if (internal::istarts_with(endpoint, "http://")) {
      out.plaintext = true;
      rest.remove_prefix(7);
    } else if (internal::istarts_with(endpoint, "https://")) {
      out.plaintext = false;
      rest.remove_prefix(8);
    } else {
      // No scheme: check it as an http:// URL would be, then TLS unless insecure.
      if (endpoint.find("://") != std::string_view::npos) return std::nullopt;
      out.plaintext = insecure;
    }
    if (!endpoint_problem("http://" + std::string(rest)).empty()) return std::nullopt;
    rest = rest.substr(0, rest.find_first_of("/?#"));
    if (const std::size_t user = rest.rfind('@'); user != std::string_view::npos)
      rest.remove_prefix(user + 1);
    out.target.assign(rest);
    return out;
  } CTXFLOW_CATCH_ALL {
    return std::nullopt;
  }
}

grpc_exporter_options grpc_exporter_options::from_environment() {
  using detail::invalid_code;
  grpc_exporter_options o;
  detail::warn_config_file();
  // R8.17: the endpoint is used as given (no /v1/traces). An unusable one counts as unset.
  constexpr std::string_view default_text = "the default http://localhost:4317";
  for (const char* name : {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"}) {
    const std::optional<std::string> v = internal::env_string(name);
    if (!v) continue;
    if (!resolve_grpc_target(*v, true)) {
      internal::report_invalid_setting(invalid_code, name, *v,
                                       "not an http(s)://host[:port] or host:port endpoint",
                                       default_text);
      continue;
    }
    o.endpoint = *v;
    break;
  }
  detail::apply_transport_env(o);
  if (auto v = detail::otlp_env("INSECURE")) {
    if (auto b = internal::env_bool(v->name.c_str(), invalid_code)) o.insecure = *b;
  }
  return o;
}

}  // namespace ctxflow::exporters::otlp
