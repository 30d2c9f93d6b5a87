#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian packages ctxflow needs: the union of every scripts/deps/*.txt file (one
# package per line, `#` starts a comment). Idempotent: when everything is present it does nothing,
# not even `apt-get update`. Needs root (or password-less sudo) only when something is missing.
#
# A line may make its package conditional on a command: `npm  # if-missing: npm` installs the
# package only when no `npm` is on PATH, whoever provided it (a distribution that bundles npm with
# nodejs has one already, and there the separate package would conflict). Without the marker a
# package counts as present only when dpkg lists it as installed.
#
# Environment: CTXFLOW_SKIP_SETUP=1 skips the whole step (for machines managed by hand).
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
deps_dir="$script_dir/deps"

if [[ "${CTXFLOW_SKIP_SETUP:-0}" == 1 ]]; then
  echo "setup: skipped (CTXFLOW_SKIP_SETUP=1)"
  exit 0
fi

# Every package named in the deps files, once each, in a stable order, with the command whose
# absence it is conditional on (`-` when it is not conditional).
wanted=()
declare -A unless_command=()
while read -r pkg cmd; do
  wanted+=("$pkg")
  if [[ "$cmd" != - ]]; then unless_command[$pkg]="$cmd"; fi
done < <(cat "$deps_dir"/*.txt | awk '
  {
    cmd = "-"
    if (match($0, /#[[:space:]]*if-missing:[[:space:]]*[^[:space:]]+/)) {
      cmd = substr($0, RSTART, RLENGTH); sub(/^#[[:space:]]*if-missing:[[:space:]]*/, "", cmd)
    }
    sub(/#.*$/, ""); gsub(/[[:space:]]/, "")
    if ($0 != "" && !seen[$0]++) print $0, cmd
  }')

if ((${#wanted[@]} == 0)); then
  echo "setup: no packages listed in $deps_dir/*.txt" >&2
  exit 1
fi

missing=()
for pkg in "${wanted[@]}"; do
  if [[ -n "${unless_command[$pkg]:-}" ]] && command -v "${unless_command[$pkg]}" >/dev/null 2>&1; then
    continue  # the command is there already, from this package or another
  fi
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#wanted[@]} packages present"
  exit 0
fi

as_root=()
if ((EUID != 0)); then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
  else
    echo "setup: missing packages and not root: ${missing[*]}" >&2
    echo "setup: run as root, or install them by hand and set CTXFLOW_SKIP_SETUP=1" >&2
    exit 1
  fi
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -q
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "setup: done"
