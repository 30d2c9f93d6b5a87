// SPDX-License-Identifier: Apache-2.0
// Private: the `ctxflow view` command.
#pragma once

namespace ctxflow::cli {

/// Reads OTLP JSON files and prints their traces as waterfalls, or checks them (--check);
/// returns the process exit code (0 done, 1 check failed, 2 bad command line or no readable
/// input).
int run_view(int argc, char** argv);

}  // namespace ctxflow::cli
