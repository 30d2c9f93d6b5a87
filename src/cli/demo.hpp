// SPDX-License-Identifier: Apache-2.0
// Private: the `ctxflow demo` and `ctxflow demo-child` commands.
#pragma once

namespace ctxflow::cli {

/// Runs the order-pipeline demo; returns the process exit code.
int run_demo(int argc, char** argv);

/// The child process of the demo: continues the parent's trace from the environment.
int run_demo_child(int argc, char** argv);

}  // namespace ctxflow::cli
