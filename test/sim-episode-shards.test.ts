// Simulator batches over child processes: the same requests give the same episodes in the same
// order whether one process or several run them, every episode lands in the one data dir and
// session, a shard's failure is reported with its cause after the other shards stop, a shard whose
// parent died exits, and a stopped batch keeps what it recorded.
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { ensureDefaultModel } from '../src/app/model-location.js';
import type { ShardCommand, ShardOptions } from '../src/app/sim-episode-shards.js';
import { runSimEpisodes, type SimBatchRequest } from '../src/app/sim-episodes.js';
import { EpisodeIndex } from '../src/episode/episode-index.js';
import { scratchDir } from './helpers/policy-fixtures.js';

process.env.GRAPE_LOG = 'silent';

const requests: SimBatchRequest[] = [
  { taskId: 'lift', seed: 1000, split: 'in-domain', samplingSeed: 11 },
  { taskId: 'push-to-side', seed: 1001, split: 'in-domain', samplingSeed: 12 },
  { taskId: 'lift', seed: 1002, split: 'in-domain', samplingSeed: 13 },
];

const outcome = (r: { taskId: string; seed: number; success: boolean; steps: number; pathLength: number }) =>
  `${r.taskId} ${r.seed} ${r.success} ${r.steps} ${r.pathLength.toFixed(6)}`;

describe('sharded simulator batches', () => {
  it('runs the same episodes in several processes as in one, into one session', async () => {
    const dataDir = scratchDir('grape-shards-');
    const { dir: modelDir } = await ensureDefaultModel(dataDir);
    const batch = { dataDir, modelDir, device: 'cpu', actor: 'policy' as const, sampling: { greedy: false } };
    const one = await runSimEpisodes({ ...batch, requests });

    const index = EpisodeIndex.open(dataDir);
    const sessionId = index.startSession({ operator: 'test' }).id;
    index.close();
    const seen: number[] = [];
    const two = await runSimEpisodes({
      ...batch,
      requests,
      jobs: 2,
      sessionId,
      onEpisode: (_, i) => seen.push(i),
    });
    assert.deepEqual(two.results.map(outcome), one.results.map(outcome), 'the same episodes, in batch order');
    assert.deepEqual([...seen].sort(), [0, 1, 2], 'each episode reported once, under its batch index');
    assert.equal(two.policyId, one.policyId);
    const reopened = EpisodeIndex.open(dataDir);
    try {
      const recorded = reopened.episodes({ sessionId });
      assert.deepEqual(
        recorded.map((e) => e.id).sort(),
        two.results.map((r) => r.episodeId).sort(),
        'both shards recorded into the session',
      );
      assert.ok(recorded.every((e) => e.status === 'complete'));
    } finally {
      reopened.close();
    }
  });

  it("names a failing shard's cause, and keeps what the others recorded", async () => {
    const dataDir = scratchDir('grape-shards-');
    const { dir: modelDir } = await ensureDefaultModel(dataDir);
    const reported: number[] = [];
    await assert.rejects(
      runSimEpisodes({
        dataDir,
        modelDir,
        device: 'cpu',
        actor: 'expert',
        jobs: 2,
        // Dealt round-robin: shard 2 runs lift 1002, then fails on the unknown task.
        requests: [
          ...requests.filter((r) => r.taskId === 'lift'),
          { taskId: 'lift', seed: 1001, split: 'in-domain' },
          { taskId: 'no-such-task', seed: 1000, split: 'in-domain' },
        ],
        onEpisode: (_, i) => reported.push(i),
      }),
      /shard 2 of 2: .*no-such-task/,
    );
    assert.ok(reported.includes(1), 'shard 2 reported its episode before failing');
    const index = EpisodeIndex.open(dataDir);
    try {
      const complete = index.episodes().filter((e) => e.status === 'complete');
      assert.equal(complete.length, reported.length, 'every reported episode is recorded, complete');
    } finally {
      index.close();
    }
  });

  it('a shard whose parent is gone exits instead of running on', async () => {
    const dataDir = scratchDir('grape-shards-');
    const { dir: modelDir } = await ensureDefaultModel(dataDir);
    const worker = join(import.meta.dirname, '..', 'src', 'app', 'sim-episode-worker.ts');
    const child = fork(worker, [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const options: ShardOptions = {
      dataDir,
      modelDir,
      device: 'cpu',
      actor: 'expert',
      requests: Array.from({ length: 20 }, (_, i) => ({
        taskId: 'lift',
        seed: 1000 + i,
        split: 'in-domain',
      })),
    };
    child.send({ kind: 'run', options } satisfies ShardCommand);
    await once(child, 'message');
    child.disconnect();
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 1);
    const index = EpisodeIndex.open(dataDir);
    try {
      assert.ok(index.episodes().length < 4, 'it did not run on through its 20 episodes');
    } finally {
      index.close();
    }
  });

  it('stops between episodes when its signal is aborted', async () => {
    const dataDir = scratchDir('grape-shards-');
    const { dir: modelDir } = await ensureDefaultModel(dataDir);
    const stop = new AbortController();
    const report = await runSimEpisodes({
      dataDir,
      modelDir,
      device: 'cpu',
      actor: 'expert',
      requests,
      signal: stop.signal,
      onEpisode: () => {
        stop.abort();
      },
    });
    assert.equal(report.results.length, 1);
  });
});
