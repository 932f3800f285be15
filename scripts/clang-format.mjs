#!/usr/bin/env node
// clang-format over native/: --check fails on any difference, --fix rewrites in place.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const mode = process.argv[2];
if (mode !== '--check' && mode !== '--fix') {
  console.error('usage: clang-format.mjs --check|--fix');
  process.exit(2);
}
const files = readdirSync('native', { recursive: true, encoding: 'utf8' })
  .filter((f) => /\.(cc|h|cu|inl)$/.test(f))
  .map((f) => join('native', f));
const args = mode === '--check' ? ['--dry-run', '--Werror', ...files] : ['-i', ...files];
const r = spawnSync('clang-format', args, { stdio: 'inherit' });
if (r.error) {
  console.error(`clang-format: ${r.error.message} (apt-get install clang-format)`);
  process.exit(1);
}
process.exit(r.status ?? 1);
