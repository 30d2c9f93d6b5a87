#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The demo's trace on the HTML viewer page in headless Chromium: runs `ctxflow demo`, makes the
# page from the spans it wrote with `ctxflow view --html`, works out what the page must show
# from the same file (make_page --expect, independently of the page's script), and
# checks the page with check_page.mjs: the waterfall rows in tree order, collapsing, a clicked
# span's attribute, searches, no console error. The screenshot is saved to
# <work dir>/screenshots/demo.png.
# Usage: demo_page_test.sh CTXFLOW MAKE_PAGE NODE CHECK_PAGE WORK_DIR BROWSER
set -euo pipefail
ctxflow="$1" make_page="$2" node="$3" check_page="$4" work="$5" browser="$6"

mkdir -p "$work/screenshots"
rm -f "$work/demo.jsonl" "$work/demo.html" "$work/demo-expect.json"
"$ctxflow" demo --ascii --out "$work/demo.jsonl" >"$work/demo.txt"
"$ctxflow" view --html "$work/demo.html" "$work/demo.jsonl" >"$work/demo-view.txt"
"$make_page" "$work/demo-expected-page.html" --expect "$work/demo-expect.json" "$work/demo.jsonl"
# The demo prints its trace id; the page must show that trace.
trace_id="$(sed -n 's/^trace \([0-9a-f]\{32\}\) .*/\1/p' "$work/demo.txt" | head -n 1)"
if [[ -z "$trace_id" ]] || ! grep -q "\"traceId\":\"$trace_id\"" "$work/demo-expect.json"; then
  echo "demo_page_test: the demo's trace '$trace_id' is not the one make_page chose" >&2
  cat "$work/demo.txt" "$work/demo-expect.json" >&2
  exit 1
fi
exec "$node" "$check_page" --url "file://$work/demo.html" --expect "$work/demo-expect.json" \
  --screenshot "$work/screenshots/demo.png" --browser "$browser"
