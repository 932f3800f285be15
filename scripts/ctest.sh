#!/usr/bin/env bash
# Builds the core with its C++ tests (plain CMake, no Node) and runs them. GPU tests exit 77
# and show as skipped, with their reason, where there is no CUDA device.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-native -DGRAPE_BUILD_TESTS=ON -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build build-native -j "$(nproc)" > /dev/null
ctest --test-dir build-native --output-on-failure
# ctest hides a skipped test's output; say why it skipped.
for t in build-native/cuda_parity_test; do
  "$t" | grep '^SKIP' || true
done
