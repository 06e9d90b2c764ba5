#!/usr/bin/env bash
# A Candor cluster on this machine: PostgreSQL (Debian's postgresql-15) on
# loopback and N `candor serve` nodes that share it, each on its own port.
#
#   tools/cluster.sh start [N]   set up, then start PostgreSQL and N nodes (default 3);
#                                prints how to point the AWS CLI at each node
#   tools/cluster.sh status      each node's process, health and sync lag
#   tools/cluster.sh stop        stops the nodes, then PostgreSQL
#
# Everything lives in $CANDOR_CLUSTER_DIR (default ./candor-cluster):
# pg/ (the database cluster, password authentication, a random password in
# pg-password), credentials (a copy of the admin key that the first start
# creates in the database and prints once, for the AWS CLI; the nodes read
# the keys from the database), node-I/ (each node's data directory: its
# audit signing key) and
# node-I.log. Node I listens on 127.0.0.1:$((CANDOR_CLUSTER_PORT + I - 1))
# (default 8081, 8082, ...), PostgreSQL on $CANDOR_CLUSTER_PG_PORT (55432).
# start is idempotent: what runs is left running, what is missing is started.
# CANDOR_BINARY=PATH runs that candor binary and skips set-up (the test does).
#
# For trying a cluster out on one machine, not for production: the nodes
# speak plain HTTP (put TLS in front, README "TLS in front") and the
# database runs on the same machine. Access keys, video jobs, stream
# processors and the audit log are the database's; the audit log is one
# chain: `candor audit verify --store URI --key node-1/audit-signing.key
# --key node-2/...` checks it.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=${CANDOR_CLUSTER_DIR:-$root/candor-cluster}
base_port=${CANDOR_CLUSTER_PORT:-8081}
pg_port=${CANDOR_CLUSTER_PG_PORT:-55432}
candor=${CANDOR_BINARY:-$root/build/candor}

usage() {
  echo "usage: $0 start [NODES] | status | stop" >&2
  exit 2
}

node_pid() {  # node_pid I: the pid of node I if it is running
  local f=$dir/node-$1.pid
  [[ -f $f ]] && kill -0 "$(cat "$f")" 2>/dev/null && cat "$f"
}

nodes() {  # the node numbers that have a data directory
  local d
  for d in "$dir"/node-*/; do
    [[ -d $d ]] && basename "$d" | sed 's/^node-//'
  done | sort -n
}

database_uri() {
  echo "postgresql://candor:$(cat "$dir/pg-password")@127.0.0.1:$pg_port/candor"
}

start() {
  local count=${1:-3}
  [[ $count =~ ^[1-9][0-9]?$ ]] || usage
  if [[ -z ${CANDOR_BINARY:-} ]]; then
    "$root/tools/setup.sh"
  fi
  mkdir -p "$dir"
  chmod 711 "$dir"  # PostgreSQL runs as its own user and must reach pg/
  if [[ ! -s $dir/pg-password ]]; then
    (umask 077 && openssl rand -hex 24 >"$dir/pg-password")
  fi
  local admin_uri
  admin_uri=$(CANDOR_PG_PASSWORD=$(cat "$dir/pg-password") \
    "$root/tools/pg_test_server.sh" start "$dir/pg" "$pg_port")
  if [[ $(psql "$admin_uri" -tAc "SELECT 1 FROM pg_database WHERE datname = 'candor'") != 1 ]]; then
    psql "$admin_uri" -qc "CREATE DATABASE candor" >/dev/null
  fi
  local uri
  uri=$(database_uri)
  # The access keys are the database's (every node reads them there). The
  # first start creates an admin key there and keeps a copy for the AWS CLI
  # in $dir/credentials; a cluster made before the keys moved to the
  # database has its file's keys imported, once.
  local key="" keys
  keys=$("$candor" keys list --store "$uri")
  if [[ -z $keys && -s $dir/credentials ]]; then
    "$candor" keys import --credentials "$dir/credentials" --store "$uri"
  elif [[ -z $keys ]]; then
    key=$("$candor" keys create --store "$uri" --principal admin \
      --role admin,enroller,searcher,analyst,auditor)
    (umask 077 && printf '[admin]\n%s\nrole = admin,enroller,searcher,analyst,auditor\n' \
      "$key" >"$dir/credentials")
  fi
  local i port
  for ((i = 1; i <= count; i++)); do
    port=$((base_port + i - 1))
    if node_pid "$i" >/dev/null; then
      continue
    fi
    mkdir -p "$dir/node-$i"
    chmod 700 "$dir/node-$i"
    setsid "$candor" serve --data-dir "$dir/node-$i" --store "$uri" \
      --listen "127.0.0.1:$port" \
      </dev/null >>"$dir/node-$i.log" 2>&1 &
    echo $! >"$dir/node-$i.pid"
  done
  for ((i = 1; i <= count; i++)); do
    port=$((base_port + i - 1))
    local ok=""
    for _ in $(seq 1 300); do
      if curl -sf "http://127.0.0.1:$port/health" >/dev/null; then
        ok=1
        break
      fi
      node_pid "$i" >/dev/null || break
      sleep 0.2
    done
    if [[ -z $ok ]]; then
      echo "cluster: node $i did not start; the end of $dir/node-$i.log:" >&2
      tail -n 20 "$dir/node-$i.log" >&2
      exit 1
    fi
  done
  echo "cluster: PostgreSQL on 127.0.0.1:$pg_port (database candor, state in $dir/pg)"
  if [[ -n $key ]]; then
    local id secret
    id=$(sed -n 's/^aws_access_key_id = //p' <<<"$key")
    secret=$(sed -n 's/^aws_secret_access_key = //p' <<<"$key")
    echo "cluster: created an access key for principal \"admin\" in the database, a copy in $dir/credentials (shown once):"
    echo "  export AWS_ACCESS_KEY_ID=$id AWS_SECRET_ACCESS_KEY=$secret AWS_DEFAULT_REGION=us-east-1"
  else
    echo "cluster: access keys in the database (add one: build/candor keys create --store postgresql://candor:\$(cat $dir/pg-password)@127.0.0.1:$pg_port/candor ...)"
  fi
  for ((i = 1; i <= count; i++)); do
    port=$((base_port + i - 1))
    echo "node $i: aws rekognition list-collections --endpoint-url http://127.0.0.1:$port" \
      " (console: http://127.0.0.1:$port/console/, log: $dir/node-$i.log)"
  done
}

status() {
  local i port pid lag
  for i in $(nodes); do
    port=$((base_port + i - 1))
    if pid=$(node_pid "$i"); then
      lag=$(curl -s "http://127.0.0.1:$port/metrics" |
        awk '$1 == "candor_store_sync_lag_changes" {print $2}')
      echo "node $i: pid $pid, http://127.0.0.1:$port, $(curl -s "http://127.0.0.1:$port/health")," \
        "changes behind: ${lag:-?}"
    else
      echo "node $i: stopped"
    fi
  done
  if [[ -f $dir/pg/data/postmaster.pid ]]; then
    echo "PostgreSQL: running on 127.0.0.1:$pg_port"
  else
    echo "PostgreSQL: stopped"
  fi
}

stop() {
  local i pid
  for i in $(nodes); do
    if pid=$(node_pid "$i"); then
      kill -TERM "$pid"
      for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
    fi
    rm -f "$dir/node-$i.pid"
  done
  if [[ -d $dir/pg ]]; then
    "$root/tools/pg_test_server.sh" stop "$dir/pg"
  fi
  echo "cluster: stopped (state kept in $dir)"
}

case ${1:-} in
  start) start "${2:-3}" ;;
  status) status ;;
  stop) stop ;;
  *) usage ;;
esac
