// Training end to end from recorded episodes (bags + index, as the simulator and the robot write
// them): flagged steps are masked out and change nothing, TPO on stored pairs raises the
// chosen-vs-rejected margin of the checkpoint it writes, the reference matches the logged values,
// and an interrupted run resumes to the same checkpoint.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import { nativeTrainerFactory } from '../src/app/native-trainer-factory.js';
import { EpisodeIndex } from '../src/episode/episode-index.js';
import { StepFlag } from '../src/episode/policy-step.js';
import { NativeActionHead } from '../src/native/native-head.js';
import type { HeadTrainer } from '../src/native/trainer-types.js';
import { loadModelPackage, readAdapter, type ModelPackage } from '../src/policy/model-package.js';
import { sftDataset } from '../src/tpo/sft-dataset.js';
import { preferenceDataset } from '../src/tpo/preference-dataset.js';
import { resumeTraining, trainCheckpoint, type TrainerFactory } from '../src/tpo/training-job.js';
import { SMALL_HEAD_DEFAULTS, type TrainingSettings } from '../src/tpo/training-settings.js';
import {
  BINS,
  DIMS,
  FEATURES,
  recordEpisodes,
  step,
  storePairs,
  tempDir,
  writeSmallModel,
  type FixtureEpisode,
  type FixtureStep,
} from './helpers/tpo-fixtures.js';

process.env.GRAPE_LOG = 'silent';

const shape = { features: FEATURES, actionDims: DIMS, bins: BINS };
const cpu = nativeTrainerFactory('cpu');

/** Eight steps of one demonstration; steps 2, 5 and 6 are not the policy's (hold, clamped, intervention). */
function demo(seed: number, junk: number): FixtureStep[] {
  return Array.from({ length: 8 }, (_, i) => {
    if (i === 2) return { tokens: [], features: new Float32Array(0), flags: StepFlag.HOLD };
    if (i === 5) return step((junk * 31 + i) % BINS, junk * 1000 + i, StepFlag.CLAMPED);
    if (i === 6) return step((junk * 17 + i) % BINS, junk * 2000 + i, StepFlag.INTERVENTION);
    return step((seed * 3 + i * 7) % BINS, seed * 100 + i);
  });
}

/** Seven demonstrations of lift (seed 6 failed) and a rollout (seed 7), recorded in seed order or reversed. */
async function demoDataDir(
  junk: number,
  reversed = false,
): Promise<{ dataDir: string; modelDir: string; ids: string[] }> {
  const dataDir = tempDir('pipeline-sft');
  const modelDir = await writeSmallModel(dataDir);
  const episodes: FixtureEpisode[] = [0, 1, 2, 3, 4, 5].map((seed) => ({
    taskId: 'lift',
    seed,
    policyId: 'expert:scripted',
    outcome: 'success',
    steps: demo(seed, junk),
  }));
  episodes.push({
    taskId: 'lift',
    seed: 6,
    policyId: 'expert:scripted',
    outcome: 'failure',
    steps: demo(6, junk),
  });
  episodes.push({
    taskId: 'lift',
    seed: 7,
    policyId: 'small@1/base',
    outcome: 'success',
    steps: demo(7, junk),
  });
  if (reversed) episodes.reverse();
  return { dataDir, modelDir, ids: await recordEpisodes(dataDir, episodes) };
}

const sftSettings: TrainingSettings = {
  ...SMALL_HEAD_DEFAULTS.sft,
  featureDtype: 'float32',
  epochs: 3,
  batchSize: 2,
  heldOutShare: 0,
  lr: 0.01,
};

/** SFT on a data dir's demonstrations: the run's summary and the trained adapter's parameters. */
async function trainOnDemos(d: { dataDir: string; modelDir: string }, id: string) {
  const index = EpisodeIndex.open(d.dataDir);
  try {
    const summary = await trainCheckpoint(
      index,
      { modelDir: d.modelDir, settings: sftSettings, selection: { sftSource: 'demos' }, id },
      cpu,
    );
    return { summary, parameters: (await readAdapter(await loadModelPackage(d.modelDir), id)).parameters };
  } finally {
    index.close();
  }
}

/** The log-likelihood sums per trajectory of a head (base parameters + adapter) over policy steps. */
async function trajectoryLogp(
  pkg: ModelPackage,
  adapter: Record<string, Float32Array>,
  spec: ModelPackage['headSpec'],
  data: Awaited<ReturnType<typeof preferenceDataset>>,
) {
  const head = new NativeActionHead(spec, { device: 'cpu' });
  try {
    await head.setParameters({ ...pkg.headParameters, ...adapter });
    const out: number[] = [];
    for (const t of data.trajectories) {
      const r = await head.logLikelihood(t.features, t.tokens, {
        segments: Int32Array.from([0, t.steps]),
        mask: t.policyMask,
      });
      out.push(r.segments![0]!);
    }
    return out;
  } finally {
    head.dispose();
  }
}

/** Six initial states; at each, a chosen episode (success) and a rejected one (failure) of the base policy. */
async function pairDataDir(): Promise<{ dataDir: string; modelDir: string; pairs: [string, string][] }> {
  const dataDir = tempDir('pipeline-tpo');
  const modelDir = await writeSmallModel(dataDir);
  const pkg = await loadModelPackage(modelDir);
  const head = new NativeActionHead(pkg.headSpec, { device: 'cpu' });
  await head.setParameters(pkg.headParameters);
  const episodes: FixtureEpisode[] = [];
  for (let seed = 0; seed < 6; seed++)
    for (const chosen of [true, false]) {
      const steps = Array.from({ length: chosen ? 7 : 9 }, (_, i) =>
        step(
          chosen ? (seed + 3 * i) % BINS : (200 + seed * 5 + i) % BINS,
          seed * 100 + i,
          i === 3 ? StepFlag.CLAMPED : 0,
        ),
      );
      // Logged as the base policy scored them when they ran (fp32 features).
      for (const s of steps)
        s.logp = (await head.logLikelihood(s.features, Int32Array.from(s.tokens))).steps[0]!;
      episodes.push({
        taskId: 'stack',
        seed,
        policyId: 'small@1/base',
        outcome: chosen ? 'success' : 'failure',
        steps,
      });
    }
  head.dispose();
  const ids = await recordEpisodes(dataDir, episodes);
  const pairs = Array.from({ length: 6 }, (_, k): [string, string] => [ids[2 * k]!, ids[2 * k + 1]!]);
  storePairs(dataDir, 'stack', pairs);
  return { dataDir, modelDir, pairs };
}

const tpoSettings: TrainingSettings = {
  ...SMALL_HEAD_DEFAULTS.tpo,
  featureDtype: 'float32',
  lora: { rank: 4, alpha: 8 },
  lr: 0.01,
  beta: 0.1,
  epochs: 6,
  batchSize: 2,
  heldOutShare: 0,
  evalEvery: 2,
};

/** A trainer that fails on its `failAt`-th step, as a killed process would stop. */
function crashingFactory(failAt: number): TrainerFactory {
  return (spec, config, initial) => {
    const inner: HeadTrainer = cpu(spec, config, initial);
    let steps = 0;
    return new Proxy(inner, {
      get(target, key, receiver) {
        if (key === 'step')
          return (batch: Parameters<HeadTrainer['step']>[0]) => {
            if (++steps === failAt) return Promise.reject(new Error('killed'));
            return target.step(batch);
          };
        const value: unknown = Reflect.get(target, key, receiver);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  };
}

describe('training from recorded episodes', () => {
  it('masks every flagged step, and what flagged steps hold changes nothing', async () => {
    const a = await demoDataDir(1);
    const index = EpisodeIndex.open(a.dataDir);
    const set = await sftDataset(index, { source: 'demos' }, shape);
    assert.equal(set.trajectories.length, 6);
    assert.deepEqual(set.excluded, [{ id: a.ids[6], reason: 'outcome failure' }]);
    for (const t of set.trajectories) {
      assert.deepEqual([...t.policyMask], [1, 1, 0, 1, 1, 0, 0, 1]);
      assert.ok(
        t.features.subarray(2 * FEATURES, 3 * FEATURES).every((v) => v === 0),
        'a hold step has no features',
      );
    }
    const rollouts = await sftDataset(index, { source: 'rollouts' }, shape);
    assert.deepEqual(
      rollouts.trajectories.map((t) => t.episodeId),
      [a.ids[7]],
    );
    index.close();
    const trainedA = await trainOnDemos(a, 'sft-a');
    assert.equal(trainedA.summary.data.policySteps, 6 * 5);
    assert.equal(trainedA.summary.data.steps, 6 * 8);

    // Another data dir: the same policy steps, other junk in the flagged ones.
    const trainedB = await trainOnDemos(await demoDataDir(2), 'sft-b');
    assert.deepEqual(trainedA.parameters, trainedB.parameters);
    const pa = await loadModelPackage(a.modelDir);
    assert.notDeepEqual(trainedA.parameters['layers.1.bias'], pa.headParameters['layers.1.bias']);
  });

  it('trains the same checkpoint whatever order the episodes were recorded in (sharded recording)', async () => {
    const inOrder = await trainOnDemos(await demoDataDir(1), 'sft');
    const reversed = await trainOnDemos(await demoDataDir(1, true), 'sft');
    assert.deepEqual(reversed.parameters, inOrder.parameters);
  });

  it('raises the chosen-vs-rejected margin with TPO on stored pairs, from a zero reference gap', async () => {
    const { dataDir, modelDir, pairs } = await pairDataDir();
    const index = EpisodeIndex.open(dataDir);
    const summary = await trainCheckpoint(
      index,
      { modelDir, settings: tpoSettings, selection: { iteration: 1 }, id: 'tpo-1', promote: true },
      cpu,
    );
    assert.equal(summary.checkpoint, 'small@1/tpo-1');
    assert.equal(summary.storedAs, 'lora');
    assert.equal(summary.data.items, 6);
    assert.deepEqual(summary.referenceGap, {
      policyId: 'small@1/base',
      trajectories: 12,
      steps: 12 * 7,
      meanAbs: 0,
      maxAbs: 0,
      otherPolicySteps: 0,
    });
    assert.equal(summary.promoted, true);

    const pkg = await loadModelPackage(modelDir);
    const adapter = await readAdapter(pkg, 'tpo-1');
    const meta = adapter.info.metadata;
    assert.equal(adapter.info.parent, 'base');
    assert.equal(adapter.info.objective, 'tpo');
    assert.deepEqual(adapter.info.lora, { rank: 4, alpha: 8 });
    const data = JSON.parse(meta.data!) as { items: string[]; trajectories: string[] };
    assert.deepEqual(data.trajectories.sort(), pairs.flat().sort());
    assert.equal(data.items.length, 6);
    assert.deepEqual(JSON.parse(meta.hyperparameters!), tpoSettings);
    assert.equal((JSON.parse(meta.metrics!) as { steps: number }).steps, 18);

    // Scored afresh with the inference head: every pair's margin over the reference is positive.
    const set = await preferenceDataset(index, {}, shape);
    const before = await trajectoryLogp(pkg, {}, pkg.headSpec, set);
    const after = await trajectoryLogp(pkg, adapter.parameters, adapter.spec, set);
    for (const item of set.items) {
      const [w, l] = item.trajectories as [number, number];
      const margin = after[w]! - before[w]! - (after[l]! - before[l]!);
      assert.ok(margin > 1, `pair ${item.id}: margin ${margin}`);
    }
    assert.equal(index.checkpoint('small@1/tpo-1')?.parentId, 'small@1/base');
    assert.equal(index.promotions({ model: 'small@1' })[0]?.checkpointId, 'small@1/tpo-1');

    const log = readFileSync(summary.logPath, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string });
    assert.deepEqual([...new Set(log.map((e) => e.type))], ['start', 'reference', 'step', 'eval', 'end']);
    assert.equal(log.filter((e) => e.type === 'step').length, 18);
    index.close();
  });

  it('resumes an interrupted run to the checkpoint an uninterrupted one writes', async () => {
    const { dataDir, modelDir } = await pairDataDir();
    const index = EpisodeIndex.open(dataDir);
    const request = { modelDir, settings: tpoSettings, selection: {} };
    await assert.rejects(trainCheckpoint(index, { ...request, id: 'cut' }, crashingFactory(8)), /killed/);
    assert.ok(existsSync(`${dataDir}/runs/cut/state.safetensors`));
    await assert.rejects(resumeTraining(index, 'nope', cpu), /no training run nope/);
    const resumed = await resumeTraining(index, 'cut', cpu);
    assert.equal(resumed.steps, 18);
    await assert.rejects(
      resumeTraining(index, 'cut', cpu),
      /run cut has finished: its checkpoint is small@1\/cut/,
    );
    await trainCheckpoint(index, { ...request, id: 'whole' }, cpu);
    index.close();
    const pkg = await loadModelPackage(modelDir);
    assert.deepEqual(
      (await readAdapter(pkg, 'cut')).parameters,
      (await readAdapter(pkg, 'whole')).parameters,
    );
    const log = readFileSync(resumed.logPath, 'utf8');
    assert.match(log, /"type":"resume","step":6/);
  });
});
