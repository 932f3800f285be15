// grape model init / grape model info through the real CLI.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import type { modelInfoJson } from '../src/cli/commands/model-info.js';
import { runCli } from './helpers/cli.js';
import { scratchDir } from './helpers/policy-fixtures.js';

type Info = ReturnType<typeof modelInfoJson>;

describe('grape model', () => {
  const root = scratchDir('grape-model-cli-');
  const out = join(root, 'default');

  it('init --json writes the default package and says what it is', () => {
    const r = runCli(['model', 'init', '--out', out, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const summary = JSON.parse(r.stdout) as { dir: string; name: string; features: number; head: string };
    assert.equal(summary.dir, out);
    assert.equal(summary.name, 'grape-default');
    assert.equal(summary.features, 560);
    assert.equal(summary.head, 'mlp 560 → 512 → 512 → 7×65');
  });

  it('init refuses to overwrite without --force, and writes into <data-dir>/models by default', () => {
    const again = runCli(['model', 'init', '--out', out]);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /policy.json: already exists/);
    const forced = runCli(['model', 'init', '--out', out, '--force', '--seed', '2']);
    assert.equal(forced.status, 0, forced.stderr);
    assert.match(forced.stdout, /grape-default@1 \(seed 2\)/);
    const byDefault = runCli(['model', 'init', '--data-dir', root]);
    assert.equal(byDefault.status, 0, byDefault.stderr);
    assert.match(byDefault.stdout, new RegExp(`wrote ${join(root, 'models', 'grape-default')}`));
  });

  it('info --json describes the package', () => {
    const r = runCli(['model', 'info', out, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const info = JSON.parse(r.stdout) as Info;
    assert.equal(info.name, 'grape-default');
    assert.deepEqual(
      info.action.dims.map((d) => d.name),
      ['dx', 'dy', 'dz', 'droll', 'dpitch', 'dyaw', 'gripper'],
    );
    assert.equal(info.action.dims[6]!.binary, true);
    assert.deepEqual(info.encoder.outputShape, [560]);
    assert.deepEqual(
      info.encoder.inputs.map((i) => i.name),
      ['image', 'joints', 'instruction'],
    );
    assert.equal(info.head.parameters, 560 * 512 + 512 + 512 * 512 + 512 + 512 * 455 + 455);
    assert.deepEqual(info.adapters, []);
  });

  it('info prints a table for people', () => {
    const r = runCli(['model', 'info', out]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^grape model info: /);
    assert.match(r.stdout, /gripper\s+binary: 0 or 1/);
    assert.match(r.stdout, /image\s+input 'image': 96×96 rgb, area resize/);
    assert.match(r.stdout, /hue-keypoints\s+\[384, 444\)/);
    assert.match(r.stdout, /head\s+head.safetensors, mlp 560 → 512 → 512 → 7×65 \(gelu_tanh\)/);
  });

  it('info names the file and field of a broken package and exits 1', () => {
    const manifest = join(out, 'policy.json');
    const m = JSON.parse(readFileSync(manifest, 'utf8')) as { action: { bins: number } };
    m.action.bins = 63;
    writeFileSync(manifest, JSON.stringify(m));
    const r = runCli(['model', 'info', out]);
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      /head.safetensors: layers.2.weight: has shape \[455, 512\]; policy.json action.dims × action.bins and policy.json head.hidden\[1\] need \[441, 512\]/,
    );
    assert.equal(r.stdout, '');
  });

  it('needs a subcommand, and lists them', () => {
    const r = runCli(['model']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /grape model init .*\n.*\n\s+grape model info <dir>/);
    assert.match(r.stderr, /Not enough non-option arguments/);
  });
});
