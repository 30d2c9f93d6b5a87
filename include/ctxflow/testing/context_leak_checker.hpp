// SPDX-License-Identifier: Apache-2.0
// context_leak_checker: notices when code left a context attached (C7, R1.11). It remembers the
// running execution unit's attach depth and current context when constructed; check() (or the
// destructor) compares them with the state at that point and names the attach sites of
// whatever is still attached. No test-framework dependency; gtest.hpp adds
// ASSERT_NO_CONTEXT_LEAK.
#pragma once

#include <cstdint>
#include <source_location>
#include <string>
#include <thread>
#include <utility>

#include "ctxflow/context/context.hpp"
#include "ctxflow/export.hpp"
#include "ctxflow/testing/check_result.hpp"

namespace ctxflow::testing {

/// Detects attachments leaked between its construction and check() / destruction.
///
/// Contract: a leak is an attach depth greater than at construction, or a different current
/// context (identity) than at construction. check() reports it as a failed check_result; a
/// checker destroyed without check() having been called reports a leak it sees as the
/// diagnostic `testing.context_leak` (severity error, with the construction site).
///
/// Context: measures the execution unit it is created on (a thread, or a coroutine task on
/// whatever thread it runs); create, check and destroy it on that unit.
/// Thread safety: distinct objects: safe. Shared objects: unsafe.
///
/// Example:
/// ```
/// ctxflow::testing::context_leak_checker leaks;
/// run_handler();               // must not leave its scope attached
/// ASSERT_NO_CONTEXT_LEAK(leaks);
/// ```
class CTXFLOW_API context_leak_checker {
 public:
  explicit context_leak_checker(
      const std::source_location& where = std::source_location::current()) noexcept;
  context_leak_checker(const context_leak_checker&) = delete;
  context_leak_checker& operator=(const context_leak_checker&) = delete;
  ~context_leak_checker();

  /// True when the unit holds more attachments than at construction or another context is
  /// current.
  bool leaked() const noexcept;
  /// Passes when nothing leaked; otherwise the message names the depths, whether the current
  /// context changed, and the attach site of each leaked attachment. Marks this checker checked.
  check_result check();

  /// Runs `fn` on the calling execution unit and checks it left the context as it found it.
  template <class Fn>
  static check_result around(Fn&& fn,
                             const std::source_location& where = std::source_location::current()) {
    context_leak_checker checker(where);
    std::forward<Fn>(fn)();
    return checker.check();
  }

  /// Runs `fn` on a new plain std::thread and checks the thread's context when `fn` returns: a
  /// thread must finish with nothing attached and the empty context current (C7, C8).
  template <class Fn>
  static check_result on_thread(
      Fn&& fn, const std::source_location& where = std::source_location::current()) {
    check_result result;
    std::thread t([&] {
      context_leak_checker checker(where);
      fn();
      result = checker.check();
    });
    t.join();
    return result;
  }

 private:
  std::string describe() const;

  std::uint32_t depth_;
  context context_;
  std::source_location where_;
  bool checked_ = false;
};

}  // namespace ctxflow::testing
