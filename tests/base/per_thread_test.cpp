// SPDX-License-Identifier: Apache-2.0
// The per-thread slot helper the SDK's caches are built on (src/base/per_thread.hpp): one
// slot per thread, a cleanup run once at the exit of a thread that armed it, and a closed flag
// for code that runs on the thread after that cleanup.
#include "base/per_thread.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace ctxflow::internal {
namespace {

struct counter_slot {
  int value;
};

std::atomic<int> cleanups{0};
std::atomic<int> last_cleaned_value{0};

void count_cleanup(counter_slot& s) noexcept {
  cleanups.fetch_add(1);
  last_cleaned_value.store(s.value);
  s.value = 0;
}
using slot_type = per_thread<counter_slot, &count_cleanup>;

TEST(PerThread, EachThreadHasItsOwnValueInitialisedSlot) {
  slot_type::slot().value = 7;
  int seen_there = -1;
  std::thread([&] {
    seen_there = slot_type::slot().value;
    slot_type::slot().value = 9;
  }).join();
  EXPECT_EQ(seen_there, 0);
  EXPECT_EQ(slot_type::slot().value, 7);
  slot_type::slot().value = 0;
}

TEST(PerThread, TheCleanupRunsOnceAtTheExitOfAThreadThatArmedIt) {
  const int before = cleanups.load();
  std::thread([] {
    EXPECT_FALSE(slot_type::closed());
    EXPECT_TRUE(slot_type::arm());
    EXPECT_TRUE(slot_type::arm());  // armed once, however often asked
    slot_type::slot().value = 42;
  }).join();
  EXPECT_EQ(cleanups.load(), before + 1);
  EXPECT_EQ(last_cleaned_value.load(), 42);
}

TEST(PerThread, AThreadThatNeverArmedRunsNoCleanup) {
  const int before = cleanups.load();
  std::thread([] { slot_type::slot().value = 5; }).join();
  EXPECT_EQ(cleanups.load(), before);
}

// Runs on the exiting thread after the slot's cleanup (it is constructed before the arm, so
// destroyed after the cleanup) and records what it sees.
std::atomic<bool> late_closed{false};
std::atomic<bool> late_arm{true};
struct late_user {
  ~late_user() {
    late_closed.store(slot_type::closed());
    late_arm.store(slot_type::arm());
  }
};

TEST(PerThread, AfterTheCleanupTheSlotIsClosedAndCannotBeArmedAgain) {
  const int before = cleanups.load();
  std::thread([] {
    static thread_local late_user user;
    (void)user;
    EXPECT_TRUE(slot_type::arm());
  }).join();
  EXPECT_TRUE(late_closed.load());
  EXPECT_FALSE(late_arm.load());
  EXPECT_EQ(cleanups.load(), before + 1);
}

std::atomic<int> hook_runs{0};
void count_hook() noexcept { hook_runs.fetch_add(1); }

TEST(ThreadExitHook, RunsOnceForAThreadThatArmedIt) {
  std::thread([] {
    thread_exit_hook<&count_hook>::arm();
    thread_exit_hook<&count_hook>::arm();
  }).join();
  std::thread([] {}).join();
  EXPECT_EQ(hook_runs.load(), 1);
}

}  // namespace
}  // namespace ctxflow::internal
