// SPDX-License-Identifier: Apache-2.0
// Built by scripts/test.sh with nothing but `pkg-config --cflags --libs ctxflow-sdk
// ctxflow-otlp-http`: the OTLP/HTTP exporter must register itself from those flags alone.
// The program starts a one-shot HTTP receiver on 127.0.0.1 (an ephemeral port), points
// OTEL_EXPORTER_OTLP_ENDPOINT at it, selects OTEL_TRACES_EXPORTER=otlp, ends one span and shuts
// the SDK down. Exit 0 only when the receiver got a POST /v1/traces with a non-empty protobuf
// body; every wait has a deadline.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <functional>
#include <thread>
#include <utility>

#include "ctxflow/sdk/init.hpp"
#include "ctxflow/trace/provider.hpp"

#ifndef CTXFLOW_HAS_OTLP_HTTP
#error "ctxflow-otlp-http.pc must define CTXFLOW_HAS_OTLP_HTTP"
#endif

namespace {

using clock_type = std::chrono::steady_clock;
constexpr auto receiver_deadline = std::chrono::seconds(20);

struct received {
  std::string request_line;
  std::string content_type;
  std::string body;
};

int remaining_ms(clock_type::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

// Reads from `fd` until `data` holds `want` bytes; false on close, error or deadline.
bool read_until(int fd, std::string& data, std::size_t want, clock_type::time_point deadline) {
  char buffer[4096];
  while (data.size() < want) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, remaining_ms(deadline)) <= 0) return false;
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return false;
    data.append(buffer, static_cast<std::size_t>(n));
  }
  return true;
}

// The value of header `name` (lower case) in `request_head` (request line and headers).
std::string header_value(const std::string& request_head, const std::string& name) {
  const std::string head = request_head + "\r\n";  // every header line ends in CRLF
  std::size_t at = 0;
  while ((at = head.find("\r\n", at)) != std::string::npos) {
    at += 2;
    std::size_t colon = head.find(':', at);
    std::size_t end = head.find("\r\n", at);
    if (colon == std::string::npos || end == std::string::npos || colon > end) continue;
    std::string key = head.substr(at, colon - at);
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (key != name) continue;
    std::size_t value = head.find_first_not_of(' ', colon + 1);
    return head.substr(value, end - value);
  }
  return {};
}

// Serves requests on `listener` until one POST with a body arrived, `done` is set by the caller
// or the deadline passed; a request being read is always finished first.
void serve(int listener, received& out, std::atomic<bool>& done) {
  const auto deadline = clock_type::now() + receiver_deadline;
  while (!done.load() && remaining_ms(deadline) > 0) {
    pollfd p{listener, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const int fd = ::accept(listener, nullptr, nullptr);
    if (fd < 0) continue;
    std::string data;
    std::size_t head_end = std::string::npos;
    while (head_end == std::string::npos && read_until(fd, data, data.size() + 1, deadline))
      head_end = data.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      const std::string head = data.substr(0, head_end);
      const std::size_t length =
          static_cast<std::size_t>(std::strtoul(header_value(head, "content-length").c_str(), nullptr, 10));
      if (read_until(fd, data, head_end + 4 + length, deadline)) {
        const char reply[] = "HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\n"
                             "Content-Length: 0\r\nConnection: close\r\n\r\n";
        (void)!::send(fd, reply, sizeof reply - 1, MSG_NOSIGNAL);
        if (head.rfind("POST ", 0) == 0 && length > 0) {
          out.request_line = head.substr(0, head.find("\r\n"));
          out.content_type = header_value(head, "content-type");
          out.body = data.substr(head_end + 4, length);
          done.store(true);
        }
      }
    }
    ::close(fd);
  }
}

}  // namespace

int main() {
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listener, 8) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    std::perror("pkg_config_otlp: loopback listener");
    return 1;
  }
  const std::string endpoint = "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port));
  ::setenv("OTEL_TRACES_EXPORTER", "otlp", 1);
  ::setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.c_str(), 1);
  ::setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf", 1);
  ::setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "none", 1);
  ::setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "5000", 1);

  received got;
  std::atomic<bool> done{false};
  std::thread receiver(serve, listener, std::ref(got), std::ref(done));
  {
    ctxflow::sdk::init_options options;
    options.service_name = "pkg-config-otlp";
    options.shutdown_timeout = std::chrono::seconds(10);
    ctxflow::sdk::init_guard guard = ctxflow::sdk::init(std::move(options));
    ctxflow::trace::get_tracer("pkg_config_otlp").start_span("one span").end();
    guard.shutdown();
  }
  // The shutdown above has exported or given up: the receiver can stop.
  done.store(true);
  receiver.join();
  ::close(listener);

  const bool ok = got.request_line.rfind("POST /v1/traces ", 0) == 0 &&
                  got.content_type == "application/x-protobuf" && !got.body.empty() &&
                  got.body[0] == '\x0a';  // field 1 (resource_spans), length-delimited
  if (!ok) {
    std::fprintf(stderr,
                 "pkg_config_otlp: no OTLP/protobuf POST /v1/traces arrived at %s "
                 "(request '%s', content type '%s', %zu body bytes)\n",
                 endpoint.c_str(), got.request_line.c_str(), got.content_type.c_str(),
                 got.body.size());
    return 1;
  }
  std::printf("pkg_config_otlp: %s with %zu bytes of %s\n", got.request_line.c_str(),
              got.body.size(), got.content_type.c_str());
  return 0;
}
