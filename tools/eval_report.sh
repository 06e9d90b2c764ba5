#!/usr/bin/env bash
# The evaluation report on the shared data, as a CI artifact:
#   tools/eval_report.sh [OUT_DIR]          (default: <build>/eval-report)
# writes OUT_DIR/eval_report.html (self-contained) and eval_report.json, with
# the raw attributes.json / detect.json and the text summaries beside them.
#
# It takes a few minutes when the embedding caches (<build>/cache/lfw.emb and
# utkface.emb, also written by `candor eval lfw` / `eval demographics`) are
# present: keep that folder between CI runs. Without them the LFW and UTKFace
# images are embedded first (about 14,000 images: many minutes on 2 cores).
#
# Environment: CANDOR_BUILD_DIR (default build), CANDOR_CACHE_DIR (default
# <build>/cache), CANDOR_WORKERS (default: all cores), CANDOR_FER_STRIDE
# (every n-th FER-2013 face per class; default 4, about 1,800 faces; 1 takes
# all 7,178), CANDOR_UTKFACE_STRIDE (every n-th UTKFace file for age and
# gender; default 1, all 6,000: the age/gender network costs ~70 ms a face).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build=${CANDOR_BUILD_DIR:-build}
out=${1:-$build/eval-report}
cache=${CANDOR_CACHE_DIR:-$build/cache}
workers=${CANDOR_WORKERS:-$(nproc)}
fer_stride=${CANDOR_FER_STRIDE:-4}
utkface_stride=${CANDOR_UTKFACE_STRIDE:-1}
candor=$build/candor
if [[ ! -x "$candor" ]]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j"$(nproc)" --target candor
fi
mkdir -p "$out" "$cache"
start=$(date +%s)
"$candor" --workers "$workers" eval attributes --fer-stride "$fer_stride" \
  --utkface-stride "$utkface_stride" \
  --json-out "$out/attributes.json" | tee "$out/attributes.txt"
"$candor" --workers "$workers" eval detect --json-out "$out/detect.json" | tee "$out/detect.txt"
"$candor" --workers "$workers" eval report --out "$out" --cache-dir "$cache" \
  --attributes "$out/attributes.json" --detect "$out/detect.json"
echo "eval report: $out/eval_report.html ($(( $(date +%s) - start )) s)"
