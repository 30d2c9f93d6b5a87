// SPDX-License-Identifier: Apache-2.0
// context_tour: a request id set once follows the work through spawned tasks, a directly awaited
// coroutine, a thread-pool hop, to_thread, ctxflow::jthread and a raw std::thread (which starts
// empty, by design). Exits non-zero if any boundary loses or leaks the value.
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "ctxflow/context/context_var.hpp"
#include "ctxflow/coro/event_loop.hpp"
#include "ctxflow/coro/schedule_on.hpp"
#include "ctxflow/coro/sleep.hpp"
#include "ctxflow/coro/spawn.hpp"
#include "ctxflow/coro/to_thread.hpp"
#include "ctxflow/coro/when_all.hpp"
#include "ctxflow/exec/jthread.hpp"
#include "ctxflow/exec/thread_pool.hpp"

namespace {

using ctxflow::coro::task;
using namespace std::chrono_literals;

ctxflow::context_var<std::string> request_id{"request_id", "<none>"};
int failures = 0;

void expect(const char* boundary, const std::string& expected) {
  const std::string& seen = request_id.get();
  const bool ok = seen == expected;
  failures += ok ? 0 : 1;
  std::printf("  %-44s request_id=%-12s %s\n", boundary, seen.c_str(), ok ? "ok" : "WRONG");
}

task<> handle_item(int item, ctxflow::exec::thread_pool& pool) {
  // Each spawned item refines the id; siblings and the parent never see it.
  const std::string mine = request_id.get() + "/" + std::to_string(item);
  auto token = request_id.set(mine);
  co_await ctxflow::coro::sleep_for(std::chrono::milliseconds(3 - item));  // interleave
  expect(("item " + std::to_string(item) + " after sleep (interleaved)").c_str(), mine);
  co_await ctxflow::coro::schedule_on(pool);
  expect(("item " + std::to_string(item) + " resumed on a pool thread").c_str(), mine);
  (void)request_id.reset(std::move(token));
}

task<> validate() {  // awaited directly: part of the caller's task
  expect("directly awaited coroutine", "req-42");
  co_return;
}

task<> serve_request(ctxflow::exec::thread_pool& pool) {
  auto token = request_id.set("req-42");
  expect("request handler", "req-42");
  co_await validate();

  // Spawned tasks start from a snapshot; their own changes stay inside them.
  std::vector<task<void>> items;
  for (int i = 0; i < 3; ++i) items.push_back(handle_item(i, pool));
  co_await ctxflow::coro::when_all(std::move(items));
  expect("after when_all (children changed nothing)", "req-42");

  const std::string from_thread = co_await ctxflow::coro::to_thread([] {
    expect("to_thread on the default pool", "req-42");
    return request_id.get();
  });
  (void)from_thread;

  {
    ctxflow::jthread t([] { expect("ctxflow::jthread", "req-42"); });
  }
  std::thread([] { expect("raw std::thread (starts empty)", "<none>"); }).join();

  (void)request_id.reset(std::move(token));
  expect("after reset", "<none>");
}

}  // namespace

int main() {
  std::printf("ctxflow context tour: one request id across every boundary\n");
  ctxflow::exec::thread_pool pool(2);
  ctxflow::coro::run(serve_request(pool));
  std::printf("%s: %d boundary check(s) failed\n", failures == 0 ? "PASS" : "FAIL", failures);
  return failures == 0 ? 0 : 1;
}
