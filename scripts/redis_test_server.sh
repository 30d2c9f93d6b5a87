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

# A port from the dynamic range (49152-65535) that nothing on 127.0.0.1 accepts connections on
# now (checked with bash's /dev/tcp, no other tool needed). Another process may still take it
# first: redis-server then exits and start() tries another port.
free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$((49152 + RANDOM % 16384))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  echo "no free port found" >&2
  return 1
}

start() {
  local port pid attempt
  for attempt in 1 2 3; do
    port="$(free_port)" || return 1
    "$binary" --port "$port" --bind 127.0.0.1 --save '' --appendonly no --loglevel warning \
      --daemonize no >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break  # exited: most likely the port was taken meanwhile
      if redis-cli -p "$port" ping 2>/dev/null | grep -q PONG; then
        echo "$port $pid"
        return 0
      fi
      sleep 0.05
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    echo "redis-server on port $port did not answer PING (attempt $attempt)" >&2
  done
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
    started="$(start)"  # fails the script (set -e) when no server came up
    read -r port pid <<<"$started"
    # Stopped on every way out: normal exit, a failing command, Ctrl-C or SIGTERM.
    trap 'stop "$pid"' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    REDIS_PORT="$port" "$@"
    ;;
  *) echo "usage: $0 start | stop <pid> | run <command...>" >&2; exit 2 ;;
esac
