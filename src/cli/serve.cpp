// SPDX-License-Identifier: Apache-2.0
// `ctxflow serve`: the project's HTTP server receiving OTLP/HTTP trace exports (viewer::ingest),
// storing them (viewer::trace_store), answering the JSON API, and printing each trace as a
// waterfall once it has been quiet for a while.
#include "cli/serve.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "base/hex.hpp"
#include "cli/demo_signals.hpp"
#include "cli/terminal_waterfall.hpp"
#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/exporters/console_exporter.hpp"
#include "ctxflow/exporters/otlp/json_encoder.hpp"
#include "ctxflow/integrations/http/http_server.hpp"
#include "ctxflow/viewer/html_page.hpp"
#include "ctxflow/viewer/otlp_ingest.hpp"
#include "ctxflow/viewer/trace_store.hpp"

namespace ctxflow::cli {
namespace {

namespace net = boost::asio;
namespace http = integrations::http;
using namespace std::chrono_literals;

// The most summaries one `GET /api/traces` answers.
constexpr std::size_t max_list_limit = 10000;

template <class T>
std::optional<T> parse_number(std::string_view text) {
  T v{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return v;
}

// --- the printer ----------------------------------------------------------------------------

/// Prints a trace's waterfall once no span of it has arrived for `quiet_after` (a monotonic
/// clock). A trace that receives spans after being printed is printed again, whole.
class waterfall_printer {
 public:
  waterfall_printer(const viewer::trace_store& store, std::chrono::milliseconds quiet_after,
                    bool ascii)
      : store_(store), quiet_after_(quiet_after) {
    // As `ctxflow view` draws it; no colours, since this output is often a log.
    options_ = terminal_waterfall_options(ascii, false, terminal_width(100));
    thread_ = std::thread([this] { run(); });
  }
  ~waterfall_printer() { stop(false); }

  void touched(const std::vector<sdk::span_data>& spans) {
    const auto now = std::chrono::steady_clock::now();
    {
      std::lock_guard lock(mu_);
      for (const auto& s : spans) pending_[s.context.trace.bytes] = now;
    }
    cv_.notify_all();
  }

  /// Ends the thread; with `print_pending`, traces still waiting are printed first.
  void stop(bool print_pending) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      stopping_ = true;
      flush_ = print_pending;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  using key = std::array<std::uint8_t, 16>;

  void run() {
    std::unique_lock lock(mu_);
    while (true) {
      if (stopping_) {
        if (flush_) {
          std::vector<key> all;
          for (const auto& [k, t] : pending_) all.push_back(k);
          pending_.clear();
          lock.unlock();
          print(all);
        }
        return;
      }
      const auto now = std::chrono::steady_clock::now();
      std::vector<key> due;
      auto next = std::chrono::steady_clock::time_point::max();
      for (auto it = pending_.begin(); it != pending_.end();) {
        const auto at = it->second + quiet_after_;
        if (at <= now) {
          due.push_back(it->first);
          it = pending_.erase(it);
        } else {
          next = std::min(next, at);
          ++it;
        }
      }
      if (!due.empty()) {
        lock.unlock();
        print(due);
        lock.lock();
        continue;
      }
      if (next == std::chrono::steady_clock::time_point::max())
        cv_.wait(lock);
      else
        cv_.wait_until(lock, next);
    }
  }

  void print(const std::vector<key>& ids) {
    for (const key& k : ids) {
      trace::trace_id id;
      id.bytes = k;
      const std::vector<sdk::span_data> spans = store_.get(id);
      if (spans.empty()) continue;  // gone by retention
      CTXFLOW_TRY {
        const std::string text = exporters::render_waterfall(std::span<const sdk::span_data>(spans), options_);
        std::fwrite(text.data(), 1, text.size(), stdout);
        std::fputc('\n', stdout);
        std::fflush(stdout);
      }
      CTXFLOW_CATCH_ALL {
        std::fprintf(stderr, "ctxflow serve: cannot print a trace: %s\n", current_exception_message());
      }
    }
  }

  const viewer::trace_store& store_;
  const std::chrono::milliseconds quiet_after_;
  exporters::render_options options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<key, std::chrono::steady_clock::time_point> pending_;  // guarded by mu_
  bool stopping_ = false;                                         // guarded by mu_
  bool flush_ = false;                                            // guarded by mu_
  std::thread thread_;
};

// --- the routes -----------------------------------------------------------------------------

struct serve_state {
  viewer::trace_store* store = nullptr;
  waterfall_printer* printer = nullptr;  // null with --quiet
  viewer::ingest_limits limits;
  std::string page;  // the served page (viewer::render_html_app), made once
};

http::response json_answer(int status, std::string body, http::header_list extra = {}) {
  extra.emplace_back("Content-Type", "application/json");
  return http::response(status, std::move(extra), std::move(body));
}

http::response json_error(int status, std::string_view message, http::header_list extra = {}) {
  std::string body = "{\"error\":";
  viewer::append_json_string(body, message);
  body += '}';
  return json_answer(status, std::move(body), std::move(extra));
}

// Percent-decoding of a query component; `+` is a space. Nothing for a bad escape.
std::optional<std::string> decode_component(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%') {
      std::uint8_t byte = 0;
      if (i + 2 >= s.size() || !internal::decode_hex_byte(s.data() + i + 1, byte))
        return std::nullopt;
      out.push_back(static_cast<char>(byte));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

http::response list_traces(const serve_state& st, std::string_view query) {
  viewer::trace_query q;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    const auto name = decode_component(pair.substr(0, eq));
    const auto value = decode_component(eq == std::string_view::npos ? std::string_view()
                                                                      : pair.substr(eq + 1));
    if (!name || !value) return json_error(400, "malformed query string");
    if (*name == "service") {
      q.service = *value;
    } else if (*name == "name") {
      q.name = *value;
    } else if (*name == "min_duration") {
      const auto v = parse_number<std::uint64_t>(*value);
      if (!v) return json_error(400, "min_duration wants nanoseconds (a decimal integer)");
      q.min_duration_nano = *v;
    } else if (*name == "limit") {
      const auto v = parse_number<std::size_t>(*value);
      if (!v) return json_error(400, "limit wants a decimal integer");
      q.limit = std::min(*v, max_list_limit);
    }
    // Other parameters are ignored, so that a page may add its own.
  }
  const auto traces = st.store->list(q);
  return json_answer(200, viewer::trace_list_json(traces));
}

http::response get_trace(const serve_state& st, std::string_view id_text) {
  std::string lower(id_text);
  bool hex = lower.size() == 32;
  for (char& c : lower) {
    if (internal::hex_digit_value(c) < 0) hex = false;
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  }
  const trace::trace_id id = hex ? trace::trace_id::from_hex(lower) : trace::trace_id{};
  if (!id.valid())
    return json_error(400, "a trace id is 32 hexadecimal digits, not all zero");
  const std::vector<sdk::span_data> spans = st.store->get(id);
  if (spans.empty()) return json_error(404, "trace " + lower + " is not stored");
  std::vector<const sdk::span_data*> ptrs;
  ptrs.reserve(spans.size());
  for (const auto& s : spans) ptrs.push_back(&s);
  std::string body;
  exporters::otlp::encode_json(ptrs, body);
  return json_answer(200, std::move(body));
}

http::response receive(const serve_state& st, const http::request& req) {
  const auto type = http::find_header(req.headers, "Content-Type");
  const auto encoding = http::find_header(req.headers, "Content-Encoding");
  viewer::ingest_result r = viewer::ingest(type.value_or(std::string_view()),
                                           encoding.value_or(std::string_view()), req.body,
                                           st.limits);
  if (r.status == 200 && !r.spans.empty()) {
    if (!st.store->add(r.spans)) {
      // Retryable for the exporter (OTLP: 503 may be retried).
      const bool json = r.content_type == "application/json";
      return http::response(503, {{"Content-Type", r.content_type}},
                            viewer::rpc_status_body(14, "the spans could not be stored", json));
    }
    if (st.printer != nullptr) st.printer->touched(r.spans);
  }
  return http::response(r.status, {{"Content-Type", r.content_type}}, std::move(r.body));
}

http::response answer(const serve_state& st, const http::request& req) {
  const std::size_t q = req.target.find('?');
  const std::string_view path = std::string_view(req.target).substr(0, q);
  const std::string_view query =
      q == std::string::npos ? std::string_view() : std::string_view(req.target).substr(q + 1);
  if (path == "/v1/traces") {
    if (req.method != "POST") return json_error(405, "use POST", {{"Allow", "POST"}});
    return receive(st, req);
  }
  if (path == "/api/traces" || path == "/api/traces/") {
    if (req.method != "GET") return json_error(405, "use GET", {{"Allow", "GET"}});
    return list_traces(st, query);
  }
  constexpr std::string_view one = "/api/traces/";
  if (path.substr(0, one.size()) == one) {
    if (req.method != "GET") return json_error(405, "use GET", {{"Allow", "GET"}});
    return get_trace(st, path.substr(one.size()));
  }
  if (path == "/" || path == "/index.html") {
    if (req.method != "GET") return json_error(405, "use GET", {{"Allow", "GET"}});
    return http::response(200,
                          {{"Content-Type", "text/html; charset=utf-8"},
                           {"Cache-Control", "no-store"},
                           {"X-Content-Type-Options", "nosniff"}},
                          st.page);
  }
  return json_error(404, "not found");
}

net::awaitable<http::response> handle(const serve_state* st, http::request req) {
  co_return answer(*st, req);
}

std::optional<std::pair<std::string, std::uint16_t>> parse_listen(std::string_view text) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string host(text.substr(0, colon));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host == "localhost") host = "127.0.0.1";
  if (host.empty()) return std::nullopt;
  const auto port = parse_number<std::uint16_t>(text.substr(colon + 1));
  if (!port) return std::nullopt;
  return std::make_pair(host, *port);
}

}  // namespace

std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  const auto n = parse_number<std::uint64_t>(text.substr(0, digits));
  if (!n) return std::nullopt;
  const std::string_view unit = text.substr(digits);
  std::uint64_t scale = 0;
  if (unit == "ns") scale = 1;
  else if (unit == "us" || unit == "\xc2\xb5s") scale = 1000;
  else if (unit == "ms" || unit.empty()) scale = 1000000;
  else if (unit == "s") scale = 1000000000;
  else if (unit == "m") scale = 60000000000;
  else return std::nullopt;
  if (*n > static_cast<std::uint64_t>(INT64_MAX) / scale) return std::nullopt;
  return std::chrono::nanoseconds(static_cast<std::int64_t>(*n * scale));
}

void serve_usage(std::FILE* to) {
  std::fprintf(
      to,
      "usage: ctxflow serve [options]\n"
      "\n"
      "Receives OTLP/HTTP trace exports (POST /v1/traces, protobuf or JSON, gzip or not),\n"
      "stores the spans in SQLite, answers a JSON API (GET /api/traces, GET /api/traces/ID)\n"
      "and the trace viewer page (GET /), and prints each trace as a waterfall once no span\n"
      "of it has arrived for a while.\n"
      "The first line on standard output is `listening on http://HOST:PORT`.\n"
      "\n"
      "options:\n"
      "  --listen HOST:PORT     where to listen (default 127.0.0.1:4318; port 0 picks a free one)\n"
      "  --db FILE              keep the spans in this SQLite file (default: in memory)\n"
      "  --retention N          traces kept; the first received are deleted (default 1000, 0: all)\n"
      "  --max-body BYTES       largest request body, inflated too (default 16777216)\n"
      "  --quiet                print no waterfalls\n"
      "  --quiet-after DURATION print a trace once it has been quiet this long (default 1s)\n"
      "  --head-timeout DURATION  time a client has to send a request head (default 10s)\n"
      "  --ascii                ASCII waterfalls even on a terminal (always when not one)\n"
      "  -h, --help             print this text and exit\n"
      "\n"
      "DURATION: a number with ns, us, ms, s or m (a bare number is milliseconds).\n"
      "exit status: 0 stopped by SIGINT or SIGTERM, 1 cannot listen or open the store,\n"
      "2 bad options\n");
}

std::optional<int> parse_serve_args(int argc, char** argv, serve_args& a) {
  auto value_of = [&](int& i) -> const char* {
    if (i + 1 >= argc || std::strncmp(argv[i + 1], "--", 2) == 0) {
      std::fprintf(stderr, "ctxflow serve: option '%s' needs a value (see `ctxflow serve --help`)\n",
                   argv[i]);
      return nullptr;
    }
    return argv[++i];
  };
  auto bad = [](const char* option, const char* wants, const char* got) {
    std::fprintf(stderr, "ctxflow serve: %s wants %s, got '%s'\n", option, wants, got);
    return 2;
  };
  for (int i = 0; i < argc; ++i) {
    const char* arg = argv[i];
    if (std::strcmp(arg, "--help") == 0 || std::strcmp(arg, "-h") == 0) {
      serve_usage(stdout);
      return 0;
    } else if (std::strcmp(arg, "--listen") == 0) {
      const char* v = value_of(i);
      if (v == nullptr) return 2;
      const auto l = parse_listen(v);
      if (!l) return bad("--listen", "HOST:PORT", v);
      a.address = l->first;
      a.port = l->second;
    } else if (std::strcmp(arg, "--db") == 0) {
      const char* v = value_of(i);
      if (v == nullptr) return 2;
      if (*v == '\0') return bad("--db", "a file name", v);
      a.db_path = v;
    } else if (std::strcmp(arg, "--retention") == 0) {
      const char* v = value_of(i);
      if (v == nullptr) return 2;
      const auto n = parse_number<std::size_t>(v);
      if (!n) return bad("--retention", "a number of traces", v);
      a.retention = *n;
    } else if (std::strcmp(arg, "--max-body") == 0) {
      const char* v = value_of(i);
      if (v == nullptr) return 2;
      const auto n = parse_number<std::size_t>(v);
      if (!n || *n == 0 || *n > (std::size_t{1} << 32)) return bad("--max-body", "bytes, 1 to 4 GiB", v);
      a.max_body = *n;
    } else if (std::strcmp(arg, "--quiet-after") == 0 || std::strcmp(arg, "--head-timeout") == 0) {
      const char* v = value_of(i);
      if (v == nullptr) return 2;
      const auto d = parse_duration(v);
      if (!d || *d < 1ms) return bad(arg, "a duration of at least 1ms", v);
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*d);
      (std::strcmp(arg, "--quiet-after") == 0 ? a.quiet_after : a.head_timeout) = ms;
    } else if (std::strcmp(arg, "--quiet") == 0) {
      a.quiet = true;
    } else if (std::strcmp(arg, "--ascii") == 0) {
      a.ascii = true;
    } else if (arg[0] == '-') {
      std::fprintf(stderr, "ctxflow serve: unknown option '%s' (see `ctxflow serve --help`)\n", arg);
      return 2;
    } else {
      std::fprintf(stderr, "ctxflow serve: unexpected argument '%s' (see `ctxflow serve --help`)\n",
                   arg);
      return 2;
    }
  }
  return std::nullopt;
}

int run_serve(int argc, char** argv) {
  serve_args a;
  if (const auto code = parse_serve_args(argc, argv, a)) return *code;

  viewer::store_options so;
  so.path = a.db_path;
  so.max_traces = a.retention;
  std::string error;
  // The store reports its own failure too; the message here names the command.
  const auto previous = set_diagnostics_handler([](const diagnostic& d) {
    if (d.level < severity::warning || d.code == "viewer.store.open_failed") return;
    std::fprintf(stderr, "ctxflow serve: %.*s: %.*s\n", static_cast<int>(d.code.size()),
                 d.code.data(), static_cast<int>(d.message.size()), d.message.data());
  });
  std::unique_ptr<viewer::trace_store> store = viewer::trace_store::open(so, error);
  if (!store) {
    std::fprintf(stderr, "ctxflow serve: cannot open the trace store: %s\n", error.c_str());
    set_diagnostics_handler(previous);
    return 1;
  }

  signal_watch signals;
  serve_state st;
  st.store = store.get();
  st.limits.max_body_bytes = a.max_body;
  st.page = viewer::render_html_app();
  st.limits.decode.max_message_bytes = a.max_body;

  net::io_context io{2};
  auto work = net::make_work_guard(io);
  http::server_options options;
  options.address = a.address;
  options.port = a.port;
  options.tracer = trace::tracer{};  // a no-op: the receiver does not trace itself
  options.max_body_bytes = a.max_body;
  options.head_timeout = a.head_timeout;
  options.drain_timeout = 5s;
  std::optional<http::http_server> server;
  CTXFLOW_TRY {
    server.emplace(io.get_executor(),
                   [state = &st](http::request req) { return handle(state, std::move(req)); },
                   std::move(options));
  }
  CTXFLOW_CATCH_ALL {
    // Boost's message ends with the source location of the failing call: keep the reason.
    std::string reason = current_exception_message();
    reason = reason.substr(0, reason.find(" [system:"));
    std::fprintf(stderr, "ctxflow serve: cannot listen on %s:%u: %s\n", a.address.c_str(),
                 static_cast<unsigned>(a.port), reason.c_str());
    set_diagnostics_handler(previous);
    return 1;
  }
  const bool host_is_v6 = a.address.find(':') != std::string::npos;
  std::printf("listening on http://%s%s%s:%u\n", host_is_v6 ? "[" : "", a.address.c_str(),
              host_is_v6 ? "]" : "", static_cast<unsigned>(server->port()));
  std::fflush(stdout);

  std::optional<waterfall_printer> printer;
  if (!a.quiet) {
    printer.emplace(*store, a.quiet_after, a.ascii || !stdout_is_terminal());
    st.printer = &*printer;
  }
  server->start();
  std::thread io_threads[2];
  for (auto& t : io_threads) t = std::thread([&io] { io.run(); });

  while (!signals.wait_for(1h)) {
  }
  std::fprintf(stderr, "ctxflow serve: %s, stopping\n", signal_name(signals.signal()));
  server->shutdown();
  if (!server->wait_for_shutdown(6s)) {
    server->stop();
    (void)server->wait_for_shutdown(1s);
  }
  work.reset();
  io.stop();
  for (auto& t : io_threads)
    if (t.joinable()) t.join();
  server.reset();
  if (printer) printer->stop(true);
  std::fflush(stdout);
  set_diagnostics_handler(previous);
  return 0;
}

}  // namespace ctxflow::cli
