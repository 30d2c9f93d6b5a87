// SPDX-License-Identifier: Apache-2.0
// `ctxflow demo`: an asynchronous order pipeline that crosses every boundary ctxflow carries the
// context over (demo_workload.cpp, with the payment service and queue of demo_services.cpp),
// writes every span of every process as OTLP JSON lines to one file, also exports them as
// OTEL_TRACES_EXPORTER says, then reads the file back, prints the trace as a waterfall and checks
// that every span in it is in one trace under the right parent (demo_verify.cpp).
// SIGINT/SIGTERM stop it early (demo_signals.cpp): the payment service stops gracefully, the
// spans are flushed and the exit status is 128 + the signal number. The options are parsed in
// demo_options.cpp. This file only puts the parts together.
#include "cli/demo.hpp"

#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "ctxflow/config.hpp"
#include "ctxflow/coro/event_loop.hpp"
#include "ctxflow/exec/jthread.hpp"
#include "ctxflow/exec/thread_pool.hpp"
#include "ctxflow/exporters/otlp/jsonl_exporter.hpp"
#include "ctxflow/macros.hpp"
#include "ctxflow/sdk/init.hpp"
#include "ctxflow/trace/provider.hpp"
#include "ctxflow/viewer/otlp_reader.hpp"
#include "cli/demo_export.hpp"
#include "cli/demo_options.hpp"
#include "cli/demo_services.hpp"
#include "cli/demo_signals.hpp"
#include "cli/demo_verify.hpp"
#include "cli/demo_workload.hpp"

namespace ctxflow::cli {
namespace {

using namespace std::chrono_literals;

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

}  // namespace

int run_demo(int argc, char** argv) {
  demo_args a;
  if (auto code = parse_demo_args(argc, argv, a)) return *code;

  const std::vector<std::string> names = exporter_names_from_environment();
  auto file = std::make_shared<exporters::otlp::jsonl_exporter>(a.out_path, false);
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

  const bool with_services = payment_services::built();
  if (with_services)
    std::printf("ctxflow %s demo: an order pipeline across tasks, threads, a process, an HTTP call "
                "and a message through %s\n",
                CTXFLOW_VERSION_STRING, a.queue.redis() ? "Redis Streams" : "the in-process queue");
  else
    std::printf("ctxflow %s demo: an order pipeline across tasks, threads and a process\n",
                CTXFLOW_VERSION_STRING);
  if (!names.empty())
    std::printf("exporting through OTEL_TRACES_EXPORTER=%s as well as to %s\n",
                joined(names).c_str(), a.out_path.c_str());
  std::printf("\n");
  std::fflush(stdout);

  bool notified = false;
  bool drained = true;
  {
    std::optional<payment_services> services;
    std::optional<ctxflow::jthread> notifier;  // declared after `services`: joined before it goes
    if (with_services) {
      CTXFLOW_TRY {
        services.emplace(a.queue, demo_provider_options("payment-service",
                                                        demo_exporters(file, names, tally)));
      } CTXFLOW_CATCH_ALL {
        std::fprintf(stderr, "ctxflow demo: could not start the payment service: %s\n",
                     ctxflow::current_exception_message());
        std::remove(p.child_spans_path.c_str());
        return 1;
      }
      signals.on_signal([&services] { services->give_up(); });
      services->subscribe();
      p.services = &*services;
      // Started with no span current.
      notifier.emplace([&] { notified = services->notify_until_one(10s); });
    }

    coro::run([](pipeline& q) -> coro::task<> {
      q.loop = coro::event_loop::current();
      co_await place_order(q);
    }(p));

    if (services) {
      if (!p.payment_ok) services->give_up();
      notifier->join();
    }
    if (a.hold.count() > 0 && !signals.interrupted().load()) {
      std::printf("holding for %lld ms; SIGINT or SIGTERM stops the demo\n",
                  static_cast<long long>(a.hold.count()));
      std::fflush(stdout);
      (void)signals.wait_for(a.hold);
    }
    if (services) {
      signals.clear_callback();
      drained = services->stop(3s);  // graceful: open connections finish, then the spans are flushed
    }
  }
  const int sig = signals.signal();

  // Every process has ended its spans: flush this one's, close the file, add the child's.
  (void)guard.shutdown();
  (void)file->shutdown(2s);
  const long child_lines = append_lines(p.child_spans_path, a.out_path);
  std::size_t child_spans = 0;
  if (child_lines > 0) child_spans = viewer::read_otlp_json_files({p.child_spans_path}).spans.size();
  std::remove(p.child_spans_path.c_str());

  // What is verified is what the file holds.
  viewer::read_result written = viewer::read_otlp_json_files({a.out_path});
  for (const viewer::read_problem& problem : written.problems)
    std::fprintf(stderr, "ctxflow demo: %s:%zu: %s\n", problem.source.c_str(), problem.line,
                 problem.message.c_str());
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
  if (with_services) {
    if (!p.payment_ok) std::fprintf(stderr, "ctxflow demo: the payment service did not accept\n");
    if (!notified) std::fprintf(stderr, "ctxflow demo: no payment announcement was processed\n");
  }

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

}  // namespace ctxflow::cli
