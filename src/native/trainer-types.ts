// Training the action head, as the trainer code (src/tpo) sees it: a small interface over the
// addon's Trainer, so the training loop can be driven and tested without importing the addon.
import type { Features, HeadSpec } from './head-types.js';

export type Objective = 'sft' | 'tpo' | 'tpo+nll' | 'step-dpo';

export interface TrainerConfig {
  objective: Objective;
  /** 'lora': LoRA factors and biases train, base weights stay frozen; 'full': every parameter. */
  trainable: 'lora' | 'full';
  /** Preference temperature β (default 0.1). */
  beta?: number;
  /** Weight of the NLL term of tpo+nll (default 1). */
  nllWeight?: number;
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled weight decay (AdamW), applied to every trainable parameter (default 0). */
  weightDecay?: number;
  /** Global gradient-norm clip (default 1; 0 = none). */
  maxGradNorm?: number;
}

/** Logged trajectories: N steps, trajectory t = steps [offsets[t], offsets[t+1]). */
export interface TrainingData {
  features: Features;
  /** [N, D] token ids as executed. */
  tokens: Int32Array;
  /** [N] 1 = the policy's own step; 0 = dry-run, hold, clamped or intervention (excluded). */
  policyMask: Uint8Array;
  /** [T + 1] */
  offsets: Int32Array;
}

/** sft trains on trajectories; the preference objectives on (chosen, rejected) index pairs. */
export type TrainBatch = { trajectories: Int32Array } | { pairs: Int32Array };

/** What a step reports, named as DPO trainers name it. */
export interface TrainMetrics {
  loss: number;
  /** Mean β(log πθ − log πref) over chosen / rejected trajectories (steps for step-dpo). */
  chosenReward: number;
  rejectedReward: number;
  margin: number;
  /** Share of comparisons whose chosen reward is higher. */
  accuracy: number;
  /** Mean per-step NLL of the chosen (sft: all) trajectories. */
  nll: number;
  comparisons: number;
  /** Global gradient norm before clipping (0 for evaluate). */
  gradNorm: number;
  /** Policy steps in the batch. */
  steps: number;
}

export interface OptimizerState {
  step: number;
  m: Float32Array;
  v: Float32Array;
}

export interface HeadTrainer {
  readonly spec: Readonly<HeadSpec>;
  readonly device: string;
  trainableNames(): string[];
  /** Copies the data into device memory once for the run. */
  upload(data: TrainingData): Promise<void>;
  /** πref per step under the current parameters and the training numerics; kept as the reference. */
  computeReference(): Promise<Float32Array>;
  setReference(perStep: Float32Array): Promise<void>;
  step(batch: TrainBatch): Promise<TrainMetrics>;
  evaluate(batch: TrainBatch): Promise<TrainMetrics>;
  gradients(batch: TrainBatch): Promise<{ metrics: TrainMetrics; gradients: Record<string, Float32Array> }>;
  getParameters(): Promise<Record<string, Float32Array>>;
  getOptimizerState(): Promise<OptimizerState>;
  setOptimizerState(state: OptimizerState): Promise<void>;
  dispose(): void;
}
