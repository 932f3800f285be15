// grape replay: the command line end to end, with the real default model package.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import type { ReplayReport } from '../src/bag/bag-replay.js';
import { EpisodeIndex } from '../src/episode/episode-index.js';
import { buildDefaultModel } from '../src/policy/default-model/default-model.js';
import { writeModelPackage } from '../src/policy/model-package.js';
import { runCli } from './helpers/cli.js';
import { writeSessionBag } from './helpers/session-bag.js';

const scratch = mkdtempSync(join(tmpdir(), 'grape-replay-cli-'));
after(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('grape replay', async () => {
  const model = await writeModelPackage(join(scratch, 'model'), buildDefaultModel(0));
  const session = await writeSessionBag(
    join(scratch, 'session.mcap'),
    [
      { start: 1, end: 2, outcome: 'success', instruction: 'pick up the red cube' },
      { start: 4, end: 5, outcome: 'failure', instruction: 'pick up the red cube' },
    ],
    { policyId: 'x' },
  );

  it('--json: episodes in the index, found by the bag’s own episode events (auto)', () => {
    const dataDir = join(scratch, 'data');
    const r = runCli([
      'replay',
      session.path,
      '--instruction',
      'pick up the red cube',
      '--model',
      model,
      '--data-dir',
      dataDir,
      '--device',
      'cpu',
      '--json',
    ]);
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout) as ReplayReport & { seconds: number };
    assert.deepEqual(
      report.episodes.map((e) => [e.episode.outcome, e.episode.source, e.steps]),
      [
        ['success', 'replay', session.steps.filter((s) => s.time < 1_764_000_003_000_000_000n).length],
        ['failure', 'replay', session.steps.filter((s) => s.time > 1_764_000_003_000_000_000n).length],
      ],
    );
    assert.ok(report.episodes.every((e) => e.meanLogp < 0));
    const index = EpisodeIndex.open(dataDir);
    assert.equal(index.episodes({ status: ['complete'] }).length, 2);
    index.close();
  });

  it('prints a table; --segment-by gap with --task; bad input is a clear error', () => {
    const dataDir = join(scratch, 'data-2');
    const r = runCli([
      'replay',
      session.path,
      '--instruction',
      'tidy up',
      '--task',
      'tidy',
      '--segment-by',
      'gap',
      '--model',
      model,
      '--data-dir',
      dataDir,
      '--device',
      'cpu',
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^episode\s+task\s+outcome\s+steps\s+policy steps\s+mean logp\s+bag/);
    assert.equal(r.stdout.match(/ep-\d{8}-\d{6}-[0-9a-f]{6}\s+tidy\s+-\s+\d+/g)?.length, 2);
    const noModel = runCli([
      'replay',
      session.path,
      '--instruction',
      'x',
      '--model',
      join(scratch, 'nope'),
      '--data-dir',
      dataDir,
    ]);
    assert.equal(noModel.status, 1);
    assert.match(noModel.stderr, /^grape replay: .*nope/m);
    const noBag = runCli([
      'replay',
      join(scratch, 'missing.mcap'),
      '--instruction',
      'x',
      '--data-dir',
      dataDir,
    ]);
    assert.equal(noBag.status, 1);
    assert.match(noBag.stderr, /grape replay: .*missing\.mcap: no such bag/);
    assert.notEqual(
      runCli(['replay', session.path, '--data-dir', dataDir]).status,
      0,
      '--instruction is required',
    );
  });
});
