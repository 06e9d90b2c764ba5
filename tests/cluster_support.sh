# Sourced by the cluster tests (cluster_pg_test.sh, cluster_kill_pg_test.sh,
# cluster_outage_pg_test.sh): a private PostgreSQL cluster
# (tools/pg_test_server.sh) and `candor serve --store` nodes on it, each on
# a loopback port and a data directory of its own, and calls to them.
#
# The sourcing script sets $candor (the binary) and $root (the repository)
# first; sourcing sets $data (the shared data: ${CANDOR_DATA:-../shared/data}),
# $tmp and $pgdir (private directories), installs an EXIT trap that kills the
# nodes, stops PostgreSQL and removes both, and sources check.sh.
#   cluster_pg_start      starts PostgreSQL; sets $db_uri; returns 1 if not.
#   cluster_pg_restart [SECONDS]  stops it (fast shutdown: sessions are
#                         terminated) and, after SECONDS (default 0), starts
#                         it again on the same data directory and port.
#   serve NAME [ARGS...]  starts (or restarts) node NAME: its data directory
#                         $tmp/NAME, stderr appended to $tmp/NAME.log, its
#                         pid in ${node_pid[NAME]}; waits for its port file
#                         ($tmp/NAME.port) and sets ${node_port[NAME]}.
#   kill_node NAME        kill -9, and waits for it.
#   call PORT OPERATION JSON   the service's answer on stdout.
#   image FILE            {"Bytes": base64} for a request.
#   metric PORT NAME      one value of the node's /metrics.
#   jqt ARGS...           jq -e, quietly.
tmp=$(mktemp -d /tmp/candor-cluster-XXXXXX)
pgdir=$(mktemp -d /tmp/candor-pg-XXXXXX)  # its own: the server may run as another user
data="${CANDOR_DATA:-$root/../shared/data}"
declare -A node_pid node_port
# Other processes of the sourcing script (clients), killed at exit too.
pids=()
cluster_cleanup() {
  for p in "${node_pid[@]}" "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  "$root/tools/pg_test_server.sh" stop "$pgdir" >/dev/null 2>&1
  if ((${failed:-0} > 0)); then
    for f in "$tmp"/*.log; do
      [[ -f $f ]] || continue
      echo "--- $f (last lines) ---" >&2
      tail -n 15 "$f" >&2
    done
  fi
  rm -rf "$tmp" "$pgdir"
}
trap cluster_cleanup EXIT
trap 'exit 130' INT TERM
source "$root/tests/check.sh"

cluster_pg_start() {
  local uri
  uri=$(CANDOR_PG_STOP_WITH_PID=$$ "$root/tools/pg_test_server.sh" start "$pgdir") || return 1
  db_uri="${uri%/postgres}/postgres"
}

cluster_pg_restart() {
  local pg_port
  pg_port=$(cat "$pgdir/port")
  "$root/tools/pg_test_server.sh" stop "$pgdir" >/dev/null
  sleep "${1:-0}"
  "$root/tools/pg_test_server.sh" start "$pgdir" "$pg_port" >/dev/null
}

serve() {
  local name=$1
  shift
  mkdir -p "$tmp/$name"
  rm -f "$tmp/$name.port"
  "$candor" serve --data-dir "$tmp/$name" --store "$db_uri" --allow-anonymous \
    --listen 127.0.0.1:0 --port-file "$tmp/$name.port" "$@" 2>>"$tmp/$name.log" &
  node_pid[$name]=$!
  for _ in $(seq 1 600); do
    [[ -s $tmp/$name.port ]] && break
    kill -0 "${node_pid[$name]}" 2>/dev/null || break
    sleep 0.1
  done
  if [[ ! -s $tmp/$name.port ]]; then
    echo "node $name did not start:" >&2
    tail -n 20 "$tmp/$name.log" >&2
    return 1
  fi
  node_port[$name]=$(cat "$tmp/$name.port")
}

kill_node() {
  kill -KILL "${node_pid[$1]}"
  wait "${node_pid[$1]}" 2>/dev/null
  unset "node_pid[$1]"
}

call() {
  curl -s -X POST "http://127.0.0.1:$1/" -H "X-Amz-Target: RekognitionService.$2" \
    -H "Content-Type: application/x-amz-json-1.1" --data-binary @- <<<"$3"
}
jqt() { jq -e "$@" >/dev/null; }
image() { printf '{"Bytes":"%s"}' "$(base64 -w0 "$1")"; }
metric() { curl -s "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1 == m {print $2}'; }
