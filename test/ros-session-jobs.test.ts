// grape_policy and the between-session job on the fake ROS graph: ~/end_session starts the job through
// the injected job runner, the node follows it (diagnostics, ~/status) and reports its candidate
// with what to do, loads it only after a promotion and ~/reload_policy, or by itself when
// auto_promote is set and the job promoted it. The job runner is a test double here; the job itself
// is tested in jobs-between-session.test.ts.
import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { EpisodeIndex } from '../src/episode/episode-index.js';
import type { SessionJobRequest, SessionJobs, SessionJobState } from '../src/jobs/session-jobs.js';
import { loadModelPackage } from '../src/policy/model-package.js';
import { RosPolicyNode } from '../src/ros/ros-policy-node.js';
import { CheckpointStore } from '../src/tpo/checkpoint-store.js';
import { checkpointParameters, initialHead } from '../src/tpo/initial-head.js';
import { FakeRosGraph } from './helpers/fake-rclnodejs.js';
import { defaultModelDir, scratchDir } from './helpers/policy-fixtures.js';
import { waitFor } from './helpers/ros-node-harness.js';

process.env.GRAPE_LOG = 'silent';

const SECOND = 1_000_000_000n;

const open: RosPolicyNode[] = [];
after(async () => {
  for (const n of open) await n.shutdown('test over');
});

/** A job runner double: records the requests, answers with the state the test sets. */
class FakeJobs implements SessionJobs {
  readonly requests: SessionJobRequest[] = [];
  current: SessionJobState | undefined;

  start(request: SessionJobRequest) {
    this.requests.push(request);
    const jobId = `job-${this.requests.length}`;
    this.current = { jobId, status: 'queued', message: `job ${jobId}: queued` };
    return Promise.resolve({ jobId, message: `job ${jobId} started: score, pair, train` });
  }

  state(_dataDir: string, jobId: string): SessionJobState | undefined {
    return this.current?.jobId === jobId ? this.current : undefined;
  }
}

/** A copy of the default model with a full-head adapter `id` saved, in a data dir of its own. */
async function modelWithAdapters(ids: string[]): Promise<{ dataDir: string; modelDir: string }> {
  const dataDir = scratchDir('grape-ros-jobs-');
  const modelDir = join(dataDir, 'models', 'grape-default');
  cpSync(await defaultModelDir(), modelDir, { recursive: true });
  const index = EpisodeIndex.open(dataDir);
  try {
    const store = new CheckpointStore(index, await loadModelPackage(modelDir));
    const initial = initialHead(store.pkg, undefined, 'full', { rank: 4, alpha: 4 }, 0);
    for (const id of ids)
      await store.save(id, {
        kind: 'full',
        parent: 'base',
        objective: 'tpo',
        parameters: checkpointParameters(initial, initial.parameters),
      });
  } finally {
    index.close();
  }
  return { dataDir, modelDir };
}

async function startNode(dataDir: string, modelDir: string, jobs: SessionJobs, overrides: object = {}) {
  const graph = new FakeRosGraph({
    overrides: {
      model: modelDir,
      data_dir: dataDir,
      task_id: 'lift',
      instruction: 'lift the cube',
      ...overrides,
    },
  });
  const rcl = graph.rclnodejs();
  const node = await RosPolicyNode.create(rcl, new rcl.Node('grape_policy'), { jobs });
  open.push(node);
  return graph;
}

async function recordAndEndSession(graph: FakeRosGraph): Promise<Record<string, unknown>> {
  await graph.call('/grape_policy/start_episode', { task_id: '', instruction: '', operator: '', seed: -1n });
  await graph.call('/grape_policy/end_episode', { outcome: 'failure', notes: '' });
  return graph.call('/grape_policy/end_session', { notes: 'shift 1', train: true });
}

type Status = { message: string; policy_id: string; state: string };
type Diagnostics = {
  status: { name: string; level: number; message: string; values: { key: string; value: string }[] }[];
};

const statuses = (graph: FakeRosGraph) => graph.publisher('/grape_policy/status').messages as Status[];
const lastDiagnostics = (graph: FakeRosGraph) =>
  (graph.publisher('/diagnostics').messages as Diagnostics[]).at(-1)!;

describe('grape_policy and the between-session job', () => {
  it('starts the job on ~/end_session, reports its candidate, and loads it after promote + ~/reload_policy', async () => {
    const { dataDir, modelDir } = await modelWithAdapters(['cand-1']);
    const jobs = new FakeJobs();
    const graph = await startNode(dataDir, modelDir, jobs, { objective: 'safety' });

    const ended = await recordAndEndSession(graph);
    assert.equal(ended.success, true);
    assert.equal(ended.job_id, 'job-1');
    assert.match(String(ended.message), /ended with 1 episode\(s\); job job-1 started: score, pair, train$/);
    assert.deepEqual(jobs.requests, [
      { dataDir, modelDir, sessionId: ended.session_id, notes: 'shift 1', objective: 'safety' },
    ]);

    // While it runs: its step on /diagnostics.
    jobs.current = {
      jobId: 'job-1',
      status: 'running',
      step: 'train 3/10 steps',
      message: 'job job-1: train 3/10 steps',
    };
    graph.fire(SECOND);
    const running = lastDiagnostics(graph).status[1]!;
    assert.equal(running.name, 'grape_policy: training job');
    assert.equal(running.level, 0);
    assert.deepEqual(
      running.values.filter((v) => ['job_id', 'status', 'step'].includes(v.key)).map((v) => v.value),
      ['job-1', 'running', 'train 3/10 steps'],
    );

    // It ends with a candidate, not promoted: reported, not loaded.
    jobs.current = {
      jobId: 'job-1',
      status: 'succeeded',
      message: 'candidate grape-default@1/cand-1 ready: grape policy promote cand-1',
      candidate: {
        checkpointId: 'grape-default@1/cand-1',
        adapterId: 'cand-1',
        parentId: 'grape-default@1/base',
        runId: 'cand-1',
        modelDir,
        promoted: false,
      },
    };
    graph.fire(SECOND);
    const reported = statuses(graph).at(-1)!;
    assert.equal(
      reported.message,
      'candidate grape-default@1/cand-1 ready: grape policy promote cand-1, then ~/reload_policy',
    );
    assert.match(reported.policy_id, /\/base$/);
    const diag = lastDiagnostics(graph).status[1]!;
    assert.equal(diag.values.find((v) => v.key === 'candidate')?.value, 'grape-default@1/cand-1');
    assert.equal(diag.values.find((v) => v.key === 'promoted')?.value, 'false');
    graph.fire(SECOND);
    assert.match(statuses(graph).at(-1)!.policy_id, /\/base$/, 'not loaded without a promotion');

    // `grape policy promote cand-1`, then ~/reload_policy with no id: the promoted checkpoint.
    const index = EpisodeIndex.open(dataDir);
    await new CheckpointStore(index, await loadModelPackage(modelDir)).promote('cand-1');
    index.close();
    const reloaded = await graph.call('/grape_policy/reload_policy', { checkpoint_id: '' });
    assert.equal(reloaded.success, true, String(reloaded.message));
    assert.equal(reloaded.policy_id, 'grape-default@1/cand-1');
  });

  it('with auto_promote, asks the job to promote and loads the promoted candidate before the next episode', async () => {
    const { dataDir, modelDir } = await modelWithAdapters(['cand-2']);
    const jobs = new FakeJobs();
    const graph = await startNode(dataDir, modelDir, jobs, { auto_promote: true });
    await recordAndEndSession(graph);
    assert.equal(jobs.requests[0]?.autoPromote, true);

    // What the job does when it promotes.
    const index = EpisodeIndex.open(dataDir);
    await new CheckpointStore(index, await loadModelPackage(modelDir)).promote('cand-2');
    index.close();
    jobs.current = {
      jobId: 'job-1',
      status: 'succeeded',
      message: 'candidate grape-default@1/cand-2 promoted',
      candidate: {
        checkpointId: 'grape-default@1/cand-2',
        adapterId: 'cand-2',
        parentId: 'grape-default@1/base',
        runId: 'cand-2',
        modelDir,
        promoted: true,
      },
    };
    graph.fire(SECOND);
    await waitFor(
      () => statuses(graph).at(-1)?.message === 'running grape-default@1/cand-2, promoted by job job-1',
      'the promoted candidate to load',
    );
    assert.equal(statuses(graph).at(-1)!.policy_id, 'grape-default@1/cand-2');
  });

  it('reports a failed job as a warning, and a job that cannot start in the end_session answer', async () => {
    const { dataDir, modelDir } = await modelWithAdapters([]);
    const jobs = new FakeJobs();
    const graph = await startNode(dataDir, modelDir, jobs);
    await recordAndEndSession(graph);
    jobs.current = { jobId: 'job-1', status: 'failed', message: 'failed at pairs: no preference pairs' };
    graph.fire(SECOND);
    assert.equal(statuses(graph).at(-1)!.message, 'job job-1 failed: failed at pairs: no preference pairs');
    assert.equal(lastDiagnostics(graph).status[1]!.level, 1);

    jobs.start = () => Promise.reject(new Error('job job-9 is running (pid 1, since then)'));
    const refused = await recordAndEndSession(graph);
    assert.equal(refused.success, true, 'the session ended all the same');
    assert.equal(refused.job_id, '');
    assert.match(String(refused.message), /; no job started: job job-9 is running/);
  });
});
