// SPDX-License-Identifier: Apache-2.0
// `ctxflow demo`: an asynchronous order pipeline that crosses every boundary ctxflow carries the
// context over (demo_workload.cpp, with the payment service and queue of demo_services.cpp),
// writes every span of every process as OTLP JSON lines to one file, also exports them as
// OTEL_TRACES_EXPORTER says, then reads the file back, prints the trace as a waterfall and checks
// that every span in it is in one trace under the right parent (demo_verify.cpp).
// SIGINT/SIGTERM stop it early: the payment service stops gracefully, the spans are flushed and
// the exit status is 128 + the signal number.
#include "tools/ctxflow/demo.hpp"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "ctxflow/config.hpp"
#include "ctxflow/coro/event_loop.hpp"
#include "ctxflow/exec/jthread.hpp"
#include "ctxflow/exec/thread_pool.hpp"
#include "ctxflow/exporters/jsonl_exporter.hpp"
#include "ctxflow/sdk/init.hpp"
#include "ctxflow/trace/provider.hpp"
#include "tools/ctxflow/demo_export.hpp"
#include "tools/ctxflow/demo_services.hpp"
#include "tools/ctxflow/demo_verify.hpp"
#include "tools/ctxflow/demo_workload.hpp"
#include "tools/ctxflow/otlp_json_reader.hpp"

namespace ctxflow::tools {
namespace {

using namespace std::chrono_literals;

#if CTXFLOW_DEMO_WITH_ASIO
constexpr bool with_services = true;  // the payment service and the queue
#else
constexpr bool with_services = false;
#endif

struct demo_args {
  std::string out_path = "ctxflow-demo.jsonl";
  exporters::render_options render;
  std::chrono::milliseconds hold{0};
#if CTXFLOW_DEMO_WITH_ASIO
  queue_choice queue;
#endif
};

/// Parses the options; returns an exit code when the demo must not run.
std::optional<int> parse_args(int argc, char** argv, demo_args& a) {
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
      a.out_path = argv[++i];
    } else if (std::strcmp(argv[i], "--ascii") == 0) {
      a.render.ascii = true;
    } else if (std::strcmp(argv[i], "--hold") == 0 && i + 1 < argc) {
      // Keeps the payment service up for MS milliseconds after the order, so that a signal
      // can be sent to a running service (used by the tests).
      const std::string_view v(argv[++i]);
      unsigned ms = 0;
      const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), ms);
      if (ec != std::errc{} || end != v.data() + v.size()) {
        std::fprintf(stderr, "ctxflow demo: --hold wants milliseconds, got '%s'\n", argv[i]);
        return 2;
      }
      a.hold = std::chrono::milliseconds(ms);
    } else if (std::strcmp(argv[i], "--redis") == 0 && i + 1 < argc) {
#if CTXFLOW_DEMO_WITH_ASIO
      const auto choice = parse_redis(argv[++i]);
      if (!choice) {
        std::fprintf(stderr, "ctxflow demo: --redis wants HOST:PORT, got '%s'\n", argv[i]);
        return 2;
      }
      a.queue = *choice;
#else
      std::fprintf(stderr, "ctxflow demo: --redis needs a build with CTXFLOW_WITH_ASIO=ON\n");
      return 2;
#endif
    } else {
      std::fprintf(stderr, "ctxflow demo: unknown option '%s' (see `ctxflow --help`)\n", argv[i]);
      return 2;
    }
  }
  return std::nullopt;
}

// The write end of the signal pipe, for the handler (set before the handler is installed).
std::atomic<int> signal_pipe_fd{-1};

extern "C" void on_stop_signal(int sig) {
  const int saved = errno;
  const unsigned char b = static_cast<unsigned char>(sig);
  const int fd = signal_pipe_fd.load();
  if (fd >= 0) (void)!::write(fd, &b, 1);
  errno = saved;
}

/// Turns SIGINT and SIGTERM into a request to stop: the handler writes the signal number into a
/// pipe, a watcher thread sets the flag, runs the callback and wakes wait_for(). The handlers
/// are one-shot: a second signal ends the program at once. Child processes start with the
/// default dispositions (exec resets handled signals).
class signal_watch {
 public:
  signal_watch() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
      std::fprintf(stderr, "ctxflow demo: cannot watch for signals: %s\n", std::strerror(errno));
      return;
    }
    read_fd_ = fds[0];
    write_fd_ = fds[1];
    signal_pipe_fd = write_fd_;
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND | SA_RESTART;
    ::sigaction(SIGINT, &sa, &old_int_);
    ::sigaction(SIGTERM, &sa, &old_term_);
    watcher_ = std::thread([this] { watch(); });
  }

  ~signal_watch() {
    if (read_fd_ < 0) return;
    ::sigaction(SIGINT, &old_int_, nullptr);
    ::sigaction(SIGTERM, &old_term_, nullptr);
    const unsigned char quit = 0;
    (void)!::write(write_fd_, &quit, 1);
    watcher_.join();
    signal_pipe_fd = -1;
    // The pipe stays open (close-on-exec) until the process ends: a handler that read the
    // descriptor just before it was cleared must not write into a reused one.
  }
  signal_watch(const signal_watch&) = delete;
  signal_watch& operator=(const signal_watch&) = delete;

  /// Runs `f` on the watcher thread when a signal arrives (right away if one already has).
  void on_signal(std::function<void()> f) {
    std::unique_lock lock(mu_);
    if (signal_ != 0) {
      lock.unlock();
      f();
      return;
    }
    callback_ = std::move(f);
  }
  /// Forgets the callback (before what it refers to goes away); waits for it when running.
  void clear_callback() {
    std::lock_guard lock(mu_);
    callback_ = nullptr;
  }
  /// Waits up to `limit` for a signal; true when one arrived.
  bool wait_for(std::chrono::milliseconds limit) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, limit, [&] { return signal_ != 0; });
  }
  int signal() const {
    std::lock_guard lock(mu_);
    return signal_;
  }
  const std::atomic<bool>& interrupted() const { return interrupted_; }

 private:
  void watch() {
    unsigned char b = 0;
    while (true) {
      const ssize_t n = ::read(read_fd_, &b, 1);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0 || b == 0) return;
      {
        // The callback runs under the lock, so clear_callback() waits for a running one.
        std::lock_guard lock(mu_);
        if (signal_ == 0) signal_ = b;
        interrupted_ = true;
        if (callback_) callback_();
        callback_ = nullptr;
      }
      cv_.notify_all();
    }
  }

  int read_fd_ = -1;
  int write_fd_ = -1;
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
  std::thread watcher_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int signal_ = 0;                  // guarded by mu_
  std::function<void()> callback_;  // guarded by mu_
  std::atomic<bool> interrupted_{false};
};

/// A fresh file next to `out` for the child's JSON lines.
std::string child_spans_file(const std::string& out) {
  std::string templ = out + ".child-XXXXXX";
  const int fd = ::mkstemp(templ.data());
  if (fd < 0) return out + ".child";
  ::close(fd);
  return templ;
}

/// Appends the complete lines of `from` to `to`; returns how many, or -1 when `to` failed.
long append_lines(const std::string& from, const std::string& to) {
  std::ifstream in(from, std::ios::binary);
  std::stringstream all;
  all << in.rdbuf();
  std::string text = all.str();
  text.resize(text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1);  // whole lines
  long lines = 0;
  for (char c : text) lines += c == '\n';
  if (text.empty()) return 0;
  std::ofstream out(to, std::ios::binary | std::ios::app);
  out << text;
  out.flush();
  return out ? lines : -1;
}

const char* signal_name(int sig) {
  switch (sig) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    default: return "a signal";
  }
}

}  // namespace

int run_demo(int argc, char** argv) {
  demo_args a;
  if (auto code = parse_args(argc, argv, a)) return *code;

  const std::vector<std::string> names = exporter_names_from_environment();
  auto file = std::make_shared<exporters::jsonl_exporter>(a.out_path, false);
  if (!file->is_open()) {
    std::fprintf(stderr, "ctxflow demo: cannot write %s\n", a.out_path.c_str());
    return 1;
  }
  signal_watch signals;
  // This process is the root of the trace: nothing is continued from TRACEPARENT.
  auto tally = std::make_shared<export_tally>();
  auto guard = sdk::init(demo_init_options("order-service", demo_exporters(file, names, tally), false));
  demo_tracer() = trace::get_tracer("ctxflow.demo", CTXFLOW_VERSION_STRING);

  exec::thread_pool pool(2);
  pipeline p(pool);
  p.self_exe = self_executable();
  p.child_spans_path = child_spans_file(a.out_path);
  p.interrupted = &signals.interrupted();

#if CTXFLOW_DEMO_WITH_ASIO
  std::printf("ctxflow %s demo: an order pipeline across tasks, threads, a process, an HTTP call "
              "and a message through %s\n",
              CTXFLOW_VERSION_STRING, a.queue.redis() ? "Redis Streams" : "the in-process queue");
#else
  std::printf("ctxflow %s demo: an order pipeline across tasks, threads and a process\n",
              CTXFLOW_VERSION_STRING);
#endif
  if (!names.empty())
    std::printf("exporting through OTEL_TRACES_EXPORTER=%s as well as to %s\n",
                joined(names).c_str(), a.out_path.c_str());
  std::printf("\n");
  std::fflush(stdout);

  bool notified = false;
  bool drained = true;
  {
#if CTXFLOW_DEMO_WITH_ASIO
    std::optional<service_hops> hops;
    try {
      hops.emplace(a.queue, demo_provider_options("payment-service",
                                                  demo_exporters(file, names, tally)));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "ctxflow demo: could not start the payment service: %s\n", e.what());
      std::remove(p.child_spans_path.c_str());
      return 1;
    }
    signals.on_signal([&hops] { hops->give_up = true; });
    hops->subscribe();
    p.hops = &*hops;
    // Started with no span current; joined (also on an early exit) before `hops` goes.
    ctxflow::jthread notifier([&] { notified = notify_until_one(*hops, 10s); });
#endif

    coro::run([](pipeline& q) -> coro::task<> {
      q.loop = coro::event_loop::current();
      co_await place_order(q);
    }(p));

#if CTXFLOW_DEMO_WITH_ASIO
    if (!p.payment_ok) hops->give_up = true;
    notifier.join();
#endif
    if (a.hold.count() > 0 && !signals.interrupted().load()) {
      std::printf("holding for %lld ms; SIGINT or SIGTERM stops the demo\n",
                  static_cast<long long>(a.hold.count()));
      std::fflush(stdout);
      (void)signals.wait_for(a.hold);
    }
#if CTXFLOW_DEMO_WITH_ASIO
    signals.clear_callback();
    drained = hops->stop(3s);  // graceful: open connections finish, then the spans are flushed
#endif
  }
  const int sig = signals.signal();

  // Every process has ended its spans: flush this one's, close the file, add the child's.
  (void)guard.shutdown();
  (void)file->shutdown(2s);
  const long child_lines = append_lines(p.child_spans_path, a.out_path);
  std::size_t child_spans = 0;
  if (child_lines > 0) child_spans = read_otlp_json_file(p.child_spans_path).spans.size();
  std::remove(p.child_spans_path.c_str());

  // What is verified is what the file holds.
  span_file written = read_otlp_json_file(a.out_path);
  for (const std::string& problem : written.problems)
    std::fprintf(stderr, "ctxflow demo: %s\n", problem.c_str());
  if (!drained)
    std::fprintf(stderr, "ctxflow demo: the payment service still had open connections after "
                         "3 s; they were closed\n");

  if (sig != 0) {
    // The spans of a run cut short are kept, not judged: the order may be incomplete.
    std::fprintf(stderr, "ctxflow demo: stopped by %s: %s%zu spans were flushed to %s; the trace was "
                         "not verified\n",
                 signal_name(sig),
                 with_services ? "the payment service was shut down, " : "",
                 written.spans.size(), a.out_path.c_str());
    return 128 + sig;
  }

  bool ok = true;
  if (child_lines < 0) {
    std::fprintf(stderr, "ctxflow demo: could not add the child's spans to %s\n", a.out_path.c_str());
    ok = false;
  }
  if (!p.child_ok) std::fprintf(stderr, "ctxflow demo: the child process did not finish cleanly\n");
#if CTXFLOW_DEMO_WITH_ASIO
  if (!p.payment_ok) std::fprintf(stderr, "ctxflow demo: the payment service did not accept\n");
  if (!notified) std::fprintf(stderr, "ctxflow demo: no payment announcement was processed\n");
#else
  (void)notified;
#endif

  const std::size_t total = written.spans.size();
  const verification v = verify_trace(std::move(written.spans), a.render, with_services);
  for (const std::string& f : v.failures) std::printf("FAILED: %s\n", f.c_str());
  if (v.passed())
    std::printf("verified: %zu spans, all in trace %s, every span under the right parent "
                "(%zu checks)\n",
                v.spans, v.trace_id.c_str(), v.checks);
  ok = ok && v.passed() && written.problems.empty();
  std::printf("%zu spans written as OTLP JSON lines to %s\n", total, a.out_path.c_str());

  if (!names.empty()) {
    // Each named exporter of this process should have taken each of its spans once.
    const std::uint64_t own = total - child_spans;
    const bool exported = tally->failed.load() == 0 && tally->unavailable.load() == 0 &&
                          tally->exported.load() == own * names.size() && !p.child_export_failed &&
                          p.child_ok;
    if (exported) {
      std::printf("exported through OTEL_TRACES_EXPORTER=%s as well: %llu spans from this process, "
                  "%zu from the child process\n",
                  joined(names).c_str(), static_cast<unsigned long long>(own), child_spans);
    } else {
      std::fprintf(stderr,
                   "ctxflow demo: OTEL_TRACES_EXPORTER=%s: %llu of this process's %llu span "
                   "exports succeeded, %llu failed%s\n",
                   joined(names).c_str(), static_cast<unsigned long long>(tally->exported.load()),
                   static_cast<unsigned long long>(own * names.size()),
                   static_cast<unsigned long long>(tally->failed.load()),
                   p.child_export_failed ? "; the child process's export failed too" : "");
      ok = false;
    }
  }
  return ok ? 0 : 1;
}

}  // namespace ctxflow::tools
