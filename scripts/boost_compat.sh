#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The boost-1.74 check: builds the Asio, HTTP and Redis integrations and their tests against
# Debian 12's Boost 1.74 headers, without installing them, and runs those tests (the `faults`
# ones included). The system keeps its Boost 1.81 (scripts/deps/integrations.txt); the two -dev
# packages cannot be installed together, so libboost1.74-dev is fetched with `apt-get download`
# and unpacked under build/boost-1.74/boost-root (kept there, so a rerun skips the download).
#   1. fetch and unpack libboost1.74-dev (`apt-get update` once if the download fails)
#   2. configure build/boost-1.74 (Release, -Werror, tests, no examples or benchmarks) with
#      CMake pointed at the unpacked Boost, and check that it found 1.74
#   3. build the integration test executables (and only what they need)
#   4. ctest -L integrations; one test also checks that the compiler saw the 1.74 headers
# Usage: scripts/boost_compat.sh
# Environment: CTXFLOW_JOBS (default 2), CTXFLOW_TEST_TIMEOUT (seconds per test, default 300),
#   CTXFLOW_BOOST_COMPAT_CTEST=0 stops before step 4's ctest (scripts/test.sh runs it itself, to
#   count the tests).
# Exits non-zero when any step fails.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

jobs="${CTXFLOW_JOBS:-2}"
test_timeout="${CTXFLOW_TEST_TIMEOUT:-300}"
package=libboost1.74-dev
want_version=1.74
build=build/boost-1.74
cache="$root/$build/download"
boost_root="$root/$build/boost-root"
start=$SECONDS

step() { printf '\n== boost-1.74: %s\n' "$*"; }
fail() { echo "boost-1.74: $*" >&2; exit 1; }

# --- 1. The headers -------------------------------------------------------------------------
step "fetching $package"
mkdir -p "$cache"
deb="$(find "$cache" -maxdepth 1 -name "${package}_*.deb" -print -quit)"
if [[ -z "$deb" ]]; then
  download() { (cd "$cache" && apt-get download "$package"); }
  if ! download; then
    echo "apt-get download failed; updating the package lists once and retrying"
    apt-get update || fail "apt-get update failed (run as root, or with the package lists present)"
    download || fail "could not download $package"
  fi
  deb="$(find "$cache" -maxdepth 1 -name "${package}_*.deb" -print -quit)"
  [[ -n "$deb" ]] || fail "apt-get download left no ${package}_*.deb in $cache"
else
  echo "cached: ${deb#"$root"/}"
fi

stamp="$boost_root/.unpacked-from"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$(basename "$deb")" ]]; then
  step "unpacking $(basename "$deb")"
  rm -rf "$boost_root"
  mkdir -p "$boost_root"
  dpkg-deb -x "$deb" "$boost_root" || fail "dpkg-deb could not unpack $deb"
  basename "$deb" >"$stamp"
fi
include_dir="$boost_root/usr/include"
config_dir="$(find "$boost_root/usr/lib" -maxdepth 3 -type d -name "Boost-${want_version}*" -print -quit)"
[[ -f "$include_dir/boost/version.hpp" ]] || fail "no boost/version.hpp under $include_dir"
[[ -n "$config_dir" && -f "$config_dir/BoostConfig.cmake" ]] ||
  fail "no BoostConfig.cmake for $want_version under $boost_root/usr/lib"
header_version="$(sed -n 's/^#define BOOST_LIB_VERSION "\(.*\)"$/\1/p' "$include_dir/boost/version.hpp")"
[[ "$header_version" == "${want_version/./_}" ]] ||
  fail "the unpacked headers are Boost '$header_version', not $want_version"
echo "Boost $header_version headers: ${include_dir#"$root"/}"

# --- 2. Configure ---------------------------------------------------------------------------
step "configuring $build"
log="$root/$build/configure.log"
if ! cmake -S . -B "$build" -G Ninja \
    -DCTXFLOW_WITH_ASIO=ON -DCTXFLOW_WITH_OTLP_HTTP=ON -DCTXFLOW_WERROR=ON \
    -DCTXFLOW_BUILD_TESTS=ON -DCTXFLOW_BUILD_EXAMPLES=OFF -DCTXFLOW_BUILD_BENCHMARKS=OFF \
    -DCMAKE_BUILD_TYPE=Release \
    -DBoost_ROOT="$boost_root/usr" -DBoost_DIR="$config_dir" -DBoost_NO_SYSTEM_PATHS=ON \
    -DCMAKE_PREFIX_PATH="$boost_root/usr" >"$log" 2>&1; then
  cat "$log"
  fail "configure failed"
fi
found="$(sed -n 's/^-- ctxflow: Boost \([0-9.]*\) headers in \(.*\)$/\1 \2/p' "$log" | tail -n 1)"
echo "CMake found Boost ${found:-(nothing)}"
read -r found_version found_include <<<"${found:-none none}"
[[ "$found_version" == "$want_version".* ]] ||
  fail "CMake configured Boost '$found_version', expected $want_version"
[[ "$found_include" == "$include_dir" ]] ||
  fail "CMake took the Boost headers from $found_include, not from $include_dir"

# --- 3. Build -------------------------------------------------------------------------------
# The test executables of tests/integrations; their helper processes are dependencies of them.
mapfile -t targets < <(sed -n 's/^ctxflow_add_test(\([A-Za-z0-9_]*\).*/\1/p' \
  tests/integrations/CMakeLists.txt)
((${#targets[@]} > 0)) || fail "no test targets found in tests/integrations/CMakeLists.txt"
step "building ${targets[*]} (-j $jobs)"
cmake --build "$build" -j "$jobs" --target "${targets[@]}" || fail "the build failed"

# --- 4. Test --------------------------------------------------------------------------------
# asio_integration_tests static_asserts that BOOST_VERSION is the version CMake found; its
# BoostHeaders test prints the headers' version.
step "checking the headers the tests were compiled with"
checker="$(find "$build/tests/integrations" -maxdepth 1 -type f -name asio_integration_tests -print -quit)"
[[ -n "$checker" ]] || fail "asio_integration_tests was not built"
seen="$("$checker" --gtest_filter='BoostHeaders.*' | sed -n 's/^\[ boost \] headers \([0-9_]*\),.*/\1/p')"
[[ "$seen" == "${want_version/./_}" ]] || fail "the tests were compiled with Boost '$seen' headers"
echo "compiled with Boost $seen headers"

if [[ "${CTXFLOW_BOOST_COMPAT_CTEST:-1}" == 0 ]]; then
  echo "boost-1.74: built with Boost $found_version; ctest left to the caller"
  exit 0
fi
step "ctest -L integrations"
ctest_log="$root/$build/ctest.log"
rc=0
ctest --test-dir "$build" -L integrations --output-on-failure --no-tests=error -j "$jobs" \
  --timeout "$test_timeout" 2>&1 | tee "$ctest_log" || rc=$?
summary="$(grep -E '^[0-9]+% tests passed' "$ctest_log" | tail -n 1 || true)"
elapsed=$((SECONDS - start))
echo
echo "boost-1.74: ${summary:-no ctest summary} (${elapsed} s in all)"
((rc == 0)) || fail "ctest failed"
[[ -n "$summary" ]] || fail "ctest printed no summary"
echo "boost-1.74: passed with Boost $found_version"
