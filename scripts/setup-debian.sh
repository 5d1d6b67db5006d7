#!/usr/bin/env bash
# Installs what attn needs on Debian 12 (bookworm): LLVM/MLIR 22 from Debian,
# a C++ toolchain, CMake, Ninja, GoogleTest. Installs only what is missing, so
# it is cheap to run before every build.
set -euo pipefail

packages=(
  build-essential cmake ninja-build python3
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools lld-22 lld
  libgtest-dev libzstd-dev zlib1g-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup-debian: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends \
  "${missing[@]}"
