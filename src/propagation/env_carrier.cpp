// SPDX-License-Identifier: Apache-2.0
// Environment carriers (R6.1-R6.4): key normalisation (R6.2), the env_map copy, and inject/extract
// helpers for child processes.
#include "ctxflow/propagation/env_carrier.hpp"

#include <unistd.h>

#include <cstring>

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/macros.hpp"
#include "ctxflow/propagation/global.hpp"

extern char** environ;  // NOLINT: POSIX

namespace ctxflow::propagation {
namespace {

void report_alloc() noexcept {
  report(severity::error, "propagation.alloc_failed", "environment copy allocation failed");
}

constexpr bool is_upper(char c) noexcept { return c >= 'A' && c <= 'Z'; }
constexpr bool is_lower(char c) noexcept { return c >= 'a' && c <= 'z'; }
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// The name part of a `NAME=value` string.
std::string_view name_of(const std::string& entry) noexcept {
  const std::size_t eq = entry.find('=');
  return std::string_view(entry).substr(0, eq);
}

}  // namespace

std::string normalize_env_key(std::string_view key) noexcept {
  std::string out;
  CTXFLOW_TRY {
    if (key.empty()) return "_";
    out.reserve(key.size() + 1);
    if (is_digit(key[0])) out.push_back('_');
    for (char c : key) {
      if (is_lower(c)) {
        out.push_back(static_cast<char>(c - 'a' + 'A'));
      } else if (is_upper(c) || is_digit(c) || c == '_') {
        out.push_back(c);
      } else {
        out.push_back('_');
      }
    }
  } CTXFLOW_CATCH_ALL {
    report_alloc();
    return {};
  }
  return out;
}

bool is_normalized_env_key(std::string_view name) noexcept {
  if (name.empty() || is_digit(name[0])) return false;
  for (char c : name)
    if (!is_upper(c) && !is_digit(c) && c != '_') return false;
  return true;
}

env_map env_map::from_envp(const char* const* envp) noexcept {
  env_map m;
  if (!envp) return m;
  CTXFLOW_TRY {
    for (const char* const* p = envp; *p; ++p) m.entries_.emplace_back(*p);
  } CTXFLOW_CATCH_ALL {
    report_alloc();
    m.entries_.clear();
  }
  return m;
}

env_map env_map::from_process() noexcept { return from_envp(environ); }

std::ptrdiff_t env_map::find(std::string_view name) const noexcept {
  for (std::size_t i = 0; i < entries_.size(); ++i)
    if (name_of(entries_[i]) == name) return static_cast<std::ptrdiff_t>(i);
  return -1;
}

std::optional<std::string_view> env_map::get(std::string_view key) const noexcept {
  const std::string name = normalize_env_key(key);
  if (name.empty()) return std::nullopt;
  const std::ptrdiff_t i = find(name);
  if (i < 0) return std::nullopt;
  return std::string_view(entries_[static_cast<std::size_t>(i)]).substr(name.size() + 1);
}

void env_map::set(std::string_view key, std::string_view value) noexcept {
  const std::string name = normalize_env_key(key);
  if (name.empty()) return;
  CTXFLOW_TRY {
    std::string entry;
    entry.reserve(name.size() + 1 + value.size());
    entry.append(name).push_back('=');
    entry.append(value);
    const std::ptrdiff_t i = find(name);
    if (i >= 0) {
      entries_[static_cast<std::size_t>(i)] = std::move(entry);
    } else {
      entries_.push_back(std::move(entry));
    }
    envp_.clear();
  } CTXFLOW_CATCH_ALL {
    report_alloc();
  }
}

bool env_map::erase(std::string_view key) noexcept {
  const std::string name = normalize_env_key(key);
  const std::ptrdiff_t i = name.empty() ? -1 : find(name);
  if (i < 0) return false;
  entries_.erase(entries_.begin() + i);
  envp_.clear();
  return true;
}

void env_map::keys(string_visitor each) const noexcept {
  for (const std::string& e : entries_) {
    const std::string_view name = name_of(e);
    if (is_normalized_env_key(name) && !each(name)) return;
  }
}

char* const* env_map::envp() noexcept {
  CTXFLOW_TRY {
    envp_.clear();
    envp_.reserve(entries_.size() + 1);
    for (std::string& e : entries_) envp_.push_back(e.data());
    envp_.push_back(nullptr);
  } CTXFLOW_CATCH_ALL {
    report_alloc();
    envp_.clear();
    return nullptr;
  }
  return envp_.data();
}

void inject_environment(env_map& env, const context& ctx,
                        const text_map_propagator& propagator) noexcept {
  for (std::string_view f : propagator.fields()) env.erase(f);
  inject(propagator, ctx, env);
}

void inject_environment(env_map& env, const context& ctx) noexcept {
  const auto p = global_propagator();
  inject_environment(env, ctx, *p);
}

env_map environment_for_child() noexcept {
  env_map env = env_map::from_process();
  inject_environment(env, context::current());
  return env;
}

context extract_from_environment(const env_map& env,
                                 const text_map_propagator& propagator) noexcept {
  return extract(propagator, context(), env);
}

context extract_from_environment() noexcept {
  const auto p = global_propagator();
  return extract_from_environment(env_map::from_process(), *p);
}

}  // namespace ctxflow::propagation
