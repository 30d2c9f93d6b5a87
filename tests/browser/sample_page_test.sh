#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The viewer page for make_page's built-in spans (markup and `</script>` in names and
# attributes, a link between traces, an error, a Content-Security-Policy nonce), checked in
# headless Chromium with check_page.mjs. Screenshot: <work dir>/screenshots/sample.png.
# Usage: sample_page_test.sh MAKE_PAGE NODE CHECK_PAGE WORK_DIR BROWSER
set -euo pipefail
make_page="$1" node="$2" check_page="$3" work="$4" browser="$5"

mkdir -p "$work/screenshots"
"$make_page" "$work/sample.html" --expect "$work/sample-expect.json" --sample
grep -q 'nonce="' "$work/sample.html" || { echo "sample_page_test: the page has no nonce" >&2; exit 1; }
exec "$node" "$check_page" --url "file://$work/sample.html" --expect "$work/sample-expect.json" \
  --screenshot "$work/screenshots/sample.png" --browser "$browser"
