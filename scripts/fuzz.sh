#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the libFuzzer targets in fuzz/ with clang 14 (ASan + UBSan) into build/fuzz and runs
# each one for a bounded time, starting from the seed corpora in fuzz/corpus/<target>/.
# Exits non-zero if any target finds a crash, leak, timeout or sanitizer error.
#
# Environment:
#   FUZZ_SECONDS  seconds per target (default 30)
#   FUZZ_TARGETS  space-separated subset (default: traceparent tracestate baggage b3 otlp_proto
#                 otlp_json)
#   FUZZ_JOBS     build parallelism (default 2)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$root/build/fuzz"
seconds=${FUZZ_SECONDS:-30}
targets=${FUZZ_TARGETS:-"traceparent tracestate baggage b3 otlp_proto otlp_json"}
jobs=${FUZZ_JOBS:-2}
cxx=${FUZZ_CXX:-clang++-14}

command -v "$cxx" >/dev/null || { echo "fuzz: $cxx not found (install clang-14 libclang-rt-14-dev)" >&2; exit 1; }

cmake -S "$root/fuzz" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER="$cxx" >/dev/null
build_targets=()
for t in $targets; do build_targets+=("fuzz_$t"); done
ninja -C "$build" -j "$jobs" "${build_targets[@]}"

artifacts="$root/fuzz-artifacts"
mkdir -p "$artifacts"
status=0
for t in $targets; do
  work="$build/corpus/$t"  # new inputs go here, the committed seeds stay untouched
  mkdir -p "$work"
  echo "fuzz: $t for ${seconds}s"
  if ! "$build/fuzz_$t" "$work" "$root/fuzz/corpus/$t" \
      -max_total_time="$seconds" -rss_limit_mb=512 -timeout=10 -max_len=16384 \
      -artifact_prefix="$artifacts/${t}-" -print_final_stats=1 >"$build/$t.log" 2>&1; then
    echo "fuzz: $t FAILED; see $build/$t.log and $artifacts/" >&2
    tail -n 40 "$build/$t.log" >&2
    status=1
  else
    grep -E '^stat::(number_of_executed_units|peak_rss_mb)' "$build/$t.log" | sed "s/^/fuzz: $t /" || true
  fi
done
exit $status
