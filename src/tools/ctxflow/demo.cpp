// SPDX-License-Identifier: Apache-2.0
// `ctxflow demo`: an asynchronous order pipeline that crosses every boundary ctxflow carries the
// context over (a directly awaited coroutine that migrates threads, spawned tasks under when_all,
// a pool hop, to_thread, a thread, a child process), prints the trace as a waterfall, writes the
// spans as OTLP JSON lines, and checks that every span is in one trace under the right parent.
#include "tools/ctxflow/demo.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "ctxflow/config.hpp"
#include "ctxflow/coro/event_loop.hpp"
#include "ctxflow/coro/schedule_on.hpp"
#include "ctxflow/coro/sleep.hpp"
#include "ctxflow/coro/spawn.hpp"
#include "ctxflow/coro/to_thread.hpp"
#include "ctxflow/coro/when_all.hpp"
#include "ctxflow/exec/jthread.hpp"
#include "ctxflow/exec/thread_pool.hpp"
#include "ctxflow/exporters/in_memory_exporter.hpp"
#include "ctxflow/exporters/jsonl_exporter.hpp"
#include "ctxflow/propagation/process.hpp"
#include "ctxflow/sdk/init.hpp"
#include "ctxflow/testing/trace_tree.hpp"
#include "ctxflow/trace/provider.hpp"
#include "ctxflow/trace/tracer.hpp"

namespace ctxflow::tools {
namespace {

using coro::task;
using namespace std::chrono_literals;

trace::tracer& demo_tracer() {
  static trace::tracer t;
  return t;
}

trace::start_options of_kind(trace::span_kind kind) {
  trace::start_options options;
  options.kind = kind;
  return options;
}

struct pipeline {
  exec::thread_pool& pool;
  coro::event_loop& loop;
  std::string self_exe;
  std::string child_spans_path;
  bool child_ok = false;
};

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
  co_await coro::schedule_on(p.loop);
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
  co_await coro::schedule_on(p.loop);

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

  {
    auto spawn = demo_tracer().start_as_current_span("receipt.spawn",
                                                     of_kind(trace::span_kind::client));
    std::vector<std::string> args{"demo-child", p.child_spans_path};
    auto child = propagation::spawn_process(p.self_exe, args);  // TRACEPARENT from this span
    p.child_ok = child && child.process.wait().success();
    if (!p.child_ok) spawn->set_status(trace::status_code::error, "receipt printer failed");
  }
}

std::string self_executable() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string("ctxflow");
}

std::string hex_of(const auto& id) {
  auto h = id.to_hex();
  return std::string(h.data(), h.size());
}

/// The child reports its spans to the parent in a small line format (name, ids, times).
void write_child_spans(const std::string& path, const std::vector<sdk::span_data>& spans) {
  std::ofstream out(path, std::ios::trunc);
  for (const auto& s : spans)
    out << s.name << '\t' << hex_of(s.context.trace) << '\t' << hex_of(s.context.span) << '\t'
        << hex_of(s.parent_span_id) << '\t' << s.start_time_unix_nano << '\t'
        << s.end_time_unix_nano << '\n';
}

std::vector<sdk::span_data> read_child_spans(const std::string& path) {
  std::vector<sdk::span_data> spans;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    sdk::span_data s;
    std::string trace_hex, span_hex, parent_hex;
    if (!std::getline(fields, s.name, '\t') || !std::getline(fields, trace_hex, '\t') ||
        !std::getline(fields, span_hex, '\t') || !std::getline(fields, parent_hex, '\t') ||
        !(fields >> s.start_time_unix_nano >> s.end_time_unix_nano))
      continue;
    s.context.trace = trace::trace_id::from_hex(trace_hex);
    s.context.span = trace::span_id::from_hex(span_hex);
    s.parent_span_id = trace::span_id::from_hex(parent_hex);
    s.parent_is_remote = true;
    spans.push_back(std::move(s));
  }
  return spans;
}

struct expectation {
  const char* child;
  const char* parent;
};

}  // namespace

int run_demo_child(int argc, char** argv) {
  if (argc < 1) return 2;
  auto store = std::make_shared<exporters::in_memory_store>();
  sdk::init_options options;
  options.service_name = "receipt-printer";
  options.simple = true;
  options.exporters.push_back(std::make_unique<exporters::in_memory_exporter>(store));
  auto guard = sdk::init(std::move(options));  // continues TRACEPARENT from the environment
  {
    auto print = trace::get_tracer("ctxflow.demo.child").start_as_current_span("receipt.print");
    print->set_attribute("process.pid", static_cast<std::int64_t>(::getpid()));
    std::this_thread::sleep_for(2ms);
  }
  guard.force_flush();
  write_child_spans(argv[0], store->spans());
  return 0;
}

int run_demo(int argc, char** argv) {
  std::string out_path = "ctxflow-demo.jsonl";
  exporters::render_options render;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
      out_path = argv[++i];
    } else if (std::strcmp(argv[i], "--ascii") == 0) {
      render.ascii = true;
    } else {
      std::fprintf(stderr, "ctxflow demo: unknown option '%s'\n", argv[i]);
      return 2;
    }
  }

  auto store = std::make_shared<exporters::in_memory_store>();
  sdk::init_options options;
  options.service_name = "order-service";
  options.exporters.push_back(std::make_unique<exporters::in_memory_exporter>(store));
  options.exporters.push_back(std::make_unique<exporters::jsonl_exporter>(out_path, false));
  auto guard = sdk::init(std::move(options));
  demo_tracer() = trace::get_tracer("ctxflow.demo", CTXFLOW_VERSION_STRING);

  std::printf("ctxflow %s demo: an order pipeline across tasks, threads and a process\n\n",
              CTXFLOW_VERSION_STRING);
  exec::thread_pool pool(2);
  const std::string child_path = out_path + ".child";
  bool child_ok = false;
  coro::run([](exec::thread_pool& workers, std::string child_out, bool& ok) -> task<> {
    pipeline p{workers, *coro::event_loop::current(), self_executable(), std::move(child_out)};
    co_await place_order(p);
    ok = p.child_ok;
  }(pool, child_path, child_ok));
  if (!child_ok) std::fprintf(stderr, "ctxflow demo: the child process did not finish cleanly\n");
  guard.force_flush();

  std::vector<sdk::span_data> spans = store->spans();
  for (auto& s : read_child_spans(child_path)) spans.push_back(std::move(s));
  std::remove(child_path.c_str());
  testing::trace_tree tree(std::move(spans));

  std::printf("%s\n", tree.waterfall(render).c_str());

  const expectation parents[] = {
      {"order.validate", "order.place"},  {"inventory.lookup", "order.validate"},
      {"stock.reserve", "order.place"},   {"db.query", "stock.reserve"},
      {"price.compute", "order.place"},   {"fraud.score", "order.place"},
      {"audit.write", "order.place"},     {"receipt.spawn", "order.place"},
      {"receipt.print", "receipt.spawn"},
  };
  std::vector<testing::check_result> checks{tree.all_in_one_trace(), tree.no_orphans(),
                                            tree.count_is("stock.reserve", 3),
                                            tree.count_is("db.query", 3)};
  for (const auto& e : parents) checks.push_back(tree.child_of(e.child, e.parent));

  int failed = 0;
  for (const auto& c : checks) {
    if (!c.passed) {
      ++failed;
      std::printf("FAILED: %s\n", c.message.c_str());
    }
  }
  const auto ids = tree.trace_ids();
  if (failed == 0 && !ids.empty()) {
    std::printf("verified: %zu spans, all in trace %s, every span under the right parent "
                "(%zu checks)\n",
                tree.size(), hex_of(ids.front()).c_str(), checks.size());
  }
  std::printf("spans written as OTLP JSON lines to %s\n", out_path.c_str());
  return failed == 0 ? 0 : 1;
}

}  // namespace ctxflow::tools
