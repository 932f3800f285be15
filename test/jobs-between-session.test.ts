// The between-session job on a small data dir: a promoted checkpoint, and a session of four sampled
// simulator rollouts it ran (one task, one initial state). The job scores the session's episodes,
// pairs them for the next iteration, trains TPO from the promoted checkpoint and registers the
// candidate (promoted only when configured); a failing step fails the job with the step's error and
// leaves what was stored. Run in this process (the background process runs the same runJob).
import assert from 'node:assert/strict';
import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';

import { nativeTrainerFactory } from '../src/app/native-trainer-factory.js';
import { runSimEpisodes } from '../src/app/sim-episodes.js';
import { EpisodeIndex } from '../src/episode/episode-index.js';
import type { JobOverrides } from '../src/jobs/job-config.js';
import { readJobLock } from '../src/jobs/job-lock.js';
import { runJob, startBetweenSessionJob } from '../src/jobs/job-runner.js';
import { JobStore } from '../src/jobs/job-store.js';
import { loadModelPackage } from '../src/policy/model-package.js';
import { CheckpointStore } from '../src/tpo/checkpoint-store.js';
import { checkpointParameters, initialHead } from '../src/tpo/initial-head.js';
import { defaultModelDir } from './helpers/policy-fixtures.js';
import { tempDir } from './helpers/tpo-fixtures.js';

process.env.GRAPE_LOG = 'silent';

let dataDir: string;
let modelDir: string;
let sessionId: string;
let episodeIds: string[];

const START = 'grape-default@1/start';

before(async () => {
  dataDir = tempDir('jobs-session');
  modelDir = join(dataDir, 'models', 'grape-default');
  cpSync(await defaultModelDir(), modelDir, { recursive: true });
  const index = EpisodeIndex.open(dataDir);
  try {
    // The promoted checkpoint: the base head saved as an adapter (what an earlier round produced).
    const store = new CheckpointStore(index, await loadModelPackage(modelDir));
    const initial = initialHead(store.pkg, undefined, 'full', { rank: 4, alpha: 4 }, 0);
    await store.save('start', {
      kind: 'full',
      parent: 'base',
      objective: 'sft',
      parameters: checkpointParameters(initial, initial.parameters),
    });
    await store.promote('start');
    sessionId = index.startSession({ operator: 'tech' }).id;
  } finally {
    index.close();
  }
  // Four rollouts of the promoted policy from one initial state, each with its own sampling draws.
  episodeIds = [];
  for (const seed of [0, 1, 2, 3]) {
    const report = await runSimEpisodes({
      dataDir,
      modelDir,
      adapter: 'start',
      device: 'cpu',
      actor: 'policy',
      sampling: { greedy: false, seed },
      sessionId,
      requests: [{ taskId: 'lift', seed: 7, split: 'in-domain' }],
    });
    episodeIds.push(...report.results.map((r) => r.episodeId));
  }
});

const noSignals = () => () => undefined;

/** Starts a job for the session (its process: this one) and runs it here to its end. */
async function runSessionJob(overrides: JobOverrides) {
  const { job } = startBetweenSessionJob(
    dataDir,
    { sessionId, overrides: { device: 'cpu', ...overrides } },
    () => process.pid,
  );
  return runJob(dataDir, job.id, { onSignal: noSignals, trainerFactory: nativeTrainerFactory('cpu') });
}

const quick = { train: { heldOutShare: 0, epochs: 1 } };

describe('between-session job', () => {
  it('fails at the step that fails, with its message, leaving what earlier steps stored', async () => {
    const job = await runSessionJob({ pairing: { minMargin: 1000 }, ...quick });
    assert.equal(job.status, 'failed');
    assert.match(
      job.error!,
      new RegExp(
        `^pairs: no preference pairs from session ${sessionId} \\(lift: 4 ranked episode\\(s\\) in 1 group\\(s\\), \\d+ pair\\(s\\) closer than the minimum margin 1000\\): record more episodes per task and initial state, or lower pairs.min_margin in jobs.yaml$`,
      ),
    );
    assert.deepEqual(
      job.steps.map((s) => [s.name, s.status]),
      [
        ['score', 'done'],
        ['pairs', 'failed'],
        ['train', 'pending'],
        ['promote', 'pending'],
      ],
    );
    assert.equal(job.steps[0]!.summary, '4 episode(s) of 1 task(s) scored');
    assert.deepEqual(job.steps[0]!.progress, { done: 4, total: 4, unit: 'episodes' });
    const index = EpisodeIndex.open(dataDir);
    try {
      assert.ok(
        episodeIds.every((id) => index.scores(id).length === 1),
        'the scores stay in the index',
      );
      assert.equal(index.session(sessionId)?.endedAt !== undefined, true, 'the session was closed');
    } finally {
      index.close();
    }
    const store = new JobStore(dataDir);
    assert.deepEqual(store.get(job.id), job, 'job.json says the same');
    assert.ok(store.logTail(job.id, 50).some((l) => l.includes('step pairs: failed: no preference pairs')));
    assert.equal(readJobLock(dataDir), undefined, 'the lock is released');
  });

  it('scores, pairs and trains from the promoted checkpoint, registering an unpromoted candidate', async () => {
    const job = await runSessionJob({ pairing: { minMargin: 0 }, ...quick });
    assert.equal(job.status, 'succeeded', job.error);
    const c = job.candidate!;
    assert.equal(c.parentId, START);
    assert.equal(c.promoted, false);
    assert.equal(job.message, `candidate ${c.checkpointId} ready: grape policy promote ${c.adapterId}`);
    assert.deepEqual(
      job.steps.map((s) => [s.name, s.status]),
      [
        ['score', 'done'],
        ['pairs', 'done'],
        ['train', 'done'],
        ['promote', 'skipped'],
      ],
    );
    assert.match(job.steps[1]!.summary!, /^\d+ pair\(s\) stored for iteration 1$/);
    assert.deepEqual(job.steps[2]!.progress, { done: 1, total: 1, unit: 'steps' });
    const index = EpisodeIndex.open(dataDir);
    try {
      const pairs = index.pairs({ iteration: 1 });
      assert.ok(pairs.length > 0);
      assert.ok(
        pairs.every(
          (p) => episodeIds.includes(p.chosenEpisodeId) && episodeIds.includes(p.rejectedEpisodeId),
        ),
      );
      const registered = index.checkpoint(c.checkpointId);
      assert.equal(registered?.parentId, START);
      assert.equal(registered.objective, 'tpo');
      const store = new CheckpointStore(index, await loadModelPackage(modelDir));
      assert.equal(store.promoted().checkpointId, START, 'still the promoted one');
      assert.ok(existsSync(join(modelDir, 'adapters', `${c.adapterId}.safetensors`)));
      assert.ok(existsSync(join(dataDir, 'runs', c.runId, 'summary.json')));
    } finally {
      index.close();
    }
    const log = new JobStore(dataDir).logTail(job.id, 100).join('\n');
    assert.match(log, /step score: 4 episode\(s\) of 1 task\(s\) scored/);
    assert.match(log, new RegExp(`training tpo from ${START}: 1 step\\(s\\)`));
  });

  it('promotes the candidate when configured, training the next iteration', async () => {
    const job = await runSessionJob({ pairing: { minMargin: 0 }, autoPromote: true, ...quick });
    assert.equal(job.status, 'succeeded', job.error);
    assert.match(job.steps[1]!.summary!, /stored for iteration 2$/);
    const c = job.candidate!;
    assert.deepEqual([c.parentId, c.promoted], [START, true]);
    const index = EpisodeIndex.open(dataDir);
    try {
      const store = new CheckpointStore(index, await loadModelPackage(modelDir));
      assert.equal(store.promoted().checkpointId, c.checkpointId);
      assert.match(store.promoted().promotion!.note!, new RegExp(`between-session job ${job.id}`));
    } finally {
      index.close();
    }
  });
});
