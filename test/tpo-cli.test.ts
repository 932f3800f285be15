// grape train and grape policy through the real CLI: a run on recorded demonstrations writes and
// registers a checkpoint, policy list / promote / rollback move what the node runs, and bad
// requests fail with one line that says what was wrong.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import type { TrainingSummary } from '../src/tpo/training-job.js';
import { runCli } from './helpers/cli.js';
import { BINS, recordEpisodes, step, tempDir, writeSmallModel } from './helpers/tpo-fixtures.js';

describe('grape train and grape policy', () => {
  it('trains a checkpoint, lists it, promotes and rolls back', async () => {
    const dataDir = tempDir('cli');
    const modelDir = await writeSmallModel(dataDir);
    await recordEpisodes(
      dataDir,
      [0, 1, 2, 3, 4].map((seed) => ({
        taskId: 'lift',
        seed,
        policyId: 'expert:scripted',
        outcome: 'success' as const,
        steps: Array.from({ length: 6 }, (_, i) => step((seed + i * 11) % BINS, seed * 10 + i)),
      })),
    );
    const grape = (...args: string[]) => runCli(['--data-dir', dataDir, ...args]);

    const missing = grape('train', '--policy', modelDir);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /name an --objective \(sft, tpo, tpo\+nll, step-dpo\), or --resume a run/);
    const noPairs = grape('train', '--objective', 'tpo', '--policy', modelDir);
    assert.equal(noPairs.status, 1);
    assert.match(
      noPairs.stderr,
      /grape train: no usable preference pairs in the index \(score and pair episodes first/,
    );
    const noSession = grape('train', '--objective', 'tpo', '--policy', modelDir, '--session', 'ses-nope');
    assert.equal(noSession.status, 1);
    assert.match(noSession.stderr, /no usable preference pairs in session ses-nope in the index/);
    const badRise = grape('train', '--objective', 'tpo', '--policy', modelDir, '--max-nll-rise', '-0.1');
    assert.equal(badRise.status, 1);
    assert.match(badRise.stderr, /the held-out NLL rise limit must be a finite fraction >= 0, got -0\.1/);

    const trained = grape(
      'train',
      ...['--objective', 'sft', '--policy', modelDir, '--epochs', '2', '--batch-size', '2'],
      ...['--feature-dtype', 'float32', '--held-out', '0.2', '--id', 'sft-cli', '--device', 'cpu', '--json'],
    );
    assert.equal(trained.status, 0, trained.stderr);
    const summary = JSON.parse(trained.stdout) as TrainingSummary;
    assert.equal(summary.checkpoint, 'small@1/sft-cli');
    assert.deepEqual([summary.data.train, summary.data.heldOut], [4, 1]);
    assert.equal(summary.steps, 4);
    assert.ok(summary.heldOut && summary.heldOut.best.nll <= summary.heldOut.start.nll);

    const listed = grape('policy', 'list', '--policy', modelDir);
    assert.equal(listed.status, 0, listed.stderr);
    assert.match(listed.stdout, /^\*\s+base\s/m);
    assert.match(listed.stdout, /^\s+sft-cli\s+base\s+sft\s+full\s+5 episodes\s+nll \d+\.\d{4}/m);

    const promoted = grape('policy', 'promote', 'sft-cli', '--policy', modelDir, '--note', 'gate');
    assert.equal(promoted.status, 0, promoted.stderr);
    assert.equal(promoted.stdout, 'promoted small@1/sft-cli (was small@1/base)\n');
    const json = JSON.parse(grape('policy', 'list', '--policy', modelDir, '--json').stdout) as {
      promoted: { checkpointId: string };
    };
    assert.equal(json.promoted.checkpointId, 'small@1/sft-cli');

    // A checkpoint trained from the promoted one records it as its parent.
    const child = grape(
      'train',
      ...['--objective', 'sft', '--policy', modelDir, '--epochs', '1', '--held-out', '0'],
      ...['--id', 'sft-child', '--device', 'cpu', '--json'],
    );
    assert.equal(child.status, 0, child.stderr);
    assert.equal((JSON.parse(child.stdout) as TrainingSummary).parent, 'sft-cli');

    const back = grape('policy', 'rollback', '--policy', modelDir);
    assert.equal(back.stdout, 'rolled back to small@1/base (was small@1/sft-cli)\n');
    const again = grape('policy', 'rollback', '--policy', modelDir);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /grape policy rollback: nothing to roll back: small@1 runs its base head/);

    const unknown = grape('policy', 'promote', 'nope', '--policy', modelDir);
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /adapters: nope: no such adapter \(adapters: sft-child, sft-cli\)/);
    const finished = grape('train', '--resume', 'sft-cli');
    assert.equal(finished.status, 1);
    assert.match(
      finished.stderr,
      /grape train: run sft-cli has finished: its checkpoint is small@1\/sft-cli/,
    );

    writeFileSync(join(modelDir, 'adapters', 'sft-cli.safetensors'), 'not safetensors');
    const corrupt = grape('policy', 'promote', 'sft-cli', '--policy', modelDir);
    assert.equal(corrupt.status, 1);
    assert.match(corrupt.stderr, /grape policy promote: .*adapters\/sft-cli\.safetensors: /);
  });
});
