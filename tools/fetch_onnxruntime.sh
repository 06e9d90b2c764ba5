#!/usr/bin/env bash
# ONNX Runtime for the inference backend (src/models/dnn_net.cc), put in
# .deps/onnxruntime/{include,lib} (gitignored; $CANDOR_DEPS overrides .deps).
#
# No registry ships Microsoft's Linux release archive, so the two halves come
# from two packages, each pinned by version and SHA-256 and cached in
# .deps/sources/:
#   - the shared library libonnxruntime.so.1 (ORT 1.22.0, CPU; needs only
#     libc/libstdc++, glibc >= 2.34) from Maven Central's
#     org.bytedeco:onnxruntime:1.22.0-1.5.12:linux-x86_64 jar, with its
#     15 KB libonnxruntime_providers_shared.so, which that build dlopens as
#     it starts (it aborts without; CMakeLists.txt links it in);
#   - the C API header onnxruntime_c_api.h of the same release
#     (ORT_API_VERSION 22) from the Go module github.com/yalue/onnxruntime_go
#     v1.21.0 (its README: "uses version 1.22.0 of the onnxruntime C API
#     headers"), fetched from the Go module proxy as the zip `go mod download`
#     would fetch. The header's API version must not exceed the library's, or
#     OrtGetApiBase()->GetApi() returns NULL (DnnNet then reports it).
# Idempotent: when both installed files carry the pinned SHA-256 nothing is
# fetched; a cached source with the right checksum is reused.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
deps="${CANDOR_DEPS:-$root/.deps}"
dest="$deps/onnxruntime"
cache="$deps/sources"

ort_version=1.22.0
jar_name="onnxruntime-1.22.0-1.5.12-linux-x86_64.jar"
jar_url="https://repo1.maven.org/maven2/org/bytedeco/onnxruntime/1.22.0-1.5.12/$jar_name"
jar_sha256=c63dc03aa88656d705cb8b8c9d5647c09cbed993dba05e486e7ec20667d65945
jar_member="org/bytedeco/onnxruntime/linux-x86_64/libonnxruntime.so.1"
go_name="onnxruntime_go-v1.21.0.zip"
go_url="https://proxy.golang.org/github.com/yalue/onnxruntime_go/@v/v1.21.0.zip"
go_sha256=c36eb9f7c93b7a5f311b4b025c4ea7117a363b7421dcd4f5fa3eae056f9a16f1
go_member="github.com/yalue/onnxruntime_go@v1.21.0/onnxruntime_c_api.h"
shared_member="org/bytedeco/onnxruntime/linux-x86_64/libonnxruntime_providers_shared.so"
shared_sha256=f02d5a29cfb3647b47d491779a45e53cd2de9a9bf43be7036e2bfcd436c87e31
lib_sha256=1691231bfa47f3c9b6f1e6cbf767d0a3ca9ac51da5e97e1d5fc0b583fa3f76bd
header_sha256=d683537d0fdc29e977b5520f7f15d87a0ac212ae6d94fa9be8893a52655621ae

say() { echo "fetch_onnxruntime: $*" >&2; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
verified() { [[ -f "$1" && "$(sha "$1")" == "$2" ]]; }

lib="$dest/lib/libonnxruntime.so.1"
shared="$dest/lib/libonnxruntime_providers_shared.so"
header="$dest/include/onnxruntime_c_api.h"
if verified "$lib" "$lib_sha256" && verified "$shared" "$shared_sha256" &&
  verified "$header" "$header_sha256" &&
  [[ -L "$dest/lib/libonnxruntime.so" ]]; then
  exit 0
fi

# fetch NAME URL SHA256: the cached package, fetched and verified on need.
fetch() {
  local path="$cache/$1"
  if ! verified "$path" "$3"; then
    say "fetching $1"
    mkdir -p "$cache"
    curl -sSfL --retry 3 -o "$path.part" "$2"
    if [[ "$(sha "$path.part")" != "$3" ]]; then
      rm -f "$path.part"
      say "$1: SHA-256 is not the pinned $3; nothing installed"
      exit 1
    fi
    mv "$path.part" "$path"
  fi
  echo "$path"
}

# extract ZIP MEMBER OUT SHA256: one member, verified before it is installed.
extract() {
  local tmp
  mkdir -p "$(dirname "$3")"
  tmp=$(mktemp "$3.XXXX")
  unzip -p "$1" "$2" >"$tmp"
  if [[ "$(sha "$tmp")" != "$4" ]]; then
    rm -f "$tmp"
    say "$2 in $1: SHA-256 is not the pinned $4; nothing installed"
    exit 1
  fi
  chmod 0644 "$tmp"
  mv "$tmp" "$3"
}

jar=$(fetch "$jar_name" "$jar_url" "$jar_sha256")
go_zip=$(fetch "$go_name" "$go_url" "$go_sha256")
extract "$jar" "$jar_member" "$lib" "$lib_sha256"
extract "$jar" "$shared_member" "$shared" "$shared_sha256"
extract "$go_zip" "$go_member" "$header" "$header_sha256"
ln -sfn libonnxruntime.so.1 "$dest/lib/libonnxruntime.so"
echo "$ort_version" >"$dest/VERSION"
say "ONNX Runtime $ort_version installed in $dest"
