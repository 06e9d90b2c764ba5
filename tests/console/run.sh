#!/usr/bin/env bash
# The operator console end to end: Debian's Chromium, headless, driven by
# puppeteer-core (pinned in tests/console/package-lock.json) against a live
# `candor serve` on loopback that serves the built console (web/dist).
#
# Usage: tests/console/run.sh [path/to/candor]
#   candor: the binary (default: $CANDOR_BIN, else build/candor of this tree)
#
# Builds the console if it is not built (tools/build_console.sh, cached),
# installs puppeteer-core on first use, starts the server on a free port
# with a fresh data directory and four keys (admin+auditor, enroller+searcher,
# searcher, auditor+analyst), runs tests/console/e2e.mjs, then stops the
# server with SIGTERM and checks that it exits 0. Screenshots go to
# build/test-artifacts/console/ ($CANDOR_CONSOLE_ARTIFACTS). Fails, never
# skips, when Chromium, npm or the LFW photos are missing.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
candor=${1:-${CANDOR_BIN:-$root/build/candor}}
data=${CANDOR_DATA:-$root/../shared/data}
chromium=${CANDOR_CHROMIUM:-/usr/bin/chromium}
artifacts=${CANDOR_CONSOLE_ARTIFACTS:-$root/build/test-artifacts/console}
start_timeout_s=60
stop_timeout_s=30

fail() {
  echo "console/run.sh: FAILED: $*" >&2
  exit 1
}
[[ -x $candor ]] || fail "no candor binary at $candor (build first, or pass its path)"
[[ -x $chromium ]] || fail "no Chromium at $chromium (tools/setup.sh installs Debian's chromium)"
[[ -d $data/lfw/images ]] || fail "no LFW images in $data (set CANDOR_DATA)"
command -v npm >/dev/null || fail "npm is not installed (tools/setup.sh installs it)"
"$root/tools/build_console.sh" || fail "the console did not build"
(
  cd "$here"
  if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
    echo "console/run.sh: npm ci in tests/console"
    npm ci --no-audit --no-fund --loglevel=error
  fi
) || fail "puppeteer-core did not install"
candor=$(realpath "$candor")
data=$(realpath "$data")
mkdir -p "$artifacts"
rm -f "$artifacts"/*.png

tmp=$(mktemp -d "${TMPDIR:-/tmp}/candor-console.XXXXXX")
server_pid=
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

show_server_log() {
  echo "--- server stderr ---" >&2
  tail -n 30 "$tmp/server.err" >&2
}

# Four principals with random keys; keys.json gives them to the browser test.
python3 - "$tmp/credentials" "$tmp/keys.json" <<'PY' || exit 1
import json, os, secrets, string, sys
principals = {"admin": "admin,auditor", "officer": "enroller,searcher",
              "viewer": "searcher", "auditor": "auditor,analyst"}
keys = {}
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
with os.fdopen(fd, "w") as f:
    for name, roles in principals.items():
        key_id = "CKIA" + "".join(secrets.choice(string.ascii_uppercase + "234567") for _ in range(16))
        secret = "".join(secrets.choice(string.ascii_letters + string.digits + "+/") for _ in range(40))
        f.write(f"[{name}]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\nrole = {roles}\n")
        keys[name] = {"accessKeyId": key_id, "secretAccessKey": secret, "roles": roles}
with open(sys.argv[2], "w") as f:
    json.dump(keys, f)
PY

"$candor" serve --listen 127.0.0.1:0 --port-file "$tmp/port" --public-details \
  --credentials "$tmp/credentials" --data-dir "$tmp/data" --console-dir "$root/web/dist" \
  --access-log "$tmp/access.log" >"$tmp/server.out" 2>"$tmp/server.err" &
server_pid=$!
waited=0
while [[ ! -s $tmp/port ]]; do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    wait "$server_pid"
    echo "console/run.sh: candor serve exited with status $? before listening" >&2
    show_server_log
    server_pid=
    exit 1
  fi
  ((waited >= start_timeout_s * 10)) && { show_server_log; fail "no port file within ${start_timeout_s}s"; }
  sleep 0.1
  waited=$((waited + 1))
done
port=$(<"$tmp/port")
echo "console/run.sh: candor serve (pid $server_pid) on port $port"

started=$SECONDS
CANDOR_ENDPOINT=http://127.0.0.1:$port CANDOR_KEYS=$tmp/keys.json CANDOR_DATA=$data \
  CANDOR_CHROMIUM=$chromium CANDOR_CONSOLE_ARTIFACTS=$artifacts NO_PROXY=127.0.0.1 no_proxy=127.0.0.1 \
  node "$here/e2e.mjs"
status=$?
echo "console/run.sh: e2e.mjs exited $status after $((SECONDS - started))s; screenshots in $artifacts"

if ! kill -0 "$server_pid" 2>/dev/null; then
  wait "$server_pid"
  echo "console/run.sh: candor serve died during the test (status $?)" >&2
  show_server_log
  server_pid=
  exit 1
fi
kill -TERM "$server_pid"
waited=0
while kill -0 "$server_pid" 2>/dev/null && ((waited < stop_timeout_s * 10)); do
  sleep 0.1
  waited=$((waited + 1))
done
kill -0 "$server_pid" 2>/dev/null && { show_server_log; fail "candor serve still running after SIGTERM"; }
wait "$server_pid"
server_status=$?
server_pid=
((server_status == 0)) || { show_server_log; fail "candor serve exited $server_status after SIGTERM"; }
((status == 0)) || { show_server_log; exit "$status"; }
