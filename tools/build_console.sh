#!/usr/bin/env bash
# Builds the operator console (web/) into web/dist/, which `candor serve`
# serves at /console/. Idempotent and cached: npm ci runs only when
# web/node_modules is missing or older than web/package-lock.json, and the
# build only when the hash of the lock file and the console's sources
# (web/ and clients/js/candor-fields.*, which it imports) differs from the
# one recorded in web/dist/.build-stamp. A second run does no npm work.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
web="$root/web"
cd "$web"

stamp() {
  (cd "$root" && find web clients/js -type f \
      -not -path 'web/node_modules/*' -not -path 'web/dist/*' -print0 |
    LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -d' ' -f1
}
want=$(stamp)
if [[ -f dist/index.html && -f dist/.build-stamp && "$(cat dist/.build-stamp)" == "$want" ]]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "build_console.sh: npm is not installed (tools/setup.sh installs it)" >&2
  exit 1
fi
# Vite 8 needs Node.js 20.19 or newer (Debian 12's own nodejs is 18).
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
  echo "build_console.sh: Node.js $(node --version 2>/dev/null || echo '(none)') is too old: the console's" \
    "build (Vite 8) needs 20.19 or newer" >&2
  exit 1
fi
# npm writes node_modules/.package-lock.json on every install.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "build_console.sh: npm ci in web/"
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "build_console.sh: building web/ into web/dist/"
npm run --silent build
echo "$want" >dist/.build-stamp
