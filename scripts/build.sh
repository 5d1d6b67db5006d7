#!/usr/bin/env bash
# Configures and builds attn into ./build (or $ATTN_BUILD_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${ATTN_BUILD_DIR:-build}
jobs=${ATTN_JOBS:-$(nproc)}
cmake -G Ninja -S . -B "$build" -DCMAKE_BUILD_TYPE=Release \
  -DLLVM_USE_LINKER=lld "$@"
cmake --build "$build" -j "$jobs"
