#!/usr/bin/env bash
# Every test: set up, run the whole suite on the Release build, then the
# hostile-input tests again under AddressSanitizer and UBSan.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
tools/setup.sh
export PATH="$root/.venv/bin:$PATH"  # the pinned Python clients (tools/setup.sh)
release="${CANDOR_BUILD_DIR:-build}"  # what tools/setup.sh just built
ctest --test-dir "$release" --output-on-failure -j1 "$@"
if [[ -z "${CANDOR_SKIP_ASAN:-}" ]]; then
  # Only the input parsers and the tests are instrumented and compiled here
  # (CMakeLists.txt, CANDOR_SANITIZE); the rest of the library is the Release
  # build's objects (CANDOR_SANITIZE_REUSE). -g1: line tables, all a report needs.
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCANDOR_SANITIZE=ON \
    -DCANDOR_SANITIZE_REUSE="$release" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" \
    -DCANDOR_BUILD_BENCH=OFF >/dev/null
  # Build exactly the tests labelled hostile (tests/CMakeLists.txt).
  mapfile -t hostile < <(ctest --test-dir build-asan -N -L hostile | sed -n 's/^ *Test *#[0-9]*: //p')
  (( ${#hostile[@]} )) || { echo "tools/test.sh: no tests labelled hostile" >&2; exit 1; }
  cmake --build build-asan -j"$(nproc)" --target "${hostile[@]}"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -L hostile
fi
