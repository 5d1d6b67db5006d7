#!/usr/bin/env bash
# Runs on the GPU machine, from the repository root, after bench/pack.sh made
# .device/ here and it travelled: unpacks libattn-c and runs the benchmarks
# with the peers in the same process. Writes logs and JSON under $OUT.
set -euo pipefail
out=${OUT:-/tmp}
for f in .device/lib/*.xz .device/bin/*.xz; do
  [ -e "$f" ] && xz -dkf "$f"
done
chmod +x .device/bin/* 2>/dev/null || true
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv | tee "$out/gpu.txt"
export ATTN_LIB=$PWD/.device/lib/libattn-c.so
export PYTHONUNBUFFERED=1
python3 .device/bench/softmax_bench.py 2>&1 | tee "$out/softmax_bench.log"
