// SPDX-License-Identifier: Apache-2.0
// ctxflow::jthread: std::jthread that carries the creator's context into the new thread (C8).
// A raw std::thread starts with the empty context, as a new thread does in Python.
#pragma once

#include <thread>
#include <type_traits>
#include <utility>

#include "ctxflow/exec/bind_context.hpp"

namespace ctxflow::exec {

/// A std::jthread whose function runs with the context current at construction.
///
/// Context: snapshot taken in the constructor (C4); the thread ends with its unit finished
/// (leaked scopes reported in strict mode).
/// Thread safety: as std::jthread.
class jthread : public std::jthread {
 public:
  jthread() noexcept = default;
  template <class Fn, class... Args>
    requires(!std::is_same_v<std::decay_t<Fn>, jthread>)
  explicit jthread(Fn&& fn, Args&&... args)
      : std::jthread(bind_context(std::forward<Fn>(fn)), std::forward<Args>(args)...) {}
};

}  // namespace ctxflow::exec

namespace ctxflow {
using exec::jthread;
}
