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
# Starts and stops the server; removes $tmp at exit.
# shellcheck source=tests/live_server.sh
source "$here/../live_server.sh"

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

# The stored-video job reads its clip as S3Object clips/short_hamilton_clip.mp4.
mkdir -p "$tmp/s3/clips"
cp "$data/video/short_hamilton_clip.mp4" "$tmp/s3/clips/" || fail "no video/short_hamilton_clip.mp4 in $data"
# The evaluation report is made by tools/eval_report.sh (minutes); the
# console's handling of it is tested with a page of the same kind: inline
# style, inline SVG.
cat >"$tmp/eval_report.html" <<'HTML'
<!doctype html><html><head><meta charset="utf-8"><title>Evaluation report (test page)</title>
<style>h1 { color: rgb(11, 92, 173); }</style></head>
<body><h1>Candor evaluation report</h1><svg width="10" height="10"><rect width="10" height="10"/></svg></body></html>
HTML
live_server_start --eval-report "$tmp/eval_report.html" --public-details --credentials "$tmp/credentials" --data-dir "$tmp/data" \
  --console-dir "$root/web/dist" --s3-root "$tmp/s3" --access-log "$tmp/access.log" || exit 1
echo "console/run.sh: candor serve (pid $server_pid) on port $port"

started=$SECONDS
CANDOR_ENDPOINT=http://127.0.0.1:$port CANDOR_KEYS=$tmp/keys.json CANDOR_DATA=$data \
  CANDOR_CHROMIUM=$chromium CANDOR_CONSOLE_ARTIFACTS=$artifacts NO_PROXY=127.0.0.1 no_proxy=127.0.0.1 \
  node "$here/e2e.mjs"
status=$?
echo "console/run.sh: e2e.mjs exited $status after $((SECONDS - started))s; screenshots in $artifacts"

live_server_stop || exit 1
((status == 0)) || { show_server_log; exit "$status"; }
# Everything the browser did is in an audit log whose chain verifies.
"$candor" audit verify --data-dir "$tmp/data" >"$tmp/verify.out" 2>&1 ||
  { cat "$tmp/verify.out" >&2; fail "the audit log does not verify after the test"; }
