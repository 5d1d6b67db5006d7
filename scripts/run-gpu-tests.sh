#!/usr/bin/env bash
# Runs on the GPU machine (copied to .device/ by scripts/device-pack.sh):
# unpacks the binaries and runs the GPU suite and an attention-run check.
# Usage: .device/run-gpu-tests.sh [gtest filter]; results and logs go to
# $OUT when set (the device tool's output folder), else /tmp/attn-gpu.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/attn-gpu}
bin=/tmp/attn-bin
mkdir -p "$bin" "$out"
for f in "$here"/bin/*.xz; do
  xz -dc "$f" >"$bin/$(basename "$f" .xz)"
  chmod +x "$bin/$(basename "$f" .xz)"
done
export ATTN_EXAMPLES_DIR="$here/examples"
export XDG_CACHE_HOME=/tmp/attn-cache
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true
filter=${1:-*}
"$bin/JITTests" --gtest_filter="$filter" --gtest_brief=1 \
  --gtest_output="xml:$out/gpu-tests.xml" 2>&1 | tee "$out/gpu-tests.log"
status=${PIPESTATUS[0]}
for spec in softmax_causal sliding_window; do
  "$bin/attention-run" "$here/examples/$spec.mlir" --random-inputs --check \
    --q-heads 4 --kv-heads 2 --len 1000 --time 20 2>&1 | tee -a "$out/attention-run.log"
done
exit "$status"
