#!/usr/bin/env bash
# Packs what the benchmarks need on a GPU machine without LLVM into .device/
# (see scripts/device-pack.sh): the self-contained tools plus libattn-c.so and
# the benchmark scripts. Then, on the GPU machine, from the repository root:
#
#   bench/run-on-device.sh            # prints the tables, logs under $OUT
set -euo pipefail
cd "$(dirname "$0")/.."
build=${ATTN_STATIC_BUILD_DIR:-build-static}
scripts/device-pack.sh
cmake --build "$build" -j "${ATTN_JOBS:-2}" --target attn-c
mkdir -p .device/lib .device/bench
# A call carries at most 64 MiB: the AOT tool is not needed there.
rm -f .device/bin/attention-compile.xz
lib=$(readlink -f "$build/lib/libattn-c.so")
strip -o .device/lib/libattn-c.so "$lib"
xz -T2 -6 -f .device/lib/libattn-c.so
cp bench/*.py bench/run-on-device.sh .device/bench/
du -sh .device/lib/*
