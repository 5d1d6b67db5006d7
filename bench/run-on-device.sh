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
# ATTN_BENCH=softmax|linear|all (default all); LINEAR_BENCH_ARGS, e.g.
# "--quick", go to linear_bench.py. One benchmark failing does not stop the
# other.
which=${ATTN_BENCH:-all}
case $which in
  all|softmax|linear) ;;
  *) echo "ATTN_BENCH must be softmax, linear or all, not '$which'" >&2; exit 2 ;;
esac
status=0
case $which in
  all|softmax)
    python3 .device/bench/softmax_bench.py 2>&1 | tee "$out/softmax_bench.log" ||
      { echo "softmax_bench.py failed" >&2; status=1; } ;;
esac
case $which in
  all|linear)
    # fla (flash-linear-attention's fla/ folder, copied by bench/pack.sh)
    # imports from .device/.
    PYTHONPATH="$PWD/.device${PYTHONPATH:+:$PYTHONPATH}" \
      python3 .device/bench/linear_bench.py ${LINEAR_BENCH_ARGS:-} 2>&1 |
      tee "$out/linear_bench.log" ||
      { echo "linear_bench.py failed" >&2; status=1; } ;;
esac
exit $status
