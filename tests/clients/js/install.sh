#!/usr/bin/env bash
# Installs the pinned AWS SDK for JavaScript from package-lock.json into
# node_modules/ (gitignored) when it is missing or older than the lock file,
# so that the client test works from a fresh clone.
set -euo pipefail
cd "$(dirname "$0")"
# npm writes node_modules/.package-lock.json on every install.
if [[ -f node_modules/.package-lock.json && ! package-lock.json -nt node_modules/.package-lock.json ]]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "js/install.sh: npm is not installed (tools/setup.sh installs it)" >&2
  exit 1
fi
echo "js/install.sh: npm ci in $(pwd)"
npm ci --no-audit --no-fund --loglevel=error
