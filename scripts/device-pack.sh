#!/usr/bin/env bash
# Builds self-contained (ATTN_STATIC_LLVM=ON) attention-run, attention-compile
# and the GPU test binary into build-static/, strips and xz-compresses them
# into .device/ with the examples and run-gpu-tests.sh, ready to travel to a
# GPU machine that has a CUDA driver but no LLVM (DESIGN §7):
#
#   scripts/device-pack.sh            # then, on the GPU machine, from the
#   .device/run-gpu-tests.sh          # repository root: unpack and run
set -euo pipefail
cd "$(dirname "$0")/.."
build=${ATTN_STATIC_BUILD_DIR:-build-static}
jobs=${ATTN_JOBS:-2}
out=.device

cmake -G Ninja -S . -B "$build" -DCMAKE_BUILD_TYPE=Release \
  -DLLVM_USE_LINKER=lld -DATTN_STATIC_LLVM=ON >/dev/null
cmake --build "$build" -j "$jobs" --target attention-run attention-compile \
  JITTests

grep -qx '/.device/' .git/info/exclude 2>/dev/null ||
  echo '/.device/' >>.git/info/exclude
rm -rf "$out" && mkdir -p "$out/bin"
for binary in "$build/bin/attention-run" "$build/bin/attention-compile" \
  "$build/unittests/JIT/JITTests"; do
  name=$(basename "$binary")
  strip -o "$out/bin/$name" "$binary"
  xz -T2 -6 -f "$out/bin/$name"
done
cp -r examples "$out/examples"
cp scripts/run-gpu-tests.sh "$out/run-gpu-tests.sh"
# What the binaries need beyond glibc/libstdc++: nothing from LLVM.
if ldd "$build/bin/attention-run" | grep -Ei 'llvm|mlir|z3|zstd'; then
  echo "device-pack: attention-run still links LLVM/z3/zstd dynamically" >&2
  exit 1
fi
du -sh "$out"/bin/*
