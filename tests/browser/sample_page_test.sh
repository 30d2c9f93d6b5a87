#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The viewer page for make_page's built-in spans, checked in headless Chromium with
# check_page.mjs. MODE `--sample`: markup and `</script>` in names and attributes, a link between
# traces, an error, a Content-Security-Policy nonce. MODE `--sample-large`: 301 traces, one of
# 5,000 spans. Screenshot: <work dir>/screenshots/<NAME>.png.
# Usage: sample_page_test.sh MAKE_PAGE NODE CHECK_PAGE WORK_DIR BROWSER MODE NAME
set -euo pipefail
make_page="$1" node="$2" check_page="$3" work="$4" browser="$5" mode="$6" name="$7"

mkdir -p "$work/screenshots"
"$make_page" "$work/$name.html" --expect "$work/$name-expect.json" "$mode"
if [[ "$mode" == --sample ]] && ! grep -q 'nonce="' "$work/$name.html"; then
  echo "sample_page_test: the page has no nonce" >&2
  exit 1
fi
start=$SECONDS
"$node" "$check_page" --url "file://$work/$name.html" --expect "$work/$name-expect.json" \
  --screenshot "$work/screenshots/$name.png" --browser "$browser"
echo "sample_page_test: $name checked in $((SECONDS - start)) s"
