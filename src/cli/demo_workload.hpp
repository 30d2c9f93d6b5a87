// SPDX-License-Identifier: Apache-2.0
// Private: the demo's workload, the order pipeline of `order-service`, and the child process
// that prints the receipt.
#pragma once

#include <atomic>
#include <string>

#include "ctxflow/coro/event_loop.hpp"
#include "ctxflow/coro/task.hpp"
#include "ctxflow/exec/thread_pool.hpp"
#include "ctxflow/trace/tracer.hpp"

namespace ctxflow::cli {

class payment_services;  // the HTTP and queue hops (demo_services.hpp)

/// The order service's tracer (set once the SDK is installed).
trace::tracer& demo_tracer();

trace::start_options of_kind(trace::span_kind kind);

/// Exit codes of `ctxflow demo-child`.
inline constexpr int child_exit_ok = 0;
/// The spans are in the file, but an exporter OTEL_TRACES_EXPORTER names refused some.
inline constexpr int child_exit_export_failed = 3;

/// What the order pipeline needs and what it found.
struct pipeline {
  explicit pipeline(exec::thread_pool& workers) : pool(workers) {}
  exec::thread_pool& pool;
  coro::event_loop* loop = nullptr;  // the loop place_order runs on
  std::string self_exe;
  std::string child_spans_path;  // the child writes its JSON lines here
  payment_services* services = nullptr;  // none in a build without them
  const std::atomic<bool>* interrupted = nullptr;  // a signal asked the demo to stop
  bool child_ran = false;
  bool child_ok = false;
  bool child_export_failed = false;
  bool payment_ok = false;
};

/// The order: validation, stock, price, payment (when there are `services`), fraud score,
/// audit, and the receipt printed by a child process.
coro::task<> place_order(pipeline& p);

/// This program's path, for starting it again as the child.
std::string self_executable();

}  // namespace ctxflow::cli
