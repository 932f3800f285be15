import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { PNG } from 'pngjs';

import { CAMERA_RESOLUTION } from '../src/sim/ray-cast-camera.js';
import { SPLITS } from '../src/sim/splits.js';
import { TASKS } from '../src/sim/task-registry.js';
import { runCli } from './helpers/cli.js';

describe('grape sim', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grape-sim-cli-'));
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('sim tasks --json lists every task with an instruction per split', () => {
    const r = runCli(['sim', 'tasks', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as {
      tasks: { id: string; horizon: number; examples: Record<string, string> }[];
      splits: string[];
      evaluationSeeds: number[];
    };
    assert.deepEqual(
      out.tasks.map((t) => t.id),
      TASKS.map((t) => t.id),
    );
    assert.deepEqual(out.splits, [...SPLITS]);
    assert.equal(out.evaluationSeeds.length, 50);
    for (const t of out.tasks) assert.deepEqual(Object.keys(t.examples), [...SPLITS]);
  });

  it('sim view writes the frames as PNGs of the policy camera and reports them', () => {
    const out = join(dir, 'view');
    const r = runCli([
      'sim',
      'view',
      '--task',
      'lift',
      '--seed',
      '4',
      '--frames',
      '3',
      '--every',
      '4',
      '--out',
      out,
      '--json',
    ]);
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout) as {
      frames: string[];
      steps: number;
      instruction: string;
      done: boolean;
    };
    assert.deepEqual(readdirSync(out).sort(), ['frame-000.png', 'frame-001.png', 'frame-002.png']);
    assert.equal(report.frames.length, 3);
    assert.equal(report.steps, 8);
    assert.equal(report.done, false);
    assert.match(report.instruction, /lift|pick up/);
    const first = PNG.sync.read(readFileSync(join(out, 'frame-000.png')));
    const last = PNG.sync.read(readFileSync(join(out, 'frame-002.png')));
    assert.equal(first.width, CAMERA_RESOLUTION);
    assert.equal(first.height, CAMERA_RESOLUTION);
    assert.notDeepEqual(last.data, first.data, 'the expert moved the arm between frames');
  });

  it('sim view prints a summary for people and honours --resolution and --upscale', () => {
    const out = join(dir, 'big');
    const r = runCli([
      'sim',
      'view',
      '--task',
      'stack',
      '--split',
      'visual',
      '--resolution',
      '48',
      '--upscale',
      '3',
      '--out',
      out,
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^grape sim view: stack, seed 0, visual\n/);
    assert.match(r.stdout, /instruction\s+\w/);
    assert.match(r.stdout, /frames\s+1 in /);
    assert.equal(PNG.sync.read(readFileSync(join(out, 'frame-000.png'))).width, 144);
  });

  it('rejects unknown tasks, options and bad numbers', () => {
    const task = runCli(['sim', 'view', '--task', 'juggle', '--split', 'mars']);
    assert.notEqual(task.status, 0);
    assert.match(task.stderr, /Invalid values:[\s\S]*juggle[\s\S]*mars/);
    const frames = runCli(['sim', 'view', '--task', 'lift', '--frames', '0']);
    assert.notEqual(frames.status, 0);
    assert.match(frames.stderr, /--frames must be an integer ≥ 1, got 0/);
    assert.match(runCli(['sim', 'view', '--task', 'lift', '--bogus']).stderr, /Unknown argument: bogus/);
  });
});
