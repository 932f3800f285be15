#!/usr/bin/env bash
# The test command (README): lint, type-check, C++ tests, TypeScript tests, and the node-gyp
# build of the addon tested the same way.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== lint"; npm run --silent lint
echo "== typecheck"; npm run --silent typecheck
echo "== C++ tests (ctest)"; npm run --silent test:native
echo "== TypeScript tests"; npm run --silent test:unit
echo "== node-gyp build"; npm run --silent test:gyp
