// Everything that shapes a training run, with defaults per objective for a small head trained on
// the addon (chosen by sweeps on the default model: docs/training.md) and the GRAPE paper's values,
// which are the preset for a 7B model's LoRA and not for a head this size.
import type { LoraSpec } from '../native/head-types.js';
import type { Objective } from '../native/trainer-types.js';
import type { Trainable } from './initial-head.js';
import type { FeatureDtype } from './training-set.js';

export const OBJECTIVES: readonly Objective[] = ['sft', 'tpo', 'tpo+nll', 'step-dpo'];

export interface TrainingSettings {
  objective: Objective;
  trainable: Trainable;
  /** Rank and alpha of the LoRA factors (trainable 'lora'). */
  lora: LoraSpec;
  lr: number;
  /** Preference temperature β. */
  beta: number;
  /** Weight of tpo+nll's NLL term. */
  nllWeight: number;
  weightDecay: number;
  /** Global gradient-norm clip (0: none). */
  maxGradNorm: number;
  epochs: number;
  /** Items (trajectories for sft, pairs otherwise) per optimizer step. */
  batchSize: number;
  /** Share of the initial states held out for early stopping (0: none). */
  heldOutShare: number;
  /** Stop after this many held-out evaluations without improvement (0: never stop early). */
  patience: number;
  /**
   * Preference objectives: an evaluation counts as the best only while the held-out chosen
   * trajectories' NLL is at most this fraction above its value at the start (unset: no limit).
   * Held-out pair accuracy can rise while the policy drifts off what it did well.
   */
  maxNllRise?: number;
  /** Optimizer steps between held-out evaluations (0: at the end of every epoch). */
  evalEvery: number;
  /** Seeds the held-out split, the data order and fresh LoRA factors. */
  seed: number;
  /** Precision of the features uploaded for the run. */
  featureDtype: FeatureDtype;
}

/**
 * Preference objectives' learning rate. 1e-3 (the best held-out pair accuracy in the sweeps) drove
 * the study's SFT policy from 69% greedy success to 13% in 40 steps; 1e-4 keeps it (docs/RESULTS.md).
 */
const PREFERENCE_LR = 1e-4;

const COMMON = {
  lora: { rank: 16, alpha: 32 },
  nllWeight: 1,
  weightDecay: 0,
  maxGradNorm: 1,
  heldOutShare: 0.1,
  evalEvery: 0,
  seed: 0,
  featureDtype: 'float16',
} as const;

/** Defaults for the default model's head (mlp 560 → 512 → 512 → 7×256). */
export const SMALL_HEAD_DEFAULTS: Readonly<Record<Objective, TrainingSettings>> = {
  sft: {
    ...COMMON,
    objective: 'sft',
    trainable: 'full',
    lr: 1e-3,
    beta: 0.1,
    // The learnability gate's recipe: its held-out NLL was still falling at epoch 79 of 80.
    epochs: 80,
    batchSize: 16,
    patience: 8,
  },
  tpo: {
    ...COMMON,
    objective: 'tpo',
    trainable: 'lora',
    lr: PREFERENCE_LR,
    beta: 0.1,
    epochs: 4,
    batchSize: 16,
    patience: 3,
  },
  'tpo+nll': {
    ...COMMON,
    objective: 'tpo+nll',
    trainable: 'lora',
    lr: PREFERENCE_LR,
    beta: 0.1,
    epochs: 4,
    batchSize: 16,
    patience: 3,
  },
  'step-dpo': {
    ...COMMON,
    objective: 'step-dpo',
    trainable: 'lora',
    lr: PREFERENCE_LR,
    beta: 0.1,
    epochs: 4,
    batchSize: 16,
    patience: 3,
  },
};

/** The GRAPE paper's hyper-parameters (7B OpenVLA, LoRA): β 0.1, AdamW lr 2e-5, 16 pairs, 1 epoch. */
export const PAPER_PRESET: Readonly<Partial<TrainingSettings>> = {
  trainable: 'lora',
  lr: 2e-5,
  beta: 0.1,
  batchSize: 16,
  epochs: 1,
};

/** Names the first setting out of its range. */
export function checkSettings(s: TrainingSettings): void {
  const positive = (name: string, v: number) => {
    if (!(Number.isFinite(v) && v > 0)) throw new Error(`${name} must be a positive number, got ${v}`);
  };
  const count = (name: string, v: number, min: number) => {
    if (!(Number.isInteger(v) && v >= min)) throw new Error(`${name} must be an integer ≥ ${min}, got ${v}`);
  };
  if (!OBJECTIVES.includes(s.objective))
    throw new Error(`objective must be one of ${OBJECTIVES.join(', ')}, got '${s.objective}'`);
  positive('lr', s.lr);
  positive('beta', s.beta);
  count('epochs', s.epochs, 1);
  count('batch size', s.batchSize, 1);
  count('patience', s.patience, 0);
  count('eval-every', s.evalEvery, 0);
  count('seed', s.seed, 0);
  if (s.trainable === 'lora') {
    count('LoRA rank', s.lora.rank, 1);
    positive('LoRA alpha', s.lora.alpha);
  }
  if (s.maxNllRise !== undefined && !(s.maxNllRise >= 0 && Number.isFinite(s.maxNllRise)))
    throw new Error(`the held-out NLL rise limit must be a finite fraction >= 0, got ${s.maxNllRise}`);
  if (!(s.heldOutShare >= 0 && s.heldOutShare < 1))
    throw new Error(`the held-out share must be in [0, 1), got ${s.heldOutShare}`);
  if (!(s.weightDecay >= 0)) throw new Error(`weight decay must be ≥ 0, got ${s.weightDecay}`);
  if (!(s.maxGradNorm >= 0)) throw new Error(`the gradient-norm clip must be ≥ 0, got ${s.maxGradNorm}`);
  if (!(s.nllWeight >= 0)) throw new Error(`the NLL weight must be ≥ 0, got ${s.nllWeight}`);
}
