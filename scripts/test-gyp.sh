#!/usr/bin/env bash
# Builds the CPU addon with node-gyp (the path for machines without CMake) into build/ and runs
# the addon's TypeScript tests against it.
set -euo pipefail
cd "$(dirname "$0")/.."
GRAPE_BUILD=gyp node scripts/build-native.mjs > build-gyp.log 2>&1 || { cat build-gyp.log; exit 1; }
export GRAPE_ADDON=build/Release/grape.node
node -e "const b = require('./$GRAPE_ADDON').buildInfo(); if (b.builder !== 'node-gyp') throw new Error(JSON.stringify(b)); console.log('node-gyp addon:', JSON.stringify(b))"
npx tsx --test --test-reporter=spec test/native-*.test.ts
