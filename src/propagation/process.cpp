// SPDX-License-Identifier: Apache-2.0
// spawn_process() on posix_spawn, with the context injected into the child's environment.
#include "ctxflow/propagation/process.hpp"

#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <csignal>
#include <vector>

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/macros.hpp"
#include "ctxflow/propagation/global.hpp"

namespace ctxflow::propagation {

exit_status child_process::wait() noexcept {
  exit_status st;
  if (pid_ <= 0) {
    st.error = ECHILD;
    return st;
  }
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, 0);
  } while (r < 0 && errno == EINTR);
  if (r < 0) {
    st.error = errno;
    return st;
  }
  pid_ = -1;
  if (WIFEXITED(status)) {
    st.exited = true;
    st.code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    st.signal = WTERMSIG(status);
  }
  return st;
}

bool child_process::kill(int sig) noexcept { return pid_ > 0 && ::kill(pid_, sig) == 0; }

namespace {

spawn_result spawn_impl(std::string_view path, std::span<const std::string> args,
                        const spawn_options& options) {
  spawn_result out;
  env_map env = options.environment ? *options.environment : env_map::from_process();
  if (options.propagate_context) {
    const context ctx = options.parent ? *options.parent : context::current();
    if (options.propagator) {
      inject_environment(env, ctx, *options.propagator);
    } else {
      inject_environment(env, ctx);
    }
  }
  const std::string program(path);
  std::vector<char*> argv;
  argv.reserve(args.size() + 2);
  argv.push_back(const_cast<char*>(program.c_str()));
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  char* const* envp = env.envp();
  if (!envp) {
    out.error = ENOMEM;
    return out;
  }

  posix_spawn_file_actions_t actions;
  int rc = posix_spawn_file_actions_init(&actions);
  if (rc != 0) {
    out.error = rc;
    return out;
  }
  const int fds[3] = {options.stdin_fd, options.stdout_fd, options.stderr_fd};
  for (int target = 0; target < 3 && rc == 0; ++target)
    if (fds[target] >= 0) rc = posix_spawn_file_actions_adddup2(&actions, fds[target], target);
  pid_t pid = -1;
  if (rc == 0) {
    rc = options.search_path
             ? posix_spawnp(&pid, program.c_str(), &actions, nullptr, argv.data(), envp)
             : posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), envp);
  }
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    out.error = rc;
    return out;
  }
  out.process = child_process(pid);
  return out;
}

}  // namespace

spawn_result spawn_process(std::string_view path, std::span<const std::string> args,
                           const spawn_options& options) noexcept {
  spawn_result out;
  CTXFLOW_TRY {
    out = spawn_impl(path, args, options);
  } CTXFLOW_CATCH_ALL {
    out.error = ENOMEM;
  }
  if (out.error != 0)
    reportf(severity::warning, "propagation.process.spawn_failed", "spawning '%.*s' failed: errno %d",
            static_cast<int>(path.size() > 200 ? 200 : path.size()), path.data(), out.error);
  return out;
}

}  // namespace ctxflow::propagation
