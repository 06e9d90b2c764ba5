#!/usr/bin/env bash
# A private PostgreSQL 15 cluster for the tests of the PostgreSQL store.
#
#   tools/pg_test_server.sh start DIR [PORT]   prints the connection URI
#   tools/pg_test_server.sh stop DIR
#
# With CANDOR_PG_STOP_WITH_PID=PID in the environment, start also leaves a
# watcher behind that stops the server and removes DIR once process PID is
# gone, so that a test binary that crashes or is killed leaves no server
# running.
#
# start: initdb (once) a cluster in DIR/data with trust authentication for the
# superuser "candor", on 127.0.0.1 only, the unix socket in DIR, fsync on,
# then starts it on PORT (or a free port chosen here) and prints
# postgresql://candor@127.0.0.1:PORT/postgres on stdout (the server's log is
# DIR/log). PostgreSQL refuses to run as root: when run as root the cluster
# belongs to the `postgres` system user (DIR is chown'ed to it and the
# commands run through runuser), otherwise to the caller.
#
# Not for anything but tests: trust authentication lets anyone who can reach
# 127.0.0.1:PORT in as the superuser. With CANDOR_PG_PASSWORD set (when the
# cluster is first made), the cluster asks for that password instead
# (scram-sha-256, also on the socket), and the URI printed carries it
# (tools/cluster.sh does this).
set -euo pipefail

usage() {
  echo "usage: $0 start DIR [PORT] | stop DIR" >&2
  exit 2
}
(($# >= 2)) || usage
cmd=$1
dir=$2
port=${3:-}

bindir=${CANDOR_PG_BINDIR:-}
if [[ -z $bindir ]]; then
  for candidate in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
    if [[ -x $candidate/initdb ]]; then
      bindir=$candidate
      break
    fi
  done
fi
if [[ -z $bindir || ! -x $bindir/initdb ]]; then
  echo "pg_test_server: no PostgreSQL server binaries (initdb) found; install postgresql-15" \
    "(tools/setup.sh does) or set CANDOR_PG_BINDIR" >&2
  exit 1
fi

as_owner=()
if [[ $(id -u) -eq 0 ]]; then
  as_owner=(runuser -u postgres --)
fi

case $cmd in
  start)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if ((${#as_owner[@]})); then
      chown postgres "$dir"
      chmod 0700 "$dir"
    fi
    auth=(-A trust)
    if [[ -n ${CANDOR_PG_PASSWORD:-} ]]; then
      auth=(-A scram-sha-256 --pwfile="$dir/pwfile")
    fi
    if [[ ! -f $dir/data/PG_VERSION ]]; then
      if [[ -n ${CANDOR_PG_PASSWORD:-} ]]; then
        (umask 077 && printf '%s\n' "$CANDOR_PG_PASSWORD" >"$dir/pwfile")
        if ((${#as_owner[@]})); then chown postgres "$dir/pwfile"; fi
      fi
      "${as_owner[@]}" "$bindir/initdb" -D "$dir/data" "${auth[@]}" -U candor -E UTF8 --locale=C \
        >"$dir/initdb.log" 2>&1 || {
        rm -f "$dir/pwfile"
        echo "pg_test_server: initdb failed; see $dir/initdb.log:" >&2
        tail -n 20 "$dir/initdb.log" >&2
        exit 1
      }
      rm -f "$dir/pwfile"
    fi
    if [[ -z $port ]]; then
      port=$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
    fi
    "${as_owner[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=on" start >/dev/null || {
      echo "pg_test_server: the server did not start; see $dir/log:" >&2
      tail -n 20 "$dir/log" >&2 || true
      exit 1
    }
    echo "$port" >"$dir/port"
    if [[ -n ${CANDOR_PG_STOP_WITH_PID:-} ]]; then
      # Detached, and holding none of this script's output open.
      setsid bash -c '
        while kill -0 "$1" 2>/dev/null; do sleep 2; done
        if [[ -f $3/data/postmaster.pid ]]; then
          "${@:4}" "$2/pg_ctl" -D "$3/data" -m immediate -w stop
        fi
        rm -rf "$3"' pg-test-server-watcher "$CANDOR_PG_STOP_WITH_PID" "$bindir" "$dir" \
        "${as_owner[@]}" </dev/null >/dev/null 2>&1 &
    fi
    if [[ -n ${CANDOR_PG_PASSWORD:-} ]]; then
      echo "postgresql://candor:$CANDOR_PG_PASSWORD@127.0.0.1:$port/postgres"
    else
      echo "postgresql://candor@127.0.0.1:$port/postgres"
    fi
    ;;
  stop)
    if [[ -f $dir/data/postmaster.pid ]]; then
      "${as_owner[@]}" "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    fi
    ;;
  *)
    usage
    ;;
esac
