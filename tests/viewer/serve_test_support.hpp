// SPDX-License-Identifier: Apache-2.0
// Shared by the store, ingest and serve tests: spans with every field set, a field-by-field
// comparison, and a small blocking HTTP/1.1 client over a loopback socket (bounded waits).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ctxflow/sdk/span_data.hpp"

namespace ctxflow::viewer::testing {

/// A resource with `service.name` = `service` and one more attribute.
std::shared_ptr<const sdk::resource> service_resource(const std::string& service);

/// A span with every field set: attributes of every type, two events, a link with a
/// tracestate, dropped counts, a status. `trace` and `span` are numbers spread into the ids.
sdk::span_data rich_span(std::uint64_t trace, std::uint64_t span, std::uint64_t parent,
                         std::string name, std::shared_ptr<const sdk::resource> resource,
                         std::uint64_t start, std::uint64_t end, bool error = false);

/// The ids rich_span() makes.
trace::trace_id trace_number(std::uint64_t n);
trace::span_id span_number(std::uint64_t n);

/// Empty when `a` and `b` agree on every field (resource and scope by value); otherwise what
/// differs, for the failure message.
std::string differences(const sdk::span_data& a, const sdk::span_data& b);
/// differences() over two sets of spans matched by span id.
std::string differences(std::vector<sdk::span_data> sent, std::vector<sdk::span_data> got);

/// What a server answered.
struct http_answer {
  int status = 0;  ///< 0: no answer (connection failed, closed or timed out)
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string header(std::string_view name) const;
};

/// Sends one request (`Connection: close`) to 127.0.0.1:`port` and reads the answer, all
/// within `limit`.
http_answer http_call(std::uint16_t port, const std::string& method, const std::string& target,
                      const std::vector<std::pair<std::string, std::string>>& headers = {},
                      const std::string& body = {},
                      std::chrono::milliseconds limit = std::chrono::seconds(10));

/// gzip-compresses `in`.
std::string gzip(std::string_view in);

}  // namespace ctxflow::viewer::testing
