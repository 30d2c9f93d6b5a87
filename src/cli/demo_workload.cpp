// SPDX-License-Identifier: Apache-2.0
// The order pipeline of `ctxflow demo`: a directly awaited coroutine that migrates threads,
// spawned tasks under when_all, a pool hop, to_thread, a thread, an HTTP call (with the Asio
// integration) and a child process, which continues the trace and exports its own spans.
#include "cli/demo_workload.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "ctxflow/coro/schedule_on.hpp"
#include "ctxflow/coro/sleep.hpp"
#include "ctxflow/coro/to_thread.hpp"
#include "ctxflow/coro/when_all.hpp"
#include "ctxflow/exec/jthread.hpp"
#include "ctxflow/exporters/otlp/jsonl_exporter.hpp"
#include "ctxflow/propagation/process.hpp"
#include "ctxflow/sdk/init.hpp"
#include "ctxflow/trace/provider.hpp"
#include "cli/demo.hpp"
#include "cli/demo_export.hpp"
#include "cli/demo_services.hpp"

namespace ctxflow::cli {
namespace {

using coro::task;
using namespace std::chrono_literals;

task<> query_database(int item) {
  auto s = demo_tracer().start_as_current_span("db.query", of_kind(trace::span_kind::client));
  s->set_attribute("db.system.name", "demo-kv");
  s->set_attribute("order.item", item);
  co_await coro::sleep_for(std::chrono::milliseconds(1 + item));
}

task<> reserve_stock(int item, pipeline& p) {
  auto s = demo_tracer().start_as_current_span("stock.reserve");
  s->set_attribute("order.item", item);
  co_await coro::sleep_for(std::chrono::milliseconds(3 - item));  // the three interleave
  co_await coro::schedule_on(p.pool);                             // and migrate
  co_await query_database(item);                                  // awaited directly
}

/// Awaited directly by the order: part of the order's task, but it hops threads.
task<> validate(pipeline& p) {
  auto s = demo_tracer().start_as_current_span("order.validate");
  co_await coro::schedule_on(p.pool);
  {
    auto lookup = demo_tracer().start_as_current_span("inventory.lookup");
    std::this_thread::sleep_for(1ms);
  }
  co_await coro::schedule_on(*p.loop);
}

/// Starts this program as `demo-child FILE` under a CLIENT span; the child continues the trace
/// from TRACEPARENT, writes its spans to FILE and exports them as OTEL_TRACES_EXPORTER says.
void print_receipt(pipeline& p) {
  auto spawn = demo_tracer().start_as_current_span("receipt.spawn",
                                                   of_kind(trace::span_kind::client));
  std::vector<std::string> args{"demo-child", p.child_spans_path};
  auto child = propagation::spawn_process(p.self_exe, args);  // TRACEPARENT from this span
  if (!child) {
    spawn->set_status(trace::status_code::error, "the receipt printer did not start");
    return;
  }
  p.child_ran = true;
  const propagation::exit_status st = child.process.wait();
  p.child_export_failed = st.exited && st.code == child_exit_export_failed;
  p.child_ok = st.success() || p.child_export_failed;
  if (!p.child_ok) spawn->set_status(trace::status_code::error, "the receipt printer failed");
}

}  // namespace

trace::tracer& demo_tracer() {
  static trace::tracer t;
  return t;
}

trace::start_options of_kind(trace::span_kind kind) {
  trace::start_options options;
  options.kind = kind;
  return options;
}

task<> place_order(pipeline& p) {
  auto order = demo_tracer().start_as_current_span("order.place",
                                                   of_kind(trace::span_kind::server));
  order->set_attribute("order.id", "A-1001");

  co_await validate(p);

  std::vector<task<void>> items;
  for (int i = 0; i < 3; ++i) items.push_back(reserve_stock(i, p));
  co_await coro::when_all(std::move(items));

  co_await coro::schedule_on(p.pool);
  {
    auto price = demo_tracer().start_as_current_span("price.compute");
    price->set_attribute("order.total", 129.5);
  }
  co_await coro::schedule_on(*p.loop);

  if (p.services != nullptr) p.payment_ok = co_await p.services->charge_payment();

  co_await coro::to_thread([] {
    auto fraud = demo_tracer().start_as_current_span("fraud.score");
    std::this_thread::sleep_for(2ms);
  });

  {
    ctxflow::jthread audit([] {
      auto s = demo_tracer().start_as_current_span("audit.write");
      std::this_thread::sleep_for(1ms);
    });
  }

  // After a signal no new process is started.
  if (p.interrupted == nullptr || !p.interrupted->load()) print_receipt(p);
}

std::string self_executable() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string("ctxflow");
}

int run_demo_child(int argc, char** argv) {
  if (argc < 1) {
    std::fprintf(stderr, "usage: ctxflow demo-child FILE\n");
    return 2;
  }
  // The same destinations as the parent: the JSON-lines file it named, plus the exporters of
  // OTEL_TRACES_EXPORTER (this process inherited the parent's environment).
  auto file = std::make_shared<exporters::otlp::jsonl_exporter>(argv[0], false);
  if (!file->is_open()) {
    std::fprintf(stderr, "ctxflow demo-child: cannot write %s\n", argv[0]);
    return 1;
  }
  auto tally = std::make_shared<export_tally>();
  auto guard = sdk::init(demo_init_options("receipt-printer",
                                           demo_exporters(file, exporter_names_from_environment(false), tally),
                                           true));  // continues TRACEPARENT from the environment
  {
    auto print = trace::get_tracer("ctxflow.demo.child").start_as_current_span("receipt.print");
    print->set_attribute("process.pid", static_cast<std::int64_t>(::getpid()));
    std::this_thread::sleep_for(2ms);
  }
  const bool flushed = guard.shutdown();
  const bool closed = file->shutdown(std::chrono::milliseconds(2000));
  if (!closed) {
    std::fprintf(stderr, "ctxflow demo-child: could not finish writing %s\n", argv[0]);
    return 1;
  }
  if (!flushed || tally->failed.load() != 0 || tally->unavailable.load() != 0) {
    std::fprintf(stderr, "ctxflow demo-child: %llu span(s) could not be exported through "
                         "OTEL_TRACES_EXPORTER\n",
                 static_cast<unsigned long long>(tally->failed.load()));
    return child_exit_export_failed;
  }
  return child_exit_ok;
}

}  // namespace ctxflow::cli
