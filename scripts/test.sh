#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The full ctxflow check, as CI runs it. Stages, in order:
#   includes  scripts/check_includes.sh (header dependency direction) and scripts/check_docs.sh
#             (every cited document, section, R-number and rule exists), each with its self-test
#   release   Release build with -Werror (tests, examples, benchmarks), ctest: all tests but
#             those labelled `faults` or `browser`
#   browser   the same build, ctest: tests labelled `browser` (the HTML trace viewer in headless
#             Chromium, driven by puppeteer-core, which `npm ci` installs into build/release;
#             screenshots in build/release/tests/browser/screenshots/)
#   faults    the same build, ctest: tests labelled `faults` (slow, dead, frozen and malicious
#             peers, killed processes, signals; each starts its own servers on 127.0.0.1)
#   install   install into a temporary prefix; check that no installed CMake or pkg-config
#             file holds an absolute path and that only the Redis export names hiredis; build
#             and run tests/cmake/find_package (all components, core, and sdk+integrations_http
#             where pkg-config finds no hiredis), every ctxflow-<component> pkg-config module, a ctxflow-core
#             program, tests/cmake/pkg_config_otlp (built from ctxflow-sdk and ctxflow-otlp-http
#             only, exporting one span to a loopback receiver) and tests/cmake/add_subdirectory;
#             build the examples that call find_package(ctxflow) and, when it exists, tests/docs
#             (ctest -L docs) against the installed package
#   package   cpack -G DEB in build/release; print the package's Depends, check its contents,
#             unpack it with dpkg-deb -x into a temporary root (nothing is installed on the
#             machine) and run the find_package and pkg-config consumers against that root
#   boost-1.74  scripts/boost_compat.sh: the Asio, HTTP and Redis integrations built against
#             Debian's Boost 1.74 headers (fetched with apt-get download, unpacked with dpkg-deb
#             -x; the machine keeps 1.81), ctest: tests labelled `integrations`, `faults` included
#   noexcept  every module without third-party dependencies (context ... testing) built with
#             -fno-exceptions as shared libraries linked with --no-undefined, so the linker
#             rejects a use of a module the module map does not allow; tests/cmake/no_exceptions
#             run against them
#   asan      AddressSanitizer + UndefinedBehaviorSanitizer build, ctest: all tests but those
#             labelled `browser`
#   tsan      ThreadSanitizer build, ctest: tests labelled `concurrency`
#   fuzz      scripts/fuzz.sh, when it exists
# Usage: scripts/test.sh [--quick | --stages a,b,...] [--no-setup] [--list]
#   --quick          the release stage only
#   --stages LIST    only the named stages (also: CTXFLOW_STAGES="release asan")
#   --no-setup       do not run scripts/setup.sh (also: CTXFLOW_SKIP_SETUP=1)
# Environment: CTXFLOW_JOBS (default 2), CTXFLOW_TEST_TIMEOUT (seconds per test, default 300).
# Stops at the first failing stage. The last line is "N passed, N failed": ctest tests of every
# stage that ran them, plus one check for each stage without ctest (includes, install, package,
# noexcept, fuzz); a stage that fails before its tests run counts as one failure.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

all_stages=(includes release browser faults install package boost-1.74 noexcept asan tsan fuzz)
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
  run_ctest build/release -LE 'faults|browser'
}

stage_browser() {
  build_release
  run_ctest build/release -L browser
}

stage_faults() {
  build_release
  run_ctest build/release -L faults
}

# check_installed_tree <prefix>: the installed CMake package and .pc files name no absolute
# path (neither this checkout, nor the prefix, nor a system library), and only the Redis
# component's export names hiredis, so core, sdk and the HTTP integration never need it.
check_installed_tree() {
  local prefix="$1" dirs hits file
  dirs=("$prefix"/lib*/cmake/ctxflow "$prefix"/lib*/pkgconfig)
  hits="$(grep -rnF -e "$root" -e "$prefix" "${dirs[@]}" || true)"
  hits+="$(grep -rnE '(^|[[:space:]"'\'';=(:])/(usr|lib|lib64|opt|home|tmp|work|root|srv)/' "${dirs[@]}" || true)"
  if [[ -n "$hits" ]]; then
    echo "installed package files hold absolute paths:" >&2; echo "$hits" >&2; return 1
  fi
  for file in "$prefix"/lib*/cmake/ctxflow/ctxflow-*-targets*.cmake; do
    if [[ "$(basename "$file")" != ctxflow-integrations_redis-targets* ]] && grep -q hiredis "$file"; then
      echo "$(basename "$file") names hiredis; only integrations_redis may" >&2; return 1
    fi
  done
  echo "   no absolute paths in $(find "${dirs[@]}" -type f | wc -l) CMake and pkg-config files; hiredis only in the Redis export"
}

# check_pkg_config <prefix>: every ctxflow*.pc resolves and points into <prefix>; ctxflow-core
# stays free of the optional parts and builds a program alone; ctxflow-sdk + ctxflow-otlp-http
# export over OTLP/HTTP; ctxflow.pc links everything.
check_pkg_config() {
  local prefix="$1" pcdir pc module flags modules=()
  pcdir="$(dirname "$(find "$prefix" -name ctxflow.pc | head -n 1)")"
  local -x PKG_CONFIG_PATH="$pcdir"
  for pc in "$pcdir"/ctxflow*.pc; do
    module="$(basename "$pc" .pc)"
    flags="$(pkg-config --cflags --libs "$module")" || { echo "pkg-config $module failed" >&2; return 1; }
    if [[ "$flags" != *"-I$pcdir/"* ]]; then
      echo "pkg-config $module: the include path does not point into the tree ($flags)" >&2; return 1
    fi
    modules+=("$module")
  done
  echo "   ${#modules[@]} pkg-config modules resolve, each with paths into the tree: ${modules[*]}"

  flags="$(pkg-config --cflags --libs ctxflow-core)"
  echo "   ctxflow-core: ${flags//$pcdir/<pcdir>}"
  if [[ "$(pkg-config --libs ctxflow-core)" =~ (testing|asio|integrations|hiredis|curl|otlp) ]]; then
    echo "ctxflow-core links more than the instrumentation API" >&2; return 1
  fi
  # shellcheck disable=SC2086  # the flags are a word list
  c++ -std=c++20 -Wall -Wextra -Werror tests/cmake/find_package/main.cpp -o "$work/core_consumer" $flags
  timeout 60 "$work/core_consumer"

  flags="$(pkg-config --cflags --libs ctxflow-sdk ctxflow-otlp-http)"
  echo "   ctxflow-sdk ctxflow-otlp-http: ${flags//$pcdir/<pcdir>}"
  # shellcheck disable=SC2086
  c++ -std=c++20 -Wall -Wextra -Werror tests/cmake/pkg_config_otlp/main.cpp -o "$work/otlp_consumer" $flags
  timeout 60 "$work/otlp_consumer"

  # The gRPC component (when built): its flags bring gRPC++ along, and its interceptors work.
  if [[ -f "$pcdir/ctxflow-grpc.pc" ]]; then
    flags="$(pkg-config --cflags --libs ctxflow-grpc ctxflow-sdk)"
    echo "   ctxflow-grpc ctxflow-sdk: ${flags//$pcdir/<pcdir>}"
    # shellcheck disable=SC2086
    c++ -std=c++20 -Wall -Wextra -Werror tests/cmake/pkg_config_grpc/main.cpp -o "$work/grpc_consumer" $flags
    timeout 60 "$work/grpc_consumer"
  fi

  flags="$(pkg-config --cflags --libs ctxflow)"
  # shellcheck disable=SC2086
  c++ -std=c++20 tests/cmake/find_package/main.cpp -o "$work/pkg_config_consumer" $flags
  timeout 60 "$work/pkg_config_consumer"
  echo "   ctxflow (every component): built and ran tests/cmake/find_package/main.cpp"
}

# find_package_consumer <prefix> <build dir> [cmake args...]: configures, builds and runs
# tests/cmake/find_package against <prefix>; prints the package's component line.
find_package_consumer() {
  local prefix="$1" dir="$2"
  shift 2
  rm -rf "$dir"
  cmake -S tests/cmake/find_package -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$prefix" "$@" >"$work/fp.log" || { cat "$work/fp.log"; return 1; }
  grep -o 'ctxflow [0-9.]*: available .*' "$work/fp.log" | sed 's/^/   /'
  build_dir "$dir" >"$work/fp-build.log" || { cat "$work/fp-build.log"; return 1; }
  timeout 60 "$dir/find_package_consumer"
}

stage_install() {
  local prefix="$work/prefix" consumers="$root/build/consumers"
  build_release
  rm -rf "$prefix"
  cmake --install build/release --prefix "$prefix" >"$work/install.log" || { cat "$work/install.log"; return 1; }
  echo "installed into a temporary prefix: $(find "$prefix" -type f | wc -l) files"
  find "$prefix" -path '*cmake/ctxflow/*' -o -name '*.pc' -o -path '*/bin/*' | sed "s|^$prefix/|  |" | sort
  "$prefix/bin/ctxflow" version
  check_installed_tree "$prefix"

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

  # pkg-config finds no module at all here, so a hiredis lookup would fail the configure.
  echo "-- find_package(ctxflow COMPONENTS sdk integrations_http) where pkg-config finds no hiredis"
  PKG_CONFIG_LIBDIR="$work/no-pkg-config-modules" PKG_CONFIG_PATH="" \
    find_package_consumer "$prefix" "$consumers/find_package-http" \
    "-DCTXFLOW_TEST_COMPONENTS=sdk;integrations_http"
  if grep -q 'loaded.*integrations_redis' "$work/fp.log"; then
    echo "find_package(ctxflow COMPONENTS sdk integrations_http) loaded integrations_redis" >&2; return 1
  fi
  rm -rf "$consumers/find_package-http"

  echo "-- pkg-config: one module per component"
  check_pkg_config "$prefix"

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

  # Documentation snippets compiled against the installed package, when that project exists.
  if [[ -f tests/docs/CMakeLists.txt ]]; then
    echo "-- tests/docs against the installed package"
    rm -rf "$consumers/docs"
    cmake -S tests/docs -B "$consumers/docs" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_PREFIX_PATH="$prefix" >"$work/docs.log" || { cat "$work/docs.log"; return 1; }
    build_dir "$consumers/docs"
    run_ctest "$consumers/docs" -L docs
  else
    echo "-- tests/docs: no tests/docs/CMakeLists.txt, skipped"
  fi

  echo "-- add_subdirectory consumer"
  cmake -S tests/cmake/add_subdirectory -B "$consumers/add_subdirectory" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release >"$work/as.log" || { cat "$work/as.log"; return 1; }
  build_dir "$consumers/add_subdirectory"
  "$consumers/add_subdirectory/add_subdirectory_consumer"
}

stage_package() {
  local deb_root="$work/deb-root" consumers="$root/build/consumers" deb contents path
  build_release
  rm -f build/release/libctxflow-dev_*.deb
  (cd build/release && cpack -G DEB) >"$work/cpack.log" 2>&1 || { cat "$work/cpack.log"; return 1; }
  deb="$(find build/release -maxdepth 1 -name 'libctxflow-dev_*.deb' | head -n 1)"
  [[ -n "$deb" ]] || { echo "cpack made no libctxflow-dev package" >&2; cat "$work/cpack.log"; return 1; }
  echo "-- $deb"
  dpkg-deb --info "$deb" | grep -E '^ (Package|Version|Maintainer|Depends):'
  contents="$(dpkg-deb -c "$deb" | awk '{ print $NF }')"
  for path in ./usr/bin/ctxflow ./usr/include/ctxflow/config.hpp ./usr/lib/libctxflow_context.a \
              ./usr/lib/cmake/ctxflow/ctxflowConfig.cmake ./usr/lib/pkgconfig/ctxflow-core.pc \
              ./usr/lib/pkgconfig/ctxflow.pc ./usr/share/doc/ctxflow/LICENSE; do
    grep -qxF "$path" <<<"$contents" || { echo "the package lacks $path" >&2; return 1; }
  done
  if grep -E 'lib(gtest|gmock|benchmark)|_(test|benchmark)$|/tests?/' <<<"$contents"; then
    echo "the package holds test files" >&2; return 1
  fi
  echo "   $(grep -vc '/$' <<<"$contents") files; no test files"

  rm -rf "$deb_root"
  dpkg-deb -x "$deb" "$deb_root"
  "$deb_root/usr/bin/ctxflow" version
  check_installed_tree "$deb_root/usr"
  echo "-- find_package consumer against the unpacked package"
  find_package_consumer "$deb_root/usr" "$consumers/package-find_package"
  rm -rf "$consumers/package-find_package"
  echo "-- pkg-config consumers against the unpacked package"
  check_pkg_config "$deb_root/usr"
}

stage_noexcept() {
  cmake -S tests/cmake/no_exceptions -B build/noexcept -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCTXFLOW_WERROR=ON -DBUILD_SHARED_LIBS=ON >"$work/noexcept.log" ||
    { cat "$work/noexcept.log"; return 1; }
  build_dir build/noexcept --target ctxflow_context ctxflow_exec ctxflow_coro ctxflow_trace \
    ctxflow_propagation ctxflow_sdk_core ctxflow_exporters_memory ctxflow_exporters_console \
    ctxflow_exporters_otlp ctxflow_testing ctxflow_viewer no_exceptions_smoke
  build/noexcept/no_exceptions_smoke
}

# Function names may hold '-' and '.' in bash: the stage is called by its name.
stage_boost-1.74() {
  CTXFLOW_BOOST_COMPAT_CTEST=0 bash scripts/boost_compat.sh
  run_ctest build/boost-1.74 -L integrations
}

stage_asan() {
  configure_preset asan
  build_dir build/asan
  ASAN_OPTIONS="detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}" \
    run_ctest build/asan -LE browser
}

stage_tsan() {
  configure_preset tsan
  # Only the programs of the suites it runs (label `concurrency`); the others stay unbuilt, and
  # their placeholder tests carry no label, so `-L concurrency` leaves them out.
  build_dir build/tsan --target ctxflow_concurrency_tests
  # tests/tsan.supp: gRPC, protobuf, Abseil and OpenSSL are not built with TSan (see the file).
  TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$root/tests/tsan.supp${TSAN_OPTIONS:+:$TSAN_OPTIONS}" \
    run_ctest build/tsan -L concurrency
}

stage_fuzz() {
  bash scripts/fuzz.sh
}

describe() {
  case "$1" in
    includes) echo "header dependency direction and doc citations (scripts/check_includes.sh, scripts/check_docs.sh)" ;;
    release) echo "Release build with -Werror (tests, examples, benchmarks) + all tests but 'faults' and 'browser'" ;;
    browser) echo "the HTML trace viewer in headless Chromium (label 'browser') on the Release build" ;;
    faults) echo "fault-injection tests (label 'faults') on the Release build" ;;
    install) echo "install to a temporary prefix; find_package, per-component pkg-config (OTLP to a loopback receiver) and add_subdirectory consumers" ;;
    package) echo "cpack -G DEB; the unpacked package's Depends, contents, find_package and pkg-config consumers" ;;
    noexcept) echo "the modules as shared libraries (--no-undefined) + a program, with -fno-exceptions" ;;
    asan) echo "AddressSanitizer + UndefinedBehaviorSanitizer build + all tests" ;;
    tsan) echo "ThreadSanitizer build + tests labelled 'concurrency'" ;;
    boost-1.74) echo "the Asio, HTTP and Redis integrations and their tests against Boost 1.74 (scripts/boost_compat.sh)" ;;
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
    timings+=("$(printf '  %-10s skipped (no scripts/fuzz.sh)' "$stage")")
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
    timings+=("$(printf '  %-10s passed  %5d s' "$stage" "$elapsed")")
  else
    echo "== stage $stage: FAILED (exit $rc) after ${elapsed} s"
    timings+=("$(printf '  %-10s FAILED  %5d s' "$stage" "$elapsed")")
    summary
    exit 1
  fi
done
summary
if ((failed > 0)); then exit 1; fi
