// A data dir with something in every part the report draws on, made from seeded draws (not a
// simulator run, which would take minutes): evaluations of three policies on three splits, recorded
// rollouts and demonstrations with GCPG scores, preference pairs of two iterations, two training
// runs written through the trainer's own run directory, and a checkpoint lineage with a promotion.
import { EVALUATION_FORMAT, type EvaluationEpisode } from '../../src/eval/evaluation-run.js';
import { saveEvaluation } from '../../src/eval/evaluation-store.js';
import { EpisodeIndex } from '../../src/episode/episode-index.js';
import type { SplitName } from '../../src/sim/splits.js';
import { TASKS } from '../../src/sim/task-registry.js';
import { RunDirectory } from '../../src/tpo/run-directory.js';
import { SMALL_HEAD_DEFAULTS } from '../../src/tpo/training-settings.js';
import { rng } from './random.js';
import { scratchDir } from './policy-fixtures.js';

const MODEL = 'grape-default@1';
export const FIXTURE_POLICIES = [
  { label: 'SFT', checkpoint: `${MODEL}/sft-0`, rate: 0.35, collisionRate: 0.3 },
  { label: 'GRAPE round 1', checkpoint: `${MODEL}/tpo-1`, rate: 0.45, collisionRate: 0.25 },
  { label: 'GRAPE round 2', checkpoint: `${MODEL}/tpo-2`, rate: 0.55, collisionRate: 0.15 },
] as const;
export const FIXTURE_SPLITS: readonly SplitName[] = ['in-domain', 'semantic', 'visual'];
const SPLIT_SHIFT: Partial<Record<SplitName, number>> = { 'in-domain': 0, semantic: -0.05, visual: -0.12 };
export const FIXTURE_SEEDS = 10;

function writeEvaluations(dataDir: string): void {
  const draw = rng(11);
  let minute = 0;
  for (const p of FIXTURE_POLICIES)
    for (const split of FIXTURE_SPLITS) {
      const episodes: EvaluationEpisode[] = TASKS.flatMap((task, t) =>
        Array.from({ length: FIXTURE_SEEDS }, (_, seed) => {
          const success = draw() < p.rate + SPLIT_SHIFT[split]! + 0.04 * (t % 3);
          const collisions = draw() < p.collisionRate ? 1 + Math.floor(draw() * 3) : 0;
          return {
            taskId: task.id,
            seed,
            episodeId: `ep-${p.checkpoint}-${split}-${task.id}-${seed}`,
            success,
            steps: success ? 60 + Math.floor(draw() * 60) : 160,
            collisions,
            pathLength: 1 + draw() * 1.5,
          };
        }),
      );
      saveEvaluation(dataDir, {
        format: EVALUATION_FORMAT,
        id: `eval-fixture-${minute}`,
        createdAt: new Date(Date.UTC(2026, 0, 1, 0, minute++)).toISOString(),
        label: p.label,
        policy: {
          checkpointId: p.checkpoint,
          modelDir: '/models/grape-default',
          adapterId: p.checkpoint.split('/')[1]!,
          chosenAs: 'named',
        },
        split,
        decoding: { greedy: true, temperature: 1, topK: 0, seed: 0 },
        episodes,
      });
    }
}

function writeIndex(dataDir: string): void {
  const draw = rng(5);
  const index = EpisodeIndex.open(dataDir);
  try {
    const byTask = new Map<string, { id: string; total: number }[]>();
    for (const task of TASKS.slice(0, 4))
      for (let i = 0; i < 12; i++) {
        const policy = i < 4 ? 'expert:scripted' : FIXTURE_POLICIES[i % 2]!.checkpoint;
        const e = index.createEpisode({
          taskId: task.id,
          instruction: `do ${task.id}`,
          policyCheckpointId: policy,
          seed: 1000 + i,
        });
        const success = policy === 'expert:scripted' ? draw() < 0.9 : draw() < 0.4;
        index.finishEpisode(e.id, {
          status: 'complete',
          stepCount: 80 + Math.floor(draw() * 80),
          outcome: success ? 'success' : 'failure',
          collisions: draw() < 0.25 ? 1 : 0,
        });
        if (policy === 'expert:scripted') continue;
        const total = (success ? 2 : 0) + draw() * 0.8 - 0.4;
        index.addScore(e.id, {
          total,
          terms: { self: -1, ext: total, success: success ? 1 : 0 },
          config: { w: [0.01, 1, 2] },
        });
        byTask.set(task.id, [...(byTask.get(task.id) ?? []), { id: e.id, total }]);
      }
    for (const [taskId, scored] of byTask) {
      const ranked = [...scored].sort((a, b) => b.total - a.total);
      for (const iteration of [1, 2])
        for (const chosen of ranked.slice(0, 2))
          for (const rejected of ranked.slice(-2))
            index.addPair({
              taskId,
              chosenEpisodeId: chosen.id,
              rejectedEpisodeId: rejected.id,
              chosenScore: chosen.total + (iteration - 1) * 0.1,
              rejectedScore: rejected.total,
              iteration,
            });
    }
    index.addCheckpoint({ id: `${MODEL}/base`, objective: 'base', model: MODEL });
    index.addCheckpoint({
      id: `${MODEL}/sft-0`,
      parentId: `${MODEL}/base`,
      objective: 'sft',
      model: MODEL,
      adapterId: 'sft-0',
    });
    index.addCheckpoint({
      id: `${MODEL}/tpo-1`,
      parentId: `${MODEL}/sft-0`,
      objective: 'tpo',
      model: MODEL,
      adapterId: 'tpo-1',
    });
    index.addCheckpoint({
      id: `${MODEL}/tpo-2`,
      parentId: `${MODEL}/tpo-1`,
      objective: 'tpo',
      model: MODEL,
      adapterId: 'tpo-2',
    });
    index.addPromotion({ model: MODEL, checkpointId: `${MODEL}/tpo-2`, action: 'promote' });
  } finally {
    index.close();
  }
}

/** A finished training run whose log has `steps` step lines and an eval line every 10 steps. */
export function writeFixtureRun(
  dataDir: string,
  runId: string,
  objective: 'sft' | 'tpo',
  parent: string,
  steps: number,
): void {
  const draw = rng(runId.length);
  const dir = RunDirectory.create(dataDir, {
    runId,
    createdAt: '2026-01-01T00:00:00.000Z',
    modelDir: '/models/grape-default',
    model: MODEL,
    parent,
    settings: SMALL_HEAD_DEFAULTS[objective],
    selection: {},
    data: { kind: objective === 'sft' ? 'trajectories' : 'pairs', items: [], trajectories: [], heldOut: [] },
    device: 'cpu',
  });
  const metrics = (step: number, noise: number) => {
    const loss = (objective === 'sft' ? 3 : 0.69) * Math.exp(-step / (steps / 2)) + noise;
    return {
      loss,
      chosenReward: 0.1,
      rejectedReward: -0.1,
      margin: 0.2,
      accuracy: Math.min(1, 0.5 + step / (2 * steps) + noise),
      nll: loss,
      comparisons: 16,
      gradNorm: 1,
      steps: 100,
    };
  };
  dir.log({ type: 'start', device: 'cpu', steps, batchesPerEpoch: steps / 4 });
  for (let step = 1; step <= steps; step++) {
    dir.log({ type: 'step', step, epoch: step / (steps / 4), ...metrics(step, (draw() - 0.5) * 0.1) });
    if (step % 10 === 0)
      dir.log({ type: 'eval', step, epoch: step / (steps / 4), heldOut: metrics(step, 0.05), best: true });
  }
  dir.log({ type: 'end', checkpoint: `${MODEL}/${runId}`, stopped: '4 epoch(s) done', seconds: 3 });
  dir.writeSummary({ runId, checkpoint: `${MODEL}/${runId}`, stopped: '4 epoch(s) done' });
}

/** A fresh data dir holding the fixture. */
export function reportFixtureDir(): string {
  const dataDir = scratchDir('grape-report-');
  writeEvaluations(dataDir);
  writeIndex(dataDir);
  writeFixtureRun(dataDir, 'sft-0', 'sft', 'base', 60);
  writeFixtureRun(dataDir, 'tpo-1', 'tpo', 'sft-0', 80);
  return dataDir;
}
