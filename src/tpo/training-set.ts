// What a training run trains on: recorded trajectories and the items drawn into batches — one
// trajectory each for SFT, a (chosen, rejected) pair each for the preference objectives — packed
// into the one TrainingData the trainer uploads for the whole run.
import { toHalfArray } from '../native/half.js';
import type { TrainBatch, TrainingData } from '../native/trainer-types.js';
import { DatasetError } from './dataset-error.js';
import type { EpisodeTrajectory, StepShape } from './episode-trajectory.js';

export type FeatureDtype = 'float32' | 'float16' | 'bfloat16';
export const FEATURE_DTYPES: readonly FeatureDtype[] = ['float32', 'float16', 'bfloat16'];

const FLOAT16_MAX = 65504;

export interface TrainingItem {
  /** The episode id (SFT) or the pair id (preference). */
  id: string;
  /** The initial state (task and seed) it came from: the held-out split keeps a group together. */
  group: string;
  /** Indices into TrainingSet.trajectories: [trajectory] or [chosen, rejected]. */
  trajectories: number[];
}

export interface TrainingSet {
  kind: 'trajectories' | 'pairs';
  trajectories: EpisodeTrajectory[];
  items: TrainingItem[];
  /** What the selection left out, and why. */
  excluded: { id: string; reason: string }[];
}

/** The held-out split's unit: episodes of one task from one initial state, where it is known. */
export function initialStateGroup(t: Pick<EpisodeTrajectory, 'taskId' | 'seed' | 'episodeId'>): string {
  return t.seed === undefined ? `${t.taskId}/episode ${t.episodeId}` : `${t.taskId}/seed ${t.seed}`;
}

export function countSteps(set: Pick<TrainingSet, 'trajectories'>): { steps: number; policySteps: number } {
  let steps = 0;
  let policySteps = 0;
  for (const t of set.trajectories) {
    steps += t.steps;
    for (const m of t.policyMask) policySteps += m;
  }
  return { steps, policySteps };
}

/** All trajectories as one upload, features in the training dtype. */
export function packTrainingData(
  set: Pick<TrainingSet, 'trajectories'>,
  shape: Pick<StepShape, 'features' | 'actionDims'>,
  dtype: FeatureDtype,
): TrainingData {
  const offsets = new Int32Array(set.trajectories.length + 1);
  set.trajectories.forEach((t, i) => (offsets[i + 1] = offsets[i]! + t.steps));
  const n = offsets.at(-1)!;
  const { features: stepFeatures, actionDims: dims } = shape;
  const features = new Float32Array(n * stepFeatures);
  const tokens = new Int32Array(n * dims);
  const policyMask = new Uint8Array(n);
  set.trajectories.forEach((t, i) => {
    const at = offsets[i]!;
    features.set(t.features, at * stepFeatures);
    tokens.set(t.tokens, at * dims);
    policyMask.set(t.policyMask, at);
  });
  if (dtype === 'float16') {
    const over = features.findIndex((v) => Math.abs(v) > FLOAT16_MAX);
    if (over >= 0) {
      const step = Math.floor(over / stepFeatures);
      const t = set.trajectories[offsets.findLastIndex((o) => o <= step)]!;
      throw new DatasetError(
        `episode ${t.episodeId}: feature ${over % stepFeatures} of a step is ${features[over]}, beyond float16's range; train with --feature-dtype bfloat16 or float32`,
      );
    }
  }
  return {
    features: dtype === 'float32' ? features : { data: toHalfArray(features, dtype), dtype },
    tokens,
    policyMask,
    offsets,
  };
}

/** The trainer's batch for some items of the set. */
export function batchOf(set: Pick<TrainingSet, 'kind' | 'items'>, items: readonly number[]): TrainBatch {
  const indices = Int32Array.from(items.flatMap((i) => set.items[i]!.trajectories));
  return set.kind === 'pairs' ? { pairs: indices } : { trajectories: indices };
}

/**
 * The set narrowed to recorded items and trajectories, in the recorded order (resuming a run: the
 * index may have grown since, but the run goes on with exactly the data it started with).
 */
export function restrictTrainingSet(
  set: TrainingSet,
  recorded: { items: readonly string[]; trajectories: readonly string[] },
): TrainingSet {
  const byEpisode = new Map(set.trajectories.map((t, i) => [t.episodeId, i]));
  const trajectories = recorded.trajectories.map((id) => {
    const i = byEpisode.get(id);
    if (i === undefined)
      throw new DatasetError(`episode ${id} of the run is no longer in its data selection`);
    return i;
  });
  const position = new Map(trajectories.map((old, i) => [old, i]));
  const byItem = new Map(set.items.map((item) => [item.id, item]));
  const items = recorded.items.map((id) => {
    const item = byItem.get(id);
    if (!item)
      throw new DatasetError(
        `${set.kind === 'pairs' ? 'pair' : 'episode'} ${id} of the run is no longer in its data selection`,
      );
    return {
      ...item,
      trajectories: item.trajectories.map((t) => {
        const p = position.get(t);
        if (p === undefined)
          throw new DatasetError(
            `item ${id} uses episode ${set.trajectories[t]!.episodeId}, which the run did not upload`,
          );
        return p;
      }),
    };
  });
  return { ...set, trajectories: trajectories.map((i) => set.trajectories[i]!), items };
}
