#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Starts a throw-away redis-server on a free 127.0.0.1 port (no persistence) for manual runs of
# the messaging tests or the demo, and stops it again. The GoogleTest fixture in
# tests/integrations starts its own server; this script is for everything else.
# Usage:
#   scripts/redis_test_server.sh start   prints "<port> <pid>" and leaves the server running
#   scripts/redis_test_server.sh stop <pid>
#   scripts/redis_test_server.sh run <command...>
#                                        runs the command with REDIS_PORT set, then stops it
set -euo pipefail

binary="$(command -v redis-server || true)"
[[ -n "$binary" ]] || { echo "redis-server is not installed (Debian: apt-get install redis-server)" >&2; exit 3; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start() {
  local port pid
  port="$(free_port)"
  "$binary" --port "$port" --bind 127.0.0.1 --save '' --appendonly no --loglevel warning \
    --daemonize no >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    if redis-cli -p "$port" ping >/dev/null 2>&1; then
      echo "$port $pid"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || { echo "redis-server exited" >&2; return 1; }
    sleep 0.05
  done
  kill "$pid" 2>/dev/null || true
  echo "redis-server did not answer PING" >&2
  return 1
}

stop() {
  local pid="${1:?stop needs the pid printed by start}"
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  run)
    shift
    read -r port pid < <(start)
    trap 'stop "$pid"' EXIT
    REDIS_PORT="$port" "$@"
    ;;
  *) echo "usage: $0 start | stop <pid> | run <command...>" >&2; exit 2 ;;
esac
