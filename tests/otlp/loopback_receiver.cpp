// SPDX-License-Identifier: Apache-2.0
// The loopback OTLP/HTTP receiver used by the exporter tests: POSIX sockets, poll(), one
// thread, HTTP/1.1 with Content-Length bodies and keep-alive.
#include "loopback_receiver.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "otlp_trace_service.pb.h"

namespace ctxflow::exporters::otlp::testing {
namespace {

namespace pbs = opentelemetry::proto::collector::trace::v1;

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

bool gunzip(const std::string& in, std::string& out) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 32) != Z_OK) return false;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  char buf[16384];
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
  }
  inflateEnd(&zs);
  return rc == Z_STREAM_END;
}

void decode(received_request& req) {
  auto it = req.headers.find("content-encoding");
  if (it != req.headers.end() && lower(it->second) == "gzip") {
    if (!gunzip(req.body, req.payload)) return;
  } else {
    req.payload = req.body;
  }
  const std::string ctype = lower(req.headers["content-type"]);
  if (ctype == "application/x-protobuf") {
    pbs::ExportTraceServiceRequest msg;
    if (!msg.ParseFromString(req.payload)) return;
    for (const auto& rs : msg.resource_spans())
      for (const auto& ss : rs.scope_spans())
        for (const auto& s : ss.spans()) req.span_names.push_back(s.name());
    req.decoded = true;
  } else if (ctype == "application/json") {
    const auto j = nlohmann::json::parse(req.payload, nullptr, false);
    if (j.is_discarded()) return;
    if (j.contains("resourceSpans"))
      for (const auto& rs : j["resourceSpans"])
        for (const auto& ss : rs["scopeSpans"])
          for (const auto& s : ss["spans"]) req.span_names.push_back(s.value("name", ""));
    req.decoded = true;
  }
}

const char* reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 307: return "Temporary Redirect";
    case 400: return "Bad Request";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Status";
  }
}

void send_all(int fd, const std::string& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<std::size_t>(n);
  }
}

struct connection {
  int fd;
  std::string in;
};

/// Parses one complete request from the front of `buf`; false when more bytes are needed.
bool take_request(std::string& buf, received_request& req) {
  const std::size_t end = buf.find("\r\n\r\n");
  if (end == std::string::npos) return false;
  std::size_t line_end = buf.find("\r\n");
  const std::string request_line = buf.substr(0, line_end);
  std::map<std::string, std::string> headers;
  std::size_t pos = line_end + 2;
  while (pos < end) {
    const std::size_t eol = buf.find("\r\n", pos);
    const std::string line = buf.substr(pos, eol - pos);
    const std::size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      headers[lower(line.substr(0, colon))] = value;
    }
    pos = eol + 2;
  }
  std::size_t length = 0;
  if (auto it = headers.find("content-length"); it != headers.end())
    length = static_cast<std::size_t>(std::stoull(it->second));
  if (buf.size() < end + 4 + length) return false;
  const std::size_t sp1 = request_line.find(' ');
  const std::size_t sp2 = request_line.find(' ', sp1 + 1);
  req.method = request_line.substr(0, sp1);
  req.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  req.headers = std::move(headers);
  req.body = buf.substr(end + 4, length);
  buf.erase(0, end + 4 + length);
  return true;
}

}  // namespace

loopback_receiver::loopback_receiver(response_script script) : script_(std::move(script)) {
  if (!open_listener()) return;
  is_up_ = true;
  thread_ = std::thread([this] { run(); });
}

loopback_receiver::~loopback_receiver() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  close_listener();
}

std::string loopback_receiver::endpoint() const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/v1/traces";
}

bool loopback_receiver::open_listener() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return false;
  const int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port_);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 16) != 0) {
    close_listener();
    return false;
  }
  if (port_ == 0) {  // first bind, before the server thread exists; later binds reuse it
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  return true;
}

void loopback_receiver::close_listener() {
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
}

void loopback_receiver::go_down() {
  want_up_ = false;
  while (is_up_.load()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
}

void loopback_receiver::come_up() {
  want_up_ = true;
  while (!is_up_.load()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
}

void loopback_receiver::set_script(response_script script) {
  std::lock_guard lock(mu_);
  script_ = std::move(script);
}

std::vector<received_request> loopback_receiver::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}
std::size_t loopback_receiver::request_count() const {
  std::lock_guard lock(mu_);
  return requests_.size();
}
std::size_t loopback_receiver::span_count() const {
  std::lock_guard lock(mu_);
  return spans_;
}
std::size_t loopback_receiver::connections_accepted() const {
  std::lock_guard lock(mu_);
  return accepted_;
}

bool loopback_receiver::wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
}

canned_response loopback_receiver::answer(received_request& req) {
  decode(req);
  std::unique_lock lock(mu_);
  const std::size_t index = requests_.size();
  requests_.push_back(req);
  spans_ += req.span_names.size();
  response_script script = script_;
  lock.unlock();
  cv_.notify_all();
  return script ? script(req, index) : canned_response{};
}

void loopback_receiver::run() {
  std::vector<connection> conns;
  auto close_all = [&] {
    for (auto& c : conns) ::close(c.fd);
    conns.clear();
  };
  while (!stop_.load()) {
    // Go down or up as asked.
    if (!want_up_.load() && is_up_.load()) {
      close_all();
      close_listener();
      is_up_ = false;
    } else if (want_up_.load() && !is_up_.load()) {
      if (open_listener()) is_up_ = true;
    }
    std::vector<pollfd> fds;
    if (listen_fd_ >= 0) fds.push_back({listen_fd_, POLLIN, 0});
    for (const auto& c : conns) fds.push_back({c.fd, POLLIN, 0});
    if (fds.empty()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    if (::poll(fds.data(), fds.size(), 10) <= 0) continue;
    std::size_t i = 0;
    if (listen_fd_ >= 0) {
      if (fds[0].revents & POLLIN) {
        const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd >= 0) {
          conns.push_back({fd, {}});
          std::lock_guard lock(mu_);
          ++accepted_;
        }
      }
      i = 1;
    }
    std::vector<int> dead;
    for (; i < fds.size(); ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      auto it = std::find_if(conns.begin(), conns.end(),
                             [&](const connection& c) { return c.fd == fds[i].fd; });
      if (it == conns.end()) continue;
      char buf[65536];
      const ssize_t n = ::recv(it->fd, buf, sizeof buf, 0);
      if (n <= 0) {
        dead.push_back(it->fd);
        continue;
      }
      it->in.append(buf, static_cast<std::size_t>(n));
      received_request req;
      while (take_request(it->in, req)) {
        const canned_response resp = answer(req);
        if (resp.delay.count() > 0) {
          std::unique_lock lock(mu_);
          cv_.wait_for(lock, resp.delay, [&] { return stop_.load(); });
        }
        if (resp.drop_connection) {
          dead.push_back(it->fd);
          break;
        }
        std::string out = "HTTP/1.1 " + std::to_string(resp.status) + " " + reason(resp.status) +
                          "\r\nContent-Type: " + resp.content_type +
                          "\r\nContent-Length: " + std::to_string(resp.body.size()) + "\r\n";
        for (const auto& [k, v] : resp.headers) out += k + ": " + v + "\r\n";
        out += "\r\n" + resp.body;
        send_all(it->fd, out);
        req = received_request{};
      }
    }
    for (int fd : dead) {
      ::close(fd);
      conns.erase(std::remove_if(conns.begin(), conns.end(),
                                 [&](const connection& c) { return c.fd == fd; }),
                  conns.end());
    }
  }
  close_all();
}

std::string partial_success_body(std::int64_t rejected, const std::string& message) {
  pbs::ExportTraceServiceResponse resp;
  resp.mutable_partial_success()->set_rejected_spans(rejected);
  resp.mutable_partial_success()->set_error_message(message);
  return resp.SerializeAsString();
}

std::string rpc_status_body(int code, const std::string& message) {
  pbs::RpcStatus st;
  st.set_code(code);
  st.set_message(message);
  return st.SerializeAsString();
}

}  // namespace ctxflow::exporters::otlp::testing
