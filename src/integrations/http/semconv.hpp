// SPDX-License-Identifier: Apache-2.0
// Private helpers of the HTTP integration: the semantic-convention attribute names and method
// normalisation (R9.1-R9.5), URL splitting, and the conversions between the plain request and
// response values and Beast messages.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "ctxflow/integrations/http/message.hpp"

namespace ctxflow::integrations::http::detail {

namespace attr {
inline constexpr std::string_view request_method = "http.request.method";
inline constexpr std::string_view request_method_original = "http.request.method_original";
inline constexpr std::string_view response_status_code = "http.response.status_code";
inline constexpr std::string_view resend_count = "http.request.resend_count";
inline constexpr std::string_view route = "http.route";
inline constexpr std::string_view server_address = "server.address";
inline constexpr std::string_view server_port = "server.port";
inline constexpr std::string_view client_address = "client.address";
inline constexpr std::string_view client_port = "client.port";
inline constexpr std::string_view peer_address = "network.peer.address";
inline constexpr std::string_view peer_port = "network.peer.port";
inline constexpr std::string_view protocol_version = "network.protocol.version";
inline constexpr std::string_view url_full = "url.full";
inline constexpr std::string_view url_path = "url.path";
inline constexpr std::string_view url_query = "url.query";
inline constexpr std::string_view url_scheme = "url.scheme";
inline constexpr std::string_view user_agent = "user_agent.original";
inline constexpr std::string_view error_type = "error.type";
}  // namespace attr

/// True for the methods the conventions know (R9.4), matched case-sensitively.
bool is_known_method(std::string_view method) noexcept;

/// The span name: `{method}` or `{method} {target}`, with `HTTP` for unknown methods (R9.1).
std::string span_name(std::string_view method, std::string_view target);

/// A parsed `http://host[:port][/target]` URL.
struct parsed_url {
  std::string host;
  std::uint16_t port = 80;
  std::string target = "/";
};
std::optional<parsed_url> parse_http_url(std::string_view url);

/// `target` with the values of the signature query keys of R9.2 replaced by `REDACTED`.
std::string redact_query(std::string_view target);

/// `url.full` for host, port and target (`http://host:port/target`), query redacted (R9.2).
std::string full_url(std::string_view host, std::uint16_t port, std::string_view target);

using beast_request = boost::beast::http::request<boost::beast::http::string_body>;
using beast_response = boost::beast::http::response<boost::beast::http::string_body>;

/// "1.1" or "1.0" from Beast's version number (11, 10).
std::string_view protocol_version(unsigned version) noexcept;

}  // namespace ctxflow::integrations::http::detail
