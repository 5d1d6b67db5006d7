#!/usr/bin/env bash
# Packs what the benchmarks need on a GPU machine without LLVM into .device/
# (see scripts/device-pack.sh): the self-contained tools plus libattn-c.so and
# the benchmark scripts. Then, on the GPU machine, from the repository root:
#
#   bench/run-on-device.sh            # prints the tables, logs under $OUT
#   ATTN_BENCH=linear bench/run-on-device.sh   # only the linear family
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
# flash-linear-attention's fla/ source folder, the peer of linear_bench.py
# (pure Python + Triton; never committed here), imported as `fla` with
# PYTHONPATH=.device. Its layers/ and models/ (optional in fla/__init__.py,
# they pull in transformers) are left out: the benchmark uses fla.ops only.
fla_src=${FLA_SRC:-/work/fla-src/fla}
rm -rf .device/fla
if [ -d "$fla_src" ]; then
  mkdir -p .device/fla
  tar -C "$fla_src" --exclude=__pycache__ --exclude=./layers --exclude=./models \
    -cf - . | tar -C .device/fla -xf -
  du -sh .device/fla
else
  echo "pack.sh: warning: no fla source at $fla_src (set FLA_SRC): linear_bench.py runs without its peer" >&2
fi
du -sh .device/lib/*
