#!/usr/bin/env bash
# The test command: sets up a fresh Debian 12 machine, builds attn and runs
# every test (lit suites and GoogleTest) through CTest. GPU tests skip
# visibly where there is no GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-debian.sh
scripts/build.sh
ctest --test-dir "${ATTN_BUILD_DIR:-build}" --output-on-failure -j "${ATTN_JOBS:-$(nproc)}"
