#!/usr/bin/env bash
# The checks that need a GPU, for a session lent one (docs/native.md "Checking the CUDA path").
#   scripts/gpu-check.sh pack   here: packs .gpu/ (git-ignored) — Node, the addon built here, the
#                               GPU-relevant tests and benchmarks bundled, the PyTorch anchor
#   scripts/gpu-check.sh run    on the GPU machine (no Node, no node_modules there), with .gpu
#                               carried: ctest with CUDA (parity), the addon's tests forced onto
#                               CUDA, loss/gradients against PyTorch, tpo-head beside the anchor.
# Logs and JSON lines go to $OUT (or .gpu/out).
set -uo pipefail
cd "$(dirname "$0")/.."

pack() {
  set -e
  mkdir -p .gpu/tests
  [ .gpu/node.xz -nt "$(command -v node)" ] || xz -T0 -c "$(command -v node)" > .gpu/node.xz
  # The addon as npm install builds it here (cmake-js, CUDA compiled, cudart static).
  GRAPE_BUILD=cmake node scripts/build-native.mjs
  node -e "const b = require('./build-cmake/Release/grape.node').buildInfo();
    if (!b.cuda) throw new Error('this addon was built without CUDA (is nvcc on PATH?)');"
  cp build-cmake/Release/grape.node .gpu/grape.node
  local esbuild=(node_modules/.bin/esbuild --bundle --platform=node --format=esm --log-level=warning)
  # The two tpo-head workloads alone: bench/run.ts would pull every workload's dependencies in.
  echo "import { tpoHead } from './bench/tpo-head.ts'; import { tpoHeadCheck } from './bench/tpo-head-check.ts';
    await (process.argv[2] === 'tpo-head-check' ? tpoHeadCheck() : tpoHead());" |
    "${esbuild[@]}" --sourcefile=gpu-bench.ts --loader=ts --outfile=.gpu/bench.mjs
  for t in native-head native-trainer native-errors; do
    "${esbuild[@]}" "test/$t.test.ts" --outfile=".gpu/tests/$t.test.mjs"
  done
  cp ../shared/bench/anchors/torch_tpo_head.py .gpu/
  du -sh .gpu
}

run() {
  local out=${OUT:-.gpu/out} status=0
  mkdir -p /tmp/node/bin
  xz -dc .gpu/node.xz > /tmp/node/bin/node && chmod +x /tmp/node/bin/node
  export PATH=/tmp/node/bin:$PATH GRAPE_ADDON=$PWD/.gpu/grape.node PYTHONUNBUFFERED=1
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  echo "== ctest (cuda_parity_test runs here)"
  bash scripts/ctest.sh || status=1
  build-native/cuda_parity_test || status=1
  echo "== the addon's tests, on CUDA"
  GRAPE_DEVICE=cuda node --test .gpu/tests/native-head.test.mjs .gpu/tests/native-trainer.test.mjs || status=1
  node --test .gpu/tests/native-errors.test.mjs || status=1
  echo "== loss and gradients against PyTorch"
  node .gpu/bench.mjs tpo-head-check /tmp/tpo-head-check 512 4096 || status=1
  python3 bench/anchors/tpo_head_check.py /tmp/tpo-head-check | tee "$out/tpo-head-check.jsonl" || status=1
  echo "== tpo-head: the addon on CUDA, then the PyTorch anchor"
  GRAPE_DEVICE=cuda node .gpu/bench.mjs tpo-head | tee "$out/tpo-head.jsonl" || status=1
  build-native/bench_head | tee "$out/bench-head.jsonl" || status=1
  timeout 300 python3 .gpu/torch_tpo_head.py --cached-only | tee "$out/torch-tpo-head.jsonl" || status=1
  return $status
}

case "${1:-}" in
  pack) pack ;;
  run)
    mkdir -p "${OUT:-.gpu/out}"
    run 2>&1 | tee "${OUT:-.gpu/out}/gpu-check.log"
    ;;
  *)
    echo "usage: scripts/gpu-check.sh pack|run" >&2
    exit 2
    ;;
esac
