// SPDX-License-Identifier: Apache-2.0
// Environment variables as carriers for child processes (R6.1-R6.5): env_map, a copy of
// an environment whose get/set/keys normalise names (`traceparent` -> `TRACEPARENT`), the
// functions that inject the current context into such a copy (replacing inherited
// TRACEPARENT/TRACESTATE/BAGGAGE) and that extract a process's parent context at start-up.
// Security: environment variables can be read by other processes; never put secrets in
// baggage that is propagated this way (R6.5). See docs/design/propagation.md, "Processes".
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ctxflow/context/context.hpp"
#include "ctxflow/export.hpp"
#include "ctxflow/propagation/propagator.hpp"
#include "ctxflow/propagation/text_map.hpp"

namespace ctxflow::propagation {

/// Normalises an environment variable name (R6.2): empty becomes `_`, ASCII letters are
/// uppercased, every other character that is not a digit or `_` becomes `_`, and a leading
/// digit gets a `_` prefix. Errors: on allocation failure returns an empty string.
CTXFLOW_API std::string normalize_env_key(std::string_view key) noexcept;

/// True when `name` is already normalised: `^[A-Z_][A-Z0-9_]*$`.
CTXFLOW_API bool is_normalized_env_key(std::string_view name) noexcept;

/// An owned copy of an environment block, usable as a text-map carrier (R6.1-R6.4).
///
/// get/set/erase normalise the key and touch only that exact name (a raw name such as
/// `x-b3-traceid` is never matched, R6.3); keys() lists only names that are already
/// normalised. Values are opaque strings, never parsed (R6.1). envp() gives the block for
/// `posix_spawn`/`execve`. Nothing here calls `setenv` or spawns a process (R6.4).
///
/// Thread safety: distinct objects: safe. Shared objects: unsafe.
/// Errors: allocation failures are reported (`propagation.alloc_failed`) and leave the map
/// unchanged.
class env_map {
 public:
  /// An empty environment.
  env_map() noexcept = default;

  /// A snapshot of this process's environment (`environ`). Not safe against a concurrent
  /// `setenv` in another thread (a POSIX limitation).
  CTXFLOW_API static env_map from_process() noexcept;
  /// A copy of a null-terminated `NAME=value` array.
  CTXFLOW_API static env_map from_envp(const char* const* envp) noexcept;

  CTXFLOW_API std::optional<std::string_view> get(std::string_view key) const noexcept;
  CTXFLOW_API void set(std::string_view key, std::string_view value) noexcept;
  /// Removes the variable; true if it was present.
  CTXFLOW_API bool erase(std::string_view key) noexcept;
  /// Passes every name that is already normalised (R6.3).
  CTXFLOW_API void keys(string_visitor each) const noexcept;

  std::size_t size() const noexcept { return entries_.size(); }
  /// The `NAME=value` strings, in order.
  const std::vector<std::string>& entries() const noexcept { return entries_; }

  /// A null-terminated array of `NAME=value` pointers for `execve`/`posix_spawn`.
  /// Lifetime: valid until this map is changed or destroyed. Errors: null on allocation failure.
  CTXFLOW_API char* const* envp() noexcept;

 private:
  std::ptrdiff_t find(std::string_view name) const noexcept;
  std::vector<std::string> entries_;
  std::vector<char*> envp_;
};

/// The text map that lets propagators use an env_map (normalised names, R6.2).
struct env_text_map {
  std::optional<std::string_view> get(const env_map& c, std::string_view key) const noexcept {
    return c.get(key);
  }
  void keys(const env_map& c, string_visitor each) const noexcept { c.keys(each); }
  void set(env_map& c, std::string_view key, std::string_view value) const noexcept {
    c.set(key, value);
  }
};

template <>
struct default_text_map<env_map> {
  using type = env_text_map;
};

/// The same name the environment alias of R6.4 uses.
using env_carrier = env_map;

/// Injects `ctx` into `env` with `propagator`. Every field the propagator owns (for the W3C
/// propagators `TRACEPARENT`, `TRACESTATE` and `BAGGAGE`) is erased first, so values inherited
/// from this process's own parent never reach the child (R5.4, C10).
/// Context: the context is passed in; use context::current() for the current one.
CTXFLOW_API void inject_environment(env_map& env, const context& ctx,
                                    const text_map_propagator& propagator) noexcept;
/// As above with the global propagator.
CTXFLOW_API void inject_environment(env_map& env, const context& ctx) noexcept;

/// A snapshot of this process's environment with the current context injected by the global
/// propagator: the block to hand to a child process.
/// Context: reads the current context.
CTXFLOW_API env_map environment_for_child() noexcept;

/// Extracts the parent context a launching process left in `env`, into the empty (root)
/// context. Errors: nothing valid gives the empty context.
CTXFLOW_API context extract_from_environment(const env_map& env,
                                             const text_map_propagator& propagator) noexcept;
/// Extracts from this process's environment with the global propagator. The SDK's init calls
/// this once, after installing the global propagator, and attaches the result as the root
/// context so the process continues its parent's trace (C10, R6.4).
CTXFLOW_API context extract_from_environment() noexcept;

}  // namespace ctxflow::propagation
