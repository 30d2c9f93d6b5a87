#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The page `ctxflow serve` answers at `/`, in headless Chromium: starts `ctxflow serve` on a free
# 127.0.0.1 port, runs `ctxflow demo` exporting to it over OTLP/HTTP (and writing the same spans
# to a file), works out what the page must show from that file (make_page --expect), and checks
# the served page with check_page.mjs: the trace is in the list the API answers, its waterfall
# rows are in tree order, a clicked span shows its attribute, searches filter the list, no
# console error. The screenshot is saved to <work dir>/screenshots/serve.png. Every wait is
# bounded; the server is stopped with SIGTERM (SIGKILL if it does not exit within 10 s).
# Usage: serve_page_test.sh CTXFLOW MAKE_PAGE NODE CHECK_PAGE WORK_DIR BROWSER
set -euo pipefail
ctxflow="$1" make_page="$2" node="$3" check_page="$4" work="$5" browser="$6"

mkdir -p "$work/screenshots"
out="$work/serve.out"
rm -f "$work/serve-demo.jsonl" "$out" "$work/serve-expect.json" "$work/serve-unused.html"

"$ctxflow" serve --listen 127.0.0.1:0 --quiet >"$out" 2>"$work/serve.err" &
server=$!
stop_server() {
  kill -TERM "$server" 2>/dev/null || return 0
  for _ in $(seq 100); do
    kill -0 "$server" 2>/dev/null || { wait "$server" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  kill -KILL "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
}
trap stop_server EXIT

port=""
for _ in $(seq 100); do  # at most 10 s for the first line
  port="$(sed -n '1s|^listening on http://127\.0\.0\.1:\([0-9]*\)$|\1|p' "$out")"
  [[ -n "$port" ]] && break
  kill -0 "$server" 2>/dev/null || { echo "serve_page_test: ctxflow serve exited" >&2; cat "$work/serve.err" >&2; exit 1; }
  sleep 0.1
done
[[ -n "$port" ]] || { echo "serve_page_test: ctxflow serve did not say where it listens" >&2; exit 1; }

env OTEL_TRACES_EXPORTER=otlp OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$port" \
  timeout 120 "$ctxflow" demo --ascii --out "$work/serve-demo.jsonl" >"$work/serve-demo.txt"
"$make_page" "$work/serve-unused.html" --expect "$work/serve-expect.json" "$work/serve-demo.jsonl"

"$node" "$check_page" --url "http://127.0.0.1:$port/" --expect "$work/serve-expect.json" \
  --screenshot "$work/screenshots/serve.png" --browser "$browser"
stop_server
trap - EXIT
