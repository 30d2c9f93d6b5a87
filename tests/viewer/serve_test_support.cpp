// SPDX-License-Identifier: Apache-2.0
#include "viewer/serve_test_support.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <sstream>

#include "ctxflow/trace/trace_state.hpp"

namespace ctxflow::viewer::testing {
namespace {

template <std::size_t N>
void spread(std::uint64_t n, std::array<std::uint8_t, N>& bytes) {
  bytes.fill(0);
  bytes[0] = 0xc7;  // never all zero, whatever n is
  for (std::size_t i = 0; i < 8 && i < N - 1; ++i)
    bytes[N - 1 - i] = static_cast<std::uint8_t>(n >> (8 * i));
}

std::string hex_of(const trace::trace_id& t) {
  const auto h = t.to_hex();
  return {h.data(), h.size()};
}
std::string hex_of(const trace::span_id& s) {
  const auto h = s.to_hex();
  return {h.data(), h.size()};
}

std::string describe(const sdk::attribute_value& v) {
  std::ostringstream o;
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, sdk::byte_string>) {
          o << "bytes[" << x.data.size() << "]";
        } else if constexpr (std::is_same_v<T, std::vector<bool>> ||
                             std::is_same_v<T, std::vector<std::int64_t>> ||
                             std::is_same_v<T, std::vector<double>> ||
                             std::is_same_v<T, std::vector<std::string>>) {
          o << "[";
          for (std::size_t i = 0; i < x.size(); ++i) o << (i ? "," : "") << x[i];
          o << "]";
        } else {
          o << x;
        }
      },
      v);
  return o.str() + " (type " + std::to_string(v.index()) + ")";
}

void compare_attributes(const std::string& what, const std::vector<sdk::attribute>& a,
                        const std::vector<sdk::attribute>& b, std::string& out) {
  if (a.size() != b.size()) {
    out += what + ": " + std::to_string(a.size()) + " attributes vs " + std::to_string(b.size()) + "\n";
    return;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].key != b[i].key) out += what + ": key " + a[i].key + " vs " + b[i].key + "\n";
    else if (!(a[i].value == b[i].value))
      out += what + ": " + a[i].key + " = " + describe(a[i].value) + " vs " + describe(b[i].value) + "\n";
  }
}

template <class T>
void check(const std::string& what, const T& a, const T& b, std::string& out) {
  if (!(a == b)) {
    std::ostringstream o;
    if constexpr (requires(std::ostream& s, const T& v) { s << v; }) o << ": " << a << " vs " << b;
    out += what + " differs" + o.str() + "\n";
  }
}

}  // namespace

trace::trace_id trace_number(std::uint64_t n) {
  trace::trace_id id;
  spread(n, id.bytes);
  return id;
}

trace::span_id span_number(std::uint64_t n) {
  trace::span_id id;
  spread(n, id.bytes);
  return id;
}

std::shared_ptr<const sdk::resource> service_resource(const std::string& service) {
  auto r = std::make_shared<sdk::resource>();
  r->attributes.push_back({"service.name", std::string(service)});
  r->attributes.push_back({"host.name", std::string("test-host")});
  r->schema_url = "https://opentelemetry.io/schemas/1.24.0";
  return r;
}

sdk::span_data rich_span(std::uint64_t trace, std::uint64_t span, std::uint64_t parent,
                         std::string name, std::shared_ptr<const sdk::resource> resource,
                         std::uint64_t start, std::uint64_t end, bool error) {
  static const auto scope = [] {
    auto s = std::make_shared<sdk::instrumentation_scope>();
    s->name = "ctxflow.viewer.test";
    s->version = "1.2.3";
    s->schema_url = "https://opentelemetry.io/schemas/1.21.0";
    s->attributes.push_back({"scope.kind", std::string("test")});
    return s;
  }();
  sdk::span_data s;
  s.context.trace = trace_number(trace);
  s.context.span = span_number(span);
  s.context.flags.value = 0x01;
  s.context.state = trace::trace_state::parse("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
  if (parent != 0) s.parent_span_id = span_number(parent);
  s.name = std::move(name);
  s.kind = parent == 0 ? trace::span_kind::server : trace::span_kind::client;
  s.start_time_unix_nano = start;
  s.end_time_unix_nano = end;
  s.attributes = {
      {"str", std::string("text \"quoted\" \xc3\xa9")},
      {"int", std::int64_t{-42}},
      {"dbl", 2.5},
      {"flag", true},
      {"raw", sdk::byte_string{{0x00, 0xff, 0x10}}},
      {"bools", std::vector<bool>{true, false}},
      {"ints", std::vector<std::int64_t>{1, -2, 3}},
      {"dbls", std::vector<double>{0.5, -1.25}},
      {"strs", std::vector<std::string>{"a", "b"}},
  };
  s.dropped_attributes_count = 2;
  s.events.push_back({"started", start + 10, {{"step", std::int64_t{1}}}, 1});
  s.events.push_back({"finished", end - 10, {}, 0});
  s.dropped_events_count = 3;
  sdk::span_link link;
  link.context.trace = trace_number(trace + 1000);
  link.context.span = span_number(span + 1000);
  link.context.flags.value = 0x01;
  link.context.remote = true;
  link.context.state = trace::trace_state::parse("linked=yes");
  link.attributes.push_back({"link.reason", std::string("retry")});
  link.dropped_attributes_count = 4;
  s.links.push_back(link);
  s.dropped_links_count = 5;
  if (error) {
    s.status.code = trace::status_code::error;
    s.status.message = "it failed";
  } else {
    s.status.code = trace::status_code::ok;
  }
  s.resource_ptr = std::move(resource);
  s.scope_ptr = scope;
  return s;
}

std::string differences(const sdk::span_data& a, const sdk::span_data& b) {
  std::string out;
  check("trace id", hex_of(a.context.trace), hex_of(b.context.trace), out);
  check("span id", hex_of(a.context.span), hex_of(b.context.span), out);
  check("flags", int(a.context.flags.value), int(b.context.flags.value), out);
  check("tracestate", std::string(a.context.state.header()), std::string(b.context.state.header()), out);
  check("parent id", hex_of(a.parent_span_id), hex_of(b.parent_span_id), out);
  check("parent remote", a.parent_is_remote, b.parent_is_remote, out);
  check("name", a.name, b.name, out);
  check("kind", int(a.kind), int(b.kind), out);
  check("start", a.start_time_unix_nano, b.start_time_unix_nano, out);
  check("end", a.end_time_unix_nano, b.end_time_unix_nano, out);
  compare_attributes("attributes", a.attributes, b.attributes, out);
  check("dropped attributes", a.dropped_attributes_count, b.dropped_attributes_count, out);
  check("events", a.events.size(), b.events.size(), out);
  for (std::size_t i = 0; i < std::min(a.events.size(), b.events.size()); ++i) {
    check("event name", a.events[i].name, b.events[i].name, out);
    check("event time", a.events[i].time_unix_nano, b.events[i].time_unix_nano, out);
    compare_attributes("event attributes", a.events[i].attributes, b.events[i].attributes, out);
    check("event dropped", a.events[i].dropped_attributes_count, b.events[i].dropped_attributes_count, out);
  }
  check("dropped events", a.dropped_events_count, b.dropped_events_count, out);
  check("links", a.links.size(), b.links.size(), out);
  for (std::size_t i = 0; i < std::min(a.links.size(), b.links.size()); ++i) {
    const auto& x = a.links[i];
    const auto& y = b.links[i];
    check("link trace", hex_of(x.context.trace), hex_of(y.context.trace), out);
    check("link span", hex_of(x.context.span), hex_of(y.context.span), out);
    check("link flags", int(x.context.flags.value), int(y.context.flags.value), out);
    check("link remote", x.context.remote, y.context.remote, out);
    check("link tracestate", std::string(x.context.state.header()), std::string(y.context.state.header()), out);
    compare_attributes("link attributes", x.attributes, y.attributes, out);
    check("link dropped", x.dropped_attributes_count, y.dropped_attributes_count, out);
  }
  check("dropped links", a.dropped_links_count, b.dropped_links_count, out);
  check("status code", int(a.status.code), int(b.status.code), out);
  check("status message", a.status.message, b.status.message, out);
  if (!a.resource_ptr || !b.resource_ptr) {
    if (!a.resource_ptr != !b.resource_ptr) out += "resource missing on one side\n";
  } else {
    compare_attributes("resource", a.resource_ptr->attributes, b.resource_ptr->attributes, out);
    check("resource schema", a.resource_ptr->schema_url, b.resource_ptr->schema_url, out);
  }
  if (!a.scope_ptr || !b.scope_ptr) {
    if (!a.scope_ptr != !b.scope_ptr) out += "scope missing on one side\n";
  } else {
    check("scope name", a.scope_ptr->name, b.scope_ptr->name, out);
    check("scope version", a.scope_ptr->version, b.scope_ptr->version, out);
    check("scope schema", a.scope_ptr->schema_url, b.scope_ptr->schema_url, out);
    compare_attributes("scope attributes", a.scope_ptr->attributes, b.scope_ptr->attributes, out);
  }
  return out.empty() ? out : "span " + a.name + " (" + hex_of(a.context.span) + "):\n" + out;
}

std::string differences(std::vector<sdk::span_data> sent, std::vector<sdk::span_data> got) {
  if (sent.size() != got.size())
    return "sent " + std::to_string(sent.size()) + " spans, got " + std::to_string(got.size());
  auto by_id = [](const sdk::span_data& x, const sdk::span_data& y) {
    return hex_of(x.context.trace) + hex_of(x.context.span) < hex_of(y.context.trace) + hex_of(y.context.span);
  };
  std::sort(sent.begin(), sent.end(), by_id);
  std::sort(got.begin(), got.end(), by_id);
  std::string out;
  for (std::size_t i = 0; i < sent.size(); ++i) out += differences(sent[i], got[i]);
  return out;
}

std::string http_answer::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n.size() != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < n.size() && same; ++i)
      same = std::tolower(static_cast<unsigned char>(n[i])) == std::tolower(static_cast<unsigned char>(name[i]));
    if (same) return v;
  }
  return {};
}

http_answer http_call(std::uint16_t port, const std::string& method, const std::string& target,
                      const std::vector<std::pair<std::string, std::string>>& headers,
                      const std::string& body, std::chrono::milliseconds limit) {
  http_answer answer;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return answer;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return answer;
  }
  std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                        "\r\nConnection: close\r\n";
  for (const auto& [n, v] : headers) request += n + ": " + v + "\r\n";
  if (!body.empty() || method == "POST") request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  request += "\r\n";
  request += body;
  auto left_ms = [&] {
    return static_cast<int>(std::max<long long>(
        0, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count()));
  };
  std::size_t sent = 0;
  while (sent < request.size()) {
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, left_ms()) <= 0) break;
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may answer (413) before reading everything
    sent += static_cast<std::size_t>(n);
  }
  std::string raw;
  char buf[65536];
  while (true) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, left_ms()) <= 0) break;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    raw.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  const std::size_t head_end = raw.find("\r\n\r\n");
  if (raw.compare(0, 9, "HTTP/1.1 ") != 0 || head_end == std::string::npos) return answer;
  answer.status = std::atoi(raw.c_str() + 9);
  std::size_t line = raw.find("\r\n") + 2;
  while (line < head_end) {
    const std::size_t eol = raw.find("\r\n", line);
    const std::string field = raw.substr(line, eol - line);
    const std::size_t colon = field.find(':');
    if (colon != std::string::npos) {
      std::string value = field.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      answer.headers.emplace_back(field.substr(0, colon), value);
    }
    line = eol + 2;
  }
  answer.body = raw.substr(head_end + 4);
  const std::string length = answer.header("Content-Length");
  if (!length.empty()) {
    const std::size_t n = std::stoul(length);
    if (answer.body.size() < n) answer.status = 0;  // cut short
    answer.body.resize(std::min(n, answer.body.size()));
  }
  return answer;
}

std::string gzip(std::string_view in) {
  z_stream zs{};
  deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, static_cast<uLong>(in.size())) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

}  // namespace ctxflow::viewer::testing
