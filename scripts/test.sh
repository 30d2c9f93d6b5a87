#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The full ctxflow check, as CI runs it. Stages, in order:
#   includes  scripts/check_includes.sh (header dependency direction) and scripts/check_docs.sh
#             (every cited document, section, R-number and rule exists), each with its self-test
#   release   Release build with -Werror (tests, examples, benchmarks), ctest: all tests but
#             those labelled `faults`
#   faults    the same build, ctest: tests labelled `faults` (slow, dead, frozen and malicious
#             peers, killed processes, signals; each starts its own servers on 127.0.0.1)
#   install   install into a temporary prefix; build and run tests/cmake/find_package (also via
#             pkg-config) and tests/cmake/add_subdirectory; build the examples that call
#             find_package(ctxflow) against the installed package
#   noexcept  every module without third-party dependencies (context ... testing) built with
#             -fno-exceptions as shared libraries linked with --no-undefined, so the linker
#             rejects a use of a module the module map does not allow; tests/cmake/no_exceptions
#             run against them
#   asan      AddressSanitizer + UndefinedBehaviorSanitizer build, ctest: all tests
#   tsan      ThreadSanitizer build, ctest: tests labelled `concurrency`
#   fuzz      scripts/fuzz.sh, when it exists
# Usage: scripts/test.sh [--quick | --stages a,b,...] [--no-setup] [--list]
#   --quick          the release stage only
#   --stages LIST    only the named stages (also: CTXFLOW_STAGES="release asan")
#   --no-setup       do not run scripts/setup.sh (also: CTXFLOW_SKIP_SETUP=1)
# Environment: CTXFLOW_JOBS (default 2), CTXFLOW_TEST_TIMEOUT (seconds per test, default 300).
# Stops at the first failing stage. The last line is "N passed, N failed": ctest tests of every
# stage that ran them, plus one check for each stage without ctest (includes, install, noexcept,
# fuzz); a stage that fails before its tests run counts as one failure.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

all_stages=(includes release faults install noexcept asan tsan fuzz)
jobs="${CTXFLOW_JOBS:-2}"
test_timeout="${CTXFLOW_TEST_TIMEOUT:-300}"
run_setup=1
[[ "${CTXFLOW_SKIP_SETUP:-0}" == 1 ]] && run_setup=0
selected="${CTXFLOW_STAGES:-}"

usage() { awk 'NR < 3 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "${BASH_SOURCE[0]}"; }

while (($#)); do
  case "$1" in
    --quick) selected="release" ;;
    --stages) selected="${2:?--stages needs a list}"; shift ;;
    --stages=*) selected="${1#--stages=}" ;;
    --no-setup) run_setup=0 ;;
    --list) printf '%s\n' "${all_stages[@]}"; exit 0 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "test.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

stages=()
if [[ -z "$selected" ]]; then
  stages=("${all_stages[@]}")
else
  for s in ${selected//,/ }; do
    [[ " ${all_stages[*]} " == *" $s "* ]] || { echo "test.sh: unknown stage '$s' (stages: ${all_stages[*]})" >&2; exit 2; }
  done
  for s in "${all_stages[@]}"; do  # canonical order, whatever order they were named in
    [[ " ${selected//,/ } " == *" $s "* ]] && stages+=("$s")
  done
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
counts="$work/counts"  # one "passed failed" line per ctest run
: >"$counts"
passed=0
failed=0
timings=()
suite_start=$SECONDS

banner() {
  local line="=================================================================================="
  printf '\n%s\n== %s\n%s\n' "$line" "$*" "$line"
}

# run_ctest <build dir> [ctest args...]: runs ctest, records its pass/fail counts from the JUnit
# report. A run that finds no test fails (--no-tests=error).
run_ctest() {
  local dir="$1" junit rc=0 header tests failures skipped disabled
  shift
  junit="$work/$(basename "$dir")-$RANDOM.xml"
  ctest --test-dir "$dir" --output-on-failure --no-tests=error -j "$jobs" \
    --timeout "$test_timeout" --output-junit "$junit" "$@" || rc=$?
  if [[ -s "$junit" ]]; then
    header="$(tr '\n\t' '  ' <"$junit" | grep -o -m 1 '<testsuite [^>]*')"
    attr() { grep -o "[[:space:]]$1=\"[0-9]*\"" <<<"$header" | grep -o '[0-9]\+' || echo 0; }
    tests="$(attr tests)"; failures="$(attr failures)"; skipped="$(attr skipped)"; disabled="$(attr disabled)"
    if ((tests > 0)); then
      echo "ctest: $tests tests, $failures failed, $skipped skipped or not run, $disabled disabled"
      local ok=$((tests - failures - skipped - disabled))
      if ((rc != 0 && failures == 0)); then
        echo "ctest: failed although no test did (a test executable could not run)"
        failures=1
      fi
      echo "$ok $failures" >>"$counts"
    fi
  fi
  return "$rc"
}

configure_preset() { cmake --preset "$1" >"$work/configure-$1.log" 2>&1 || { cat "$work/configure-$1.log"; return 1; }; tail -n 3 "$work/configure-$1.log"; }
build_dir() { cmake --build "$1" -j "$jobs" "${@:2}"; }

# ---------------------------------------------------------------------------------------------
stage_includes() {
  bash scripts/check_includes.sh --self-test
  bash scripts/check_includes.sh
  bash scripts/check_docs.sh --self-test
  bash scripts/check_docs.sh
}

# Shared by `release` and `install`: configures and builds build/release (incremental).
build_release() {
  configure_preset release
  build_dir build/release
}

stage_release() {
  build_release
  run_ctest build/release -LE faults
}

stage_faults() {
  build_release
  run_ctest build/release -L faults
}

stage_install() {
  local prefix="$work/prefix" consumers="$root/build/consumers"
  build_release
  rm -rf "$prefix"
  cmake --install build/release --prefix "$prefix" >"$work/install.log" || { cat "$work/install.log"; return 1; }
  echo "installed into a temporary prefix: $(find "$prefix" -type f | wc -l) files"
  find "$prefix" -path '*cmake/ctxflow/*' -o -name '*.pc' | sed "s|^$prefix/|  |" | sort

  # All components, then only core: a request loads the named components and what they link.
  local variant flags status available
  for variant in all core; do
    flags=(-DCTXFLOW_TEST_COMPONENTS=)
    [[ "$variant" == core ]] && flags=(-DCTXFLOW_TEST_COMPONENTS=core -DCTXFLOW_TEST_VERSION=0.1)
    echo "-- find_package consumer, components: $variant"
    rm -rf "$consumers/find_package-$variant"
    cmake -S tests/cmake/find_package -B "$consumers/find_package-$variant" -G Ninja \
      -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" "${flags[@]}" >"$work/fp.log" ||
      { cat "$work/fp.log"; return 1; }
    status="$(grep -o 'ctxflow [0-9.]*: available .*' "$work/fp.log")"
    echo "   $status"
    # core is an umbrella: it loads its modules (context ... propagation) and the internal
    # targets they link, and nothing above them.
    if [[ "$variant" == core && ( "$status" != *"; loaded "*core* ||
          ",${status#*loaded }," =~ ,(sdk|sdk_core|exporters_[a-z]*|otlp_http|log|testing|asio|integrations_[a-z]*|ctxflow), ) ]]; then
      echo "find_package(ctxflow COMPONENTS core) loaded more than core and its modules" >&2; return 1
    fi
    available="${status#*available }"
    if [[ "$variant" == all && "${available%%;*}" != "${status#*loaded }" ]]; then
      echo "find_package(ctxflow) did not load every component" >&2; return 1
    fi
    build_dir "$consumers/find_package-$variant"
    "$consumers/find_package-$variant/find_package_consumer"
  done

  echo "-- find_package must reject an unknown component and an incompatible major version"
  local bad expected
  for bad in "COMPONENTS=no_such_component|built without the 'no_such_component' component" \
             "VERSION=1.0|compatible with requested version \"1.0\""; do
    expected="${bad#*|}"
    bad="-DCTXFLOW_TEST_${bad%%|*}"
    rm -rf "$consumers/find_package-bad"
    if cmake -S tests/cmake/find_package -B "$consumers/find_package-bad" -G Ninja \
      -DCMAKE_PREFIX_PATH="$prefix" "$bad" >"$work/bad.log" 2>&1; then
      echo "find_package accepted $bad" >&2; cat "$work/bad.log" >&2; return 1
    fi
    if ! tr -s ' \n' ' ' <"$work/bad.log" | grep -qF "$expected"; then
      echo "find_package rejected $bad for another reason:" >&2; cat "$work/bad.log" >&2; return 1
    fi
    echo "   rejected as expected: $bad"
  done
  rm -rf "$consumers/find_package-bad"

  echo "-- pkg-config consumer (tests/cmake/find_package/main.cpp, flags from ctxflow.pc)"
  local pc_flags
  pc_flags="$(PKG_CONFIG_PATH="$(dirname "$(find "$prefix" -name ctxflow.pc)")" pkg-config --cflags --libs ctxflow)"
  echo "   pkg-config --cflags --libs ctxflow: ${pc_flags//$prefix/<prefix>}"
  # shellcheck disable=SC2086  # the flags are a word list
  c++ -std=c++20 tests/cmake/find_package/main.cpp -o "$work/pkg_config_consumer" $pc_flags
  "$work/pkg_config_consumer"

  # Examples written to build on their own (they call find_package(ctxflow)) build against it too.
  local example name
  for example in examples/*/CMakeLists.txt; do
    if [[ ! -f "$example" ]] || ! grep -q 'find_package(ctxflow' "$example"; then continue; fi
    name="$(basename "$(dirname "$example")")"
    echo "-- example $name against the installed package"
    rm -rf "$consumers/example-$name"
    cmake -S "$(dirname "$example")" -B "$consumers/example-$name" -G Ninja \
      -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" >"$work/ex.log" ||
      { cat "$work/ex.log"; return 1; }
    build_dir "$consumers/example-$name"
  done

  echo "-- add_subdirectory consumer"
  cmake -S tests/cmake/add_subdirectory -B "$consumers/add_subdirectory" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release >"$work/as.log" || { cat "$work/as.log"; return 1; }
  build_dir "$consumers/add_subdirectory"
  "$consumers/add_subdirectory/add_subdirectory_consumer"
}

stage_noexcept() {
  cmake -S tests/cmake/no_exceptions -B build/noexcept -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCTXFLOW_WERROR=ON -DBUILD_SHARED_LIBS=ON >"$work/noexcept.log" ||
    { cat "$work/noexcept.log"; return 1; }
  build_dir build/noexcept --target ctxflow_context ctxflow_exec ctxflow_coro ctxflow_trace \
    ctxflow_propagation ctxflow_sdk_core ctxflow_exporters_memory ctxflow_exporters_console \
    ctxflow_exporters_otlp ctxflow_testing no_exceptions_smoke
  build/noexcept/no_exceptions_smoke
}

stage_asan() {
  configure_preset asan
  build_dir build/asan
  ASAN_OPTIONS="detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}" \
    run_ctest build/asan
}

stage_tsan() {
  configure_preset tsan
  build_dir build/tsan
  TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1${TSAN_OPTIONS:+:$TSAN_OPTIONS}" \
    run_ctest build/tsan -L concurrency
}

stage_fuzz() {
  bash scripts/fuzz.sh
}

describe() {
  case "$1" in
    includes) echo "header dependency direction and doc citations (scripts/check_includes.sh, scripts/check_docs.sh)" ;;
    release) echo "Release build with -Werror (tests, examples, benchmarks) + all tests but 'faults'" ;;
    faults) echo "fault-injection tests (label 'faults') on the Release build" ;;
    install) echo "install to a temporary prefix; find_package, pkg-config and add_subdirectory consumers" ;;
    noexcept) echo "the modules as shared libraries (--no-undefined) + a program, with -fno-exceptions" ;;
    asan) echo "AddressSanitizer + UndefinedBehaviorSanitizer build + all tests" ;;
    tsan) echo "ThreadSanitizer build + tests labelled 'concurrency'" ;;
    fuzz) echo "fuzzers for a bounded time (scripts/fuzz.sh)" ;;
  esac
}

summary() {
  local line
  while read -r p f; do
    passed=$((passed + p)); failed=$((failed + f))
  done <"$counts"
  : >"$counts"
  banner "summary ($((SECONDS - suite_start)) s in all)"
  for line in "${timings[@]}"; do echo "$line"; done
  echo "$passed passed, $failed failed"
}

# ---------------------------------------------------------------------------------------------
if ((run_setup)); then
  banner "setup: Debian packages (scripts/setup.sh)"
  bash scripts/setup.sh
fi

index=0
for stage in "${stages[@]}"; do
  index=$((index + 1))
  if [[ "$stage" == fuzz && ! -f scripts/fuzz.sh ]]; then
    timings+=("$(printf '  %-9s skipped (no scripts/fuzz.sh)' "$stage")")
    continue
  fi
  banner "stage $index/${#stages[@]}: $stage: $(describe "$stage")"
  before="$(wc -l <"$counts")"
  start=$SECONDS
  set +e
  (set -euo pipefail; "stage_$stage")
  rc=$?
  set -e
  elapsed=$((SECONDS - start))
  if [[ "$(wc -l <"$counts")" == "$before" ]]; then
    # A stage without ctest (or one that failed before its tests ran) is one check.
    if ((rc == 0)); then echo "1 0" >>"$counts"; else echo "0 1" >>"$counts"; fi
  fi
  if ((rc == 0)); then
    echo "== stage $stage: passed in ${elapsed} s"
    timings+=("$(printf '  %-9s passed  %5d s' "$stage" "$elapsed")")
  else
    echo "== stage $stage: FAILED (exit $rc) after ${elapsed} s"
    timings+=("$(printf '  %-9s FAILED  %5d s' "$stage" "$elapsed")")
    summary
    exit 1
  fi
done
summary
if ((failed > 0)); then exit 1; fi
