#!/usr/bin/env bash
# The main job: sets up a fresh Debian 12 machine, builds attn, shows what the
# compiler makes of an example spec, and runs it on random inputs with the
# fp64 reference executor.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-debian.sh
scripts/build.sh
spec=${1:-examples/sliding_window.mlir}
bin=${ATTN_BUILD_DIR:-build}/bin

echo "== $spec, canonicalized by attention-opt"
"$bin/attention-opt" "$spec" -canonicalize

echo "== its inputs"
"$bin/attention-run" "$spec" --list-inputs

echo "== run on random inputs (B=1, Hq=4, Hkv=2, N=257) with the fp64 reference"
"$bin/attention-run" "$spec" --reference --random-inputs --seed 1 \
  --batch 1 --q-heads 4 --kv-heads 2 --len 257

echo "== compiled by attn-lower-to-nvvm: plan and tiles skipped"
"$bin/attention-opt" "$spec" --attn-lower-to-nvvm='explain=true' -o /dev/null 2>&1 |
  grep -E 'remark' || true

if "$bin/attention-run" "$spec" --random-inputs --seed 1 --len 17 --check \
     >/dev/null 2>&1; then
  echo "== on the GPU, checked against the fp64 reference (N=4097)"
  "$bin/attention-run" "$spec" --random-inputs --seed 1 --batch 1 \
    --q-heads 4 --kv-heads 2 --len 4097 --check --time 20
else
  echo "== no usable GPU here; on one, this step compiles the spec to a kernel,"
  echo "   runs it and checks it against the reference:"
  "$bin/attention-run" "$spec" --random-inputs --len 17 --check 2>&1 | head -3 || true
fi
