# A live `candor serve` on a free loopback port for a test script: sourced
# by tests/clients/run_client.sh and tests/console/run.sh.
#
# The sourcing script sets $candor (the binary) and $tmp (a private
# directory) first; sourcing installs an EXIT trap that kills the server if
# it still runs and removes $tmp.
#   live_server_start ARGS...  starts `$candor serve --listen 127.0.0.1:0
#                              --port-file $tmp/port ARGS...` (output in
#                              $tmp/server.out and .err); sets server_pid and
#                              port; returns 1, having said why, when it
#                              exits or writes no port within 60 s.
#   live_server_alive          returns 1, having said so, when it died.
#   live_server_stop           SIGTERM; returns 1, having said why, unless it
#                              exits 0 within 30 s.
#   show_server_log            the end of its stderr and access log.
# Messages are prefixed with the sourcing script's name.

server_pid=
port=
live_server_name=${0##*/}

show_server_log() {
  echo "--- server stderr ($tmp/server.err) ---" >&2
  tail -n 40 "$tmp/server.err" >&2
  if [[ -s $tmp/access.log ]]; then
    echo "--- last requests ($tmp/access.log) ---" >&2
    tail -n 5 "$tmp/access.log" >&2
  fi
}

live_server_kill() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
  fi
  server_pid=
}

live_server_start() {
  "$candor" serve --listen 127.0.0.1:0 --port-file "$tmp/port" "$@" \
    >"$tmp/server.out" 2>"$tmp/server.err" &
  server_pid=$!
  local waited=0
  while [[ ! -s $tmp/port ]]; do
    if ! kill -0 "$server_pid" 2>/dev/null; then
      wait "$server_pid"
      echo "$live_server_name: candor serve exited with status $? before listening" >&2
      show_server_log
      server_pid=
      return 1
    fi
    if ((waited >= 600)); then
      echo "$live_server_name: candor serve wrote no port file within 60s" >&2
      show_server_log
      return 1
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  port=$(<"$tmp/port")
}

live_server_alive() {
  kill -0 "$server_pid" 2>/dev/null && return 0
  wait "$server_pid"
  echo "$live_server_name: candor serve died (status $?)" >&2
  show_server_log
  server_pid=
  return 1
}

# Graceful stop: SIGTERM, and the server must exit 0.
live_server_stop() {
  live_server_alive || return 1
  kill -TERM "$server_pid"
  local waited=0
  while kill -0 "$server_pid" 2>/dev/null && ((waited < 300)); do
    sleep 0.1
    waited=$((waited + 1))
  done
  if kill -0 "$server_pid" 2>/dev/null; then
    echo "$live_server_name: candor serve still running 30s after SIGTERM" >&2
    show_server_log
    return 1
  fi
  wait "$server_pid"
  local status=$?
  server_pid=
  if ((status != 0)); then
    echo "$live_server_name: candor serve exited $status after SIGTERM, expected 0" >&2
    show_server_log
    return 1
  fi
}

# shellcheck disable=SC2317  # run by the EXIT trap
live_server_cleanup() {
  live_server_kill
  rm -rf "$tmp"
}
trap live_server_cleanup EXIT
trap 'exit 130' INT TERM
