// SPDX-License-Identifier: Apache-2.0
// custom_event_loop: a third-party event loop (mini_loop.hpp) made to carry the context through
// the public execution-unit interface. Two requests post work and start a task of several steps;
// each piece sees its own request id, a step sees what the previous step of the same task set,
// and the loop's thread is back to its own context afterwards. Exits non-zero on any mismatch.
#include <cstdio>
#include <string>

#include "ctxflow/context/context_var.hpp"
#include "custom_event_loop/mini_loop.hpp"

namespace {

ctxflow::context_var<std::string> request_id{"request_id", "<none>"};
ctxflow::context_var<int> step_count{"step_count", 0};
int failures = 0;

void expect(const char* what, const std::string& expected) {
  const std::string& seen = request_id.get();
  std::printf("%-40s request_id=%s%s\n", what, seen.c_str(),
              seen == expected ? "" : "  <-- WRONG");
  if (seen != expected) ++failures;
}

void start_request(mini::event_loop& loop, const std::string& id) {
  auto token = request_id.set(id);  // the request's context, current while we post
  loop.post([id] { expect("posted job", id); });
  loop.spawn([id] {
    // Each step runs in the task's own unit: the counter set by one step is there at the next.
    const int done = step_count.get();
    expect(done == 0 ? "task step 1" : done == 1 ? "task step 2" : "task step 3", id);
    (void)step_count.set(done + 1);  // left attached on purpose: it stays with the task (C5)
    return done + 1 < 3;
  });
  (void)request_id.reset(std::move(token));
}

}  // namespace

int main() {
  mini::event_loop loop;
  start_request(loop, "req-1");
  start_request(loop, "req-2");
  loop.run();  // the steps of the two tasks interleave; neither sees the other's values
  expect("loop thread after run()", "<none>");
  if (step_count.get() != 0) ++failures;
  std::printf("%s\n", failures == 0 ? "OK" : "FAILED");
  return failures == 0 ? 0 : 1;
}
