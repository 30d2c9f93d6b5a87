#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds and runs the ctxflow demo. Installs missing packages (scripts/setup.sh), configures
# build/release (the `release` preset: Release, -Werror, Asio and OTLP/HTTP components on),
# builds only the program it needs, incrementally, and runs it:
#   `ctxflow demo` when the ctxflow tool is part of the build, else the context_tour example.
# Usage: scripts/demo.sh [arguments passed to the program]
# Environment: CTXFLOW_JOBS (default 2), CTXFLOW_SKIP_SETUP=1 to skip the package check.
# The demo itself reads OTEL_TRACES_EXPORTER and OTEL_EXPORTER_OTLP_* (for example
# `OTEL_TRACES_EXPORTER=otlp bash scripts/demo.sh` sends its spans to a collector on
# localhost:4318 as well as writing them to the file). It replaces this script's process, so
# Ctrl-C (SIGINT) and SIGTERM reach it directly and stop it gracefully.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
jobs="${CTXFLOW_JOBS:-2}"
build=build/release

bash scripts/setup.sh
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
cmake --preset release >"$log" 2>&1 || { cat "$log"; exit 1; }

# The executables the build defines, as paths relative to the build dir. Ninja names each one by
# its output file, whatever the CMake target is called (ctxflow, ctxflow_tool, ...).
executable_named() {
  ninja -C "$build" -t targets all |
    sed -n 's/^\([^:]*\): CXX_EXECUTABLE_LINKER__.*/\1/p' |
    awk -v name="$1" '{ n = $0; sub(/.*\//, "", n) } n == name && !found { found = $0 }
                      END { if (found) print found }'
}

program="$(executable_named ctxflow)"
args=(demo)
if [[ -z "$program" ]]; then
  program="$(executable_named context_tour)"
  args=()
fi
if [[ -z "$program" ]]; then
  echo "demo: the build defines neither the ctxflow tool nor the context_tour example" >&2
  echo "demo: (examples are built when CTXFLOW_BUILD_EXAMPLES=ON; see docs/usage/building.md)" >&2
  exit 1
fi

cmake --build "$build" -j "$jobs" --target "$program"
rm -f "$log"
trap - EXIT
echo "demo: running $build/$program ${args[*]} $*"
exec "$build/$program" "${args[@]}" "$@"
