#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian packages ctxflow needs: the union of every scripts/deps/*.txt file (one
# package per line, `#` starts a comment). Idempotent: when everything is present it does nothing,
# not even `apt-get update`. Needs root (or password-less sudo) only when something is missing.
#
# Environment: CTXFLOW_SKIP_SETUP=1 skips the whole step (for machines managed by hand).
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
deps_dir="$script_dir/deps"

if [[ "${CTXFLOW_SKIP_SETUP:-0}" == 1 ]]; then
  echo "setup: skipped (CTXFLOW_SKIP_SETUP=1)"
  exit 0
fi

# Every package named in the deps files, once each, in a stable order.
wanted=()
while IFS= read -r pkg; do
  wanted+=("$pkg")
done < <(cat "$deps_dir"/*.txt | sed -e 's/#.*$//' -e 's/[[:space:]]//g' | awk 'NF && !seen[$0]++')

if ((${#wanted[@]} == 0)); then
  echo "setup: no packages listed in $deps_dir/*.txt" >&2
  exit 1
fi

missing=()
for pkg in "${wanted[@]}"; do
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
