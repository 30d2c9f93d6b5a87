// SPDX-License-Identifier: Apache-2.0
// The propagation matrix of docs/design/context.md §1: for each boundary, a value set before
// it is (or, for a raw thread, is not) seen after it, and changes made after the boundary do
// not flow back (C6).
// The child-process, HTTP and queue rows live in tests/propagation and tests/integrations.
#include <gtest/gtest.h>

#include <functional>
#include <future>
#include <string>
#include <thread>

#include "ctxflow/context/context_var.hpp"
#include "ctxflow/coro/event_loop.hpp"
#include "ctxflow/coro/schedule_on.hpp"
#include "ctxflow/coro/sleep.hpp"
#include "ctxflow/coro/spawn.hpp"
#include "ctxflow/coro/sync_wait.hpp"
#include "ctxflow/coro/to_thread.hpp"
#include "ctxflow/coro/when_all.hpp"
#include "ctxflow/exec/context_executor.hpp"
#include "ctxflow/exec/jthread.hpp"
#include "ctxflow/exec/thread_pool.hpp"

namespace ctxflow {
namespace {

using coro::task;
using namespace std::chrono_literals;
context_var<std::string> request{"request", "none"};

/// One row: runs `probe` on the far side of the boundary (after the caller set the value) and
/// returns what the far side saw. The far side also sets its own value, to check isolation.
struct row {
  const char* boundary;
  std::function<std::string(std::function<std::string()> probe)> cross;
  const char* expected;
};

std::string far_side() {
  std::string seen = request.get();
  auto leaked = request.set("changed-on-the-far-side");  // never reset: must not flow back
  return seen;
}

exec::thread_pool& pool() {
  static exec::thread_pool p(2);
  return p;
}

const row rows[] = {
    {"spawn a task", [](auto probe) {
       return coro::sync_wait([](auto p) -> task<std::string> {
         co_return co_await coro::spawn(pool(), [](auto q) -> task<std::string> { co_return q(); }(p));
       }(probe));
     }, "before"},
    {"co_await a coroutine directly", [](auto probe) {
       return coro::sync_wait([](auto p) -> task<std::string> {
         co_return co_await [](auto q) -> task<std::string> { co_return q(); }(p);
       }(probe));
     }, "before"},
    {"suspension and interleaving on one thread", [](auto probe) {
       return coro::run([](auto p) -> task<std::string> {
         co_await coro::sleep_for(1ms);
         co_return p();
       }(probe));
     }, "before"},
    {"resumption on another thread", [](auto probe) {
       return coro::sync_wait([](auto p) -> task<std::string> {
         co_await coro::schedule_on(pool());
         co_return p();
       }(probe));
     }, "before"},
    {"thread pool post", [](auto probe) {
       std::promise<std::string> out;
       pool().post([&] { out.set_value(probe()); });
       return out.get_future().get();
     }, "before"},
    {"to_thread (run_in_executor)", [](auto probe) {
       return coro::run([](auto p) -> task<std::string> { co_return co_await coro::to_thread(p); }(probe));
     }, "before"},
    {"foreign executor wrapped by context_executor", [](auto probe) {
       std::string out;
       struct runner {
         void execute(exec::unique_function f) { std::thread(std::move(f)).join(); }
       };
       exec::context_executor ex{runner{}};
       ex.post([&] { out = probe(); });
       return out;
     }, "before"},
    {"ctxflow::jthread", [](auto probe) {
       std::string out;
       { ctxflow::jthread t([&] { out = probe(); }); }
       return out;
     }, "before"},
    {"new raw std::thread (documented: empty)", [](auto probe) {
       std::string out;
       std::thread([&] { out = probe(); }).join();
       return out;
     }, "none"},
};

class PropagationMatrix : public ::testing::TestWithParam<row> {};

TEST_P(PropagationMatrix, ValueSetBeforeTheBoundaryIsSeenAfterItAndChangesDoNotFlowBack) {
  const row& r = GetParam();
  auto token = request.set("before");
  const std::string seen = r.cross(far_side);
  EXPECT_EQ(seen, r.expected) << r.boundary;
  EXPECT_EQ(request.get(), "before") << r.boundary << ": a change on the far side leaked back";
  (void)request.reset(std::move(token));
  EXPECT_EQ(attach_depth(), 0u);
}

INSTANTIATE_TEST_SUITE_P(DesignTable, PropagationMatrix, ::testing::ValuesIn(rows),
                         [](const auto& param_info) {
                           std::string name;
                           for (const char* c = param_info.param.boundary; *c; ++c)
                             if (std::isalnum(static_cast<unsigned char>(*c))) name += *c;
                           return name;
                         });

TEST(PropagationMatrixIsolation, SiblingTasksSpawnedFromOneParentAreIsolated) {  // C6
  auto main_task = []() -> task<std::vector<std::string>> {
    auto token = request.set("parent");
    std::vector<task<std::string>> kids;
    for (int i = 0; i < 4; ++i)
      kids.push_back([](int id) -> task<std::string> {
        std::string before = request.get();
        auto mine = request.set("child-" + std::to_string(id));
        co_await coro::sleep_for(1ms);
        co_return before + "/" + request.get();
      }(i));
    auto seen = co_await coro::when_all(std::move(kids));
    seen.push_back(request.get());
    (void)request.reset(std::move(token));
    co_return seen;
  };
  auto seen = coro::run(main_task());
  EXPECT_EQ(seen, (std::vector<std::string>{"parent/child-0", "parent/child-1", "parent/child-2",
                                            "parent/child-3", "parent"}));
}

}  // namespace
}  // namespace ctxflow
