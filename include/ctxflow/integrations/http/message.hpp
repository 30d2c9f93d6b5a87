// SPDX-License-Identifier: Apache-2.0
// The plain request and response values the HTTP helpers (http_client, http_server) exchange,
// without any Beast type in them. Headers are a sequence of (name, value) pairs, so the
// propagation helpers read and write them directly (case-insensitive names, R5.3).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ctxflow/integrations/http/legacy_namespace.hpp"
#include "ctxflow/propagation/text_map.hpp"

namespace ctxflow::integrations::http {

/// Header fields in order; names compare case-insensitively.
using header_list = std::vector<std::pair<std::string, std::string>>;

/// The first value of header `name` (case-insensitive), or nothing.
inline std::optional<std::string_view> find_header(const header_list& headers,
                                                   std::string_view name) noexcept {
  for (const auto& [n, v] : headers)
    if (propagation::detail::iequals(n, name)) return std::string_view(v);
  return std::nullopt;
}

/// An HTTP/1.1 request.
struct request {
  request(std::string m = "GET", std::string t = "/", header_list h = {}, std::string b = {})
      : method(std::move(m)), target(std::move(t)), headers(std::move(h)), body(std::move(b)) {}

  std::string method;
  /// The request target: path and optional query (`/orders?id=7`).
  std::string target;
  header_list headers;
  std::string body;
};

/// An HTTP/1.1 response.
struct response {
  response(int s = 200, header_list h = {}, std::string b = {})
      : status(s), headers(std::move(h)), body(std::move(b)) {}

  int status;
  header_list headers;
  std::string body;
};

}  // namespace ctxflow::integrations::http
