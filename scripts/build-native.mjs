#!/usr/bin/env node
// Builds the native addon at install time: cmake-js (CUDA when nvcc is found) into build-cmake/,
// or node-gyp (CPU only) into build/ where CMake is missing or GRAPE_BUILD=gyp asks for it.
// Neither downloads anything: cmake-js uses the bundled Node-API headers (package.json
// binary.napi_versions); node-gyp is pointed at the installed Node's own headers.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);

function run(cmd, args) {
  console.error(`grape: ${[cmd, ...args].join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

function hasCmake() {
  const r = spawnSync('cmake', ['--version'], { encoding: 'utf8' });
  return r.status === 0;
}

// The prefix whose include/node holds this Node's headers (e.g. /usr for /usr/bin/node).
function nodeDir() {
  const prefix = dirname(dirname(process.execPath));
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined;
}

function buildGyp() {
  const dir = nodeDir();
  const args = ['rebuild', '--release', '-j', 'max'];
  if (dir) args.push(`--nodedir=${dir}`);
  return run(bin('node-gyp'), args);
}

function buildCmake() {
  return run(bin('cmake-js'), ['compile', '--out', 'build-cmake', '--CDGRAPE_CUDA=ON']);
}

const mode = process.env.GRAPE_BUILD ?? 'auto';
let status;
if (mode === 'gyp') status = buildGyp();
else if (mode === 'cmake') status = buildCmake();
else if (hasCmake()) status = buildCmake();
else {
  console.error('grape: cmake not found; building the CPU addon with node-gyp');
  status = buildGyp();
}
process.exit(status);
