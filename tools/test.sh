#!/usr/bin/env bash
# Every test: set up, run the whole suite on the Release build, then the
# hostile-input tests again under AddressSanitizer and UBSan.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
tools/setup.sh
export PATH="$root/.venv/bin:$PATH"  # the pinned Python clients (tools/setup.sh)
ctest --test-dir build --output-on-failure -j1 "$@"
if [[ -z "${CANDOR_SKIP_ASAN:-}" ]]; then
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCANDOR_SANITIZE=ON \
    -DCANDOR_BUILD_BENCH=OFF >/dev/null
  cmake --build build-asan -j"$(nproc)" --target image_decoder_test hostile_input_test \
    sigv4_test sigv4_hostile_test credentials_test requests_test image_request_test server_test stream_requests_test video_test video_requests_test
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -L hostile
fi
