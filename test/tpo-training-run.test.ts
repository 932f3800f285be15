// The training loop (TrainingRun) on the native trainer, on synthetic trajectories: seeded and
// deterministic, resumable to the bit from a snapshot, early stopping that hands back the best
// parameters, and the held-out split by initial state.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { stepFeatures, type HeadSpec } from '../src/native/head-types.js';
import { NativeHeadTrainer } from '../src/native/native-trainer.js';
import type { TrainMetrics } from '../src/native/trainer-types.js';
import type { EpisodeTrajectory } from '../src/tpo/episode-trajectory.js';
import { splitHeldOut } from '../src/tpo/held-out-split.js';
import { combineMetrics, TrainingRun, type RunSnapshot } from '../src/tpo/training-run.js';
import { SMALL_HEAD_DEFAULTS, type TrainingSettings } from '../src/tpo/training-settings.js';
import { initialStateGroup, type TrainingSet } from '../src/tpo/training-set.js';
import { randomArray, randomParams, rng } from './helpers/random.js';

process.env.GRAPE_LOG = 'silent';

const spec: HeadSpec = { kind: 'mlp', inputDim: 16, hidden: [12], actionDims: 3, bins: 9 };

/** A trajectory of `steps` steps whose tokens follow `token(step, dim)`; every fifth step is flagged. */
function trajectory(
  id: string,
  seed: number,
  steps: number,
  token: (i: number, d: number) => number,
): EpisodeTrajectory {
  const F = stepFeatures(spec);
  return {
    episodeId: id,
    taskId: 'task',
    seed,
    policyId: 'test@1/base',
    steps,
    features: randomArray(steps * F, seed),
    tokens: Int32Array.from({ length: steps * spec.actionDims }, (_, k) =>
      token(Math.floor(k / spec.actionDims), k % spec.actionDims),
    ),
    policyMask: Uint8Array.from({ length: steps }, (_, i) => (i % 5 === 4 ? 0 : 1)),
    loggedLogp: new Float32Array(steps),
  };
}

/** n trajectories of 4–9 steps, tokens a function of the dim (learnable), seeds 0…n-1. */
function sftSet(n: number, token = (_i: number, d: number) => (d * 3 + 1) % spec.bins): TrainingSet {
  const r = rng(5);
  const trajectories = Array.from({ length: n }, (_, i) =>
    trajectory(`ep${i}`, i, 4 + Math.floor(r() * 6), token),
  );
  return {
    kind: 'trajectories',
    trajectories,
    items: trajectories.map((t, i) => ({ id: t.episodeId, group: initialStateGroup(t), trajectories: [i] })),
    excluded: [],
  };
}

/** n pairs; `alike`: the rejected trajectory repeats the chosen one's tokens but for the last dim. */
function pairSet(n: number, alike = false): TrainingSet {
  const trajectories: EpisodeTrajectory[] = [];
  const chosen = (s: number, d: number) => (s + d) % spec.bins;
  const other = (s: number, d: number) => (s * 2 + d + 4) % spec.bins;
  for (let i = 0; i < n; i++) {
    trajectories.push(trajectory(`w${i}`, 100 + i, 6, chosen));
    const rejected = alike
      ? (s: number, d: number) => (d === spec.actionDims - 1 ? other(s, d) : chosen(s, d))
      : other;
    trajectories.push(trajectory(`l${i}`, 100 + i, alike ? 6 : 7, rejected));
  }
  return {
    kind: 'pairs',
    trajectories,
    items: Array.from({ length: n }, (_, i) => ({
      id: String(i),
      group: initialStateGroup(trajectories[2 * i]!),
      trajectories: [2 * i, 2 * i + 1],
    })),
    excluded: [],
  };
}

const settings = (over: Partial<TrainingSettings>): TrainingSettings => ({
  ...SMALL_HEAD_DEFAULTS.sft,
  featureDtype: 'float32',
  lr: 0.01,
  epochs: 3,
  batchSize: 3,
  heldOutShare: 0.25,
  patience: 0,
  ...over,
});

function trainer(s: TrainingSettings, params = randomParams(spec, 3, 0.3)): NativeHeadTrainer {
  return new NativeHeadTrainer(
    spec,
    { objective: s.objective, trainable: 'full', lr: s.lr, beta: s.beta },
    params,
    {
      device: 'cpu',
    },
  );
}

async function train(
  set: TrainingSet,
  s: TrainingSettings,
  resume?: RunSnapshot,
  params?: Record<string, Float32Array>,
) {
  const split = splitHeldOut(set.items, s.heldOutShare, s.seed);
  const snapshots: RunSnapshot[] = [];
  const t = trainer(s, resume?.parameters ?? params);
  try {
    const result = await new TrainingRun(t, set, split, s, {
      onSnapshot: (snap) => {
        snapshots.push(snap);
        return Promise.resolve();
      },
    }).run(resume);
    return { result, snapshots, final: await t.getParameters() };
  } finally {
    t.dispose();
  }
}

describe('TrainingRun', () => {
  it('is deterministic for a seed, and the seed changes the data order', async () => {
    const set = sftSet(12);
    const a = await train(set, settings({ seed: 1 }));
    const b = await train(set, settings({ seed: 1 }));
    assert.deepEqual(a.final, b.final);
    const c = await train(set, settings({ seed: 2, heldOutShare: 0 }));
    const d = await train(set, settings({ seed: 1, heldOutShare: 0 }));
    assert.notDeepEqual(c.final, d.final);
  });

  it('resumes from a snapshot to the same parameters as an uninterrupted run', async () => {
    const set = pairSet(10);
    const s = settings({ objective: 'tpo', beta: 0.5, epochs: 4, evalEvery: 3, batchSize: 2 });
    const whole = await train(set, s);
    assert.ok(whole.snapshots.length >= 3, `${whole.snapshots.length} snapshots`);
    const middle = whole.snapshots[1]!;
    assert.ok(middle.batchInEpoch > 0, 'the snapshot falls inside an epoch');
    const resumed = await train(set, s, middle);
    assert.deepEqual(resumed.final, whole.final);
    assert.deepEqual(resumed.result.parameters, whole.result.parameters);
    assert.equal(resumed.result.steps, whole.result.steps);
    assert.deepEqual(
      resumed.result.evals.map((e) => e.heldOut),
      whole.result.evals.map((e) => e.heldOut),
    );
  });

  it('stops early when held-out NLL worsens and hands back the best (here: the starting) parameters', async () => {
    // Training trajectories teach token 2d+1; held-out ones (their own initial states) need token 5.
    const set = sftSet(8);
    const heldOut = sftSet(4, () => 5);
    const all: TrainingSet = {
      ...set,
      trajectories: [
        ...set.trajectories,
        ...heldOut.trajectories.map((t) => ({ ...t, episodeId: `h${t.episodeId}`, seed: 50 })),
      ],
    };
    all.items = all.trajectories.map((t, i) => ({
      id: t.episodeId,
      group: initialStateGroup(t),
      trajectories: [i],
    }));
    const s = settings({ epochs: 30, patience: 2, lr: 0.05 });
    const split = { train: [0, 1, 2, 3, 4, 5, 6, 7], heldOut: [8, 9, 10, 11] };
    const start = randomParams(spec, 3, 0.3);
    const t = trainer(s, start);
    try {
      const result = await new TrainingRun(t, all, split, s).run();
      assert.match(result.stopped, /early stopping: no held-out improvement in 2 evaluations/);
      assert.equal(result.bestStep, 0);
      assert.ok(result.steps < 30 * 3, `${result.steps} steps`);
      assert.deepEqual(result.parameters, start);
      const nll = result.evals.map((e) => e.heldOut!.nll);
      assert.ok(nll[1]! > nll[0]! && nll[2]! > nll[0]!, `held-out nll ${nll.join(', ')}`);
    } finally {
      t.dispose();
    }
  });

  it("with maxNllRise, takes as the best only evaluations whose held-out chosen NLL stayed near the start's", async () => {
    // Rejected trajectories that differ from the chosen ones in one dim: lowering them lowers the
    // chosen ones too (the preference failure the guard is for).
    const set = pairSet(12, true);
    const s = settings({ objective: 'tpo', beta: 0.5, lr: 0.05, epochs: 6, evalEvery: 2, batchSize: 2 });
    const free = await train(set, s);
    const nll = free.result.evals.map((e) => e.heldOut!.nll);
    const start = nll[0]!;
    const freeBest = free.result.evals.find((e) => e.step === free.result.bestStep)!.heldOut!;
    const limit = 0.05;
    assert.ok(
      freeBest.nll > start * (1 + limit),
      `unguarded, the best step's chosen NLL rose past the limit (${nll.join(', ')})`,
    );
    const guarded = await train(set, { ...s, maxNllRise: limit });
    assert.deepEqual(
      guarded.result.evals.map((e) => e.heldOut),
      free.result.evals.map((e) => e.heldOut),
      'the guard changes the choice, not the training',
    );
    const best = guarded.result.evals.filter((e) => e.best);
    assert.ok(best.every((e) => e.heldOut!.nll <= start * (1 + limit)));
    assert.notEqual(guarded.result.bestStep, free.result.bestStep);
  });

  it('reports the metrics the trainer computes over every policy step of the batch', async () => {
    const set = sftSet(6);
    const steps: TrainMetrics[] = [];
    const s = settings({ heldOutShare: 0, epochs: 1, batchSize: 6 });
    const t = trainer(s);
    try {
      await new TrainingRun(t, set, { train: [0, 1, 2, 3, 4, 5], heldOut: [] }, s, {
        onStep: (r) => steps.push(r.metrics),
      }).run();
    } finally {
      t.dispose();
    }
    const policySteps = set.trajectories.reduce((a, tr) => a + tr.policyMask.reduce((x, m) => x + m, 0), 0);
    assert.equal(steps.length, 1);
    assert.equal(steps[0]!.steps, policySteps);
  });
});

describe('held-out split', () => {
  const items = Array.from({ length: 40 }, (_, i) => ({
    id: `e${i}`,
    group: `task/seed ${i % 10}`,
    trajectories: [i],
  }));

  it('keeps an initial state on one side, is seeded, and never holds out everything', () => {
    const a = splitHeldOut(items, 0.2, 0);
    assert.deepEqual(splitHeldOut(items, 0.2, 0), a);
    assert.ok([1, 2, 3].some((seed) => splitHeldOut(items, 0.2, seed).heldOut.join() !== a.heldOut.join()));
    assert.equal(a.heldOut.length, 8); // 2 of 10 groups × 4 items
    const heldGroups = new Set(a.heldOut.map((i) => items[i]!.group));
    assert.ok(a.train.every((i) => !heldGroups.has(items[i]!.group)));
    assert.equal(splitHeldOut(items.slice(0, 2), 0.9, 0).train.length, 1);
    assert.equal(splitHeldOut(items, 0, 0).heldOut.length, 0);
    assert.throws(() => splitHeldOut(items, 1, 0), /held-out share must be in \[0, 1\)/);
  });
});

describe('combineMetrics', () => {
  it('weights pair metrics by comparisons and sft NLL by steps', () => {
    const m = (over: Partial<TrainMetrics>): TrainMetrics => ({
      loss: 0,
      chosenReward: 0,
      rejectedReward: 0,
      margin: 0,
      accuracy: 0,
      nll: 0,
      comparisons: 0,
      gradNorm: 0,
      steps: 0,
      ...over,
    });
    const pairs = combineMetrics(
      [
        { metrics: m({ accuracy: 1, loss: 0.2, comparisons: 3, nll: 2, steps: 30 }), items: 3 },
        { metrics: m({ accuracy: 0, loss: 0.8, comparisons: 1, nll: 4, steps: 10 }), items: 1 },
      ],
      true,
    );
    assert.equal(pairs.accuracy, 0.75);
    assert.ok(Math.abs(pairs.loss - 0.35) < 1e-12);
    assert.equal(pairs.nll, 2.5);
    const sft = combineMetrics(
      [
        { metrics: m({ nll: 1, loss: 1, steps: 30, comparisons: 2 }), items: 2 },
        { metrics: m({ nll: 3, loss: 3, steps: 10, comparisons: 5 }), items: 5 },
      ],
      false,
    );
    assert.equal(sft.nll, 1.5);
    assert.equal(sft.loss, 1.5);
  });
});
