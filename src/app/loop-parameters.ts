// What a GRAPE loop runs with (recorded in its state file, so a resumed loop runs exactly the same):
// the tasks, the expert demonstrations of round 0, the sampled rollouts of every later round, GCPG's
// scoring and pairing, the training settings per objective, the baselines and the evaluation. Seeds:
// 0–49 are the evaluation seeds of every task and split; demonstrations and rollouts stay off them.
import type { Objective } from '../gcpg/cost-spec.js';
import { DEFAULT_PAIRING, type PairingOptions } from '../gcpg/pair-selector.js';
import { checkRewardConfig, DEFAULT_REWARD_CONFIG, type RewardConfig } from '../gcpg/reward-config.js';
import { isSplitName, type SplitName } from '../sim/splits.js';
import { EVALUATION_SEEDS, taskById } from '../sim/task-registry.js';
import { checkSettings, SMALL_HEAD_DEFAULTS, type TrainingSettings } from '../tpo/training-settings.js';

/**
 * Round 1's baselines, each trained from round 1's parent on round 1's rollouts (the data GRAPE
 * round 1 gets): step-DPO and TPO+NLL on its pairs, success-filtered SFT on its successful rollouts.
 */
export const BASELINES = ['step-dpo', 'tpo+nll', 'filtered-sft'] as const;
export type BaselineName = (typeof BASELINES)[number];

export const BASELINE_LABELS: Readonly<Record<BaselineName, string>> = {
  'step-dpo': 'step-DPO',
  'tpo+nll': 'TPO+NLL',
  'filtered-sft': 'success-filtered SFT',
};

export const isBaselineName = (v: unknown): v is BaselineName => BASELINES.includes(v as BaselineName);

export interface LoopParameters {
  /** The model package (absolute path); its checkpoints are the loop's policies. */
  modelDir: string;
  taskIds: string[];
  /** GRAPE rounds after round 0 (SFT). */
  rounds: number;
  /** Round 0: expert demonstrations per task, from seed `seedStart` on. */
  demos: { perTask: number; seedStart: number; noise?: number };
  /**
   * Round k ≥ 1: the current policy samples `perSeed` rollouts from each of `seedsPerTask` initial
   * states per task; round k's seeds are seedStart + (k − 1)·seedsPerTask onwards.
   */
  rollouts: {
    seedsPerTask: number;
    perSeed: number;
    seedStart: number;
    temperature: number;
    topK: number;
    /** Episode i of round k draws with seed samplingSeed + k·1 000 000 + i. */
    samplingSeed: number;
  };
  scoring: { objective: Objective; reward: RewardConfig; pairing: PairingOptions };
  training: {
    sft: TrainingSettings;
    tpo: TrainingSettings;
    baselines: Record<BaselineName, TrainingSettings>;
  };
  /** Round 1's baselines to train and evaluate beside GRAPE. */
  baselines: BaselineName[];
  /** Greedy evaluation of every round's checkpoint on seeds 0 … episodes − 1 (0: none). */
  evaluation: { episodes: number; splits: SplitName[] };
  /** Head device for rollouts, evaluation and training: 'auto', 'cpu', 'cuda', 'cuda:N'. */
  device: string;
}

/** Round k's sampling seed stride: episode i of a round draws with samplingSeed + k·stride + i. */
export const SAMPLING_SEED_STRIDE = 1_000_000;

/** A research-sized loop: every task, the design's K = 3 rounds; evaluation only when asked. */
export function defaultLoopParameters(modelDir: string, taskIds: readonly string[]): LoopParameters {
  return {
    modelDir,
    taskIds: [...taskIds],
    rounds: 3,
    demos: { perTask: 20, seedStart: 1000 },
    rollouts: { seedsPerTask: 8, perSeed: 4, seedStart: 2000, temperature: 1, topK: 0, samplingSeed: 0 },
    scoring: { objective: 'task', reward: { ...DEFAULT_REWARD_CONFIG }, pairing: { ...DEFAULT_PAIRING } },
    training: {
      sft: { ...SMALL_HEAD_DEFAULTS.sft },
      tpo: { ...SMALL_HEAD_DEFAULTS.tpo },
      baselines: baselineSettings(),
    },
    baselines: [],
    evaluation: { episodes: 0, splits: ['in-domain'] },
    device: 'auto',
  };
}

/**
 * The baselines train like GRAPE's TPO (LoRA, the same learning rate, epochs and early stopping), so
 * that only the objective differs; success-filtered SFT is plain NLL on the successful rollouts.
 */
export function baselineSettings(): Record<BaselineName, TrainingSettings> {
  return {
    'step-dpo': { ...SMALL_HEAD_DEFAULTS['step-dpo'] },
    'tpo+nll': { ...SMALL_HEAD_DEFAULTS['tpo+nll'] },
    'filtered-sft': { ...SMALL_HEAD_DEFAULTS.tpo, objective: 'sft' },
  };
}

/** Round k's rollout seeds. */
export function rolloutSeeds(p: LoopParameters, round: number): number[] {
  const first = p.rollouts.seedStart + (round - 1) * p.rollouts.seedsPerTask;
  return Array.from({ length: p.rollouts.seedsPerTask }, (_, i) => first + i);
}

/** Names the first parameter out of its range. */
export function checkLoopParameters(p: LoopParameters): void {
  const count = (name: string, v: number, min: number) => {
    if (!(Number.isInteger(v) && v >= min)) throw new Error(`${name} must be an integer ≥ ${min}, got ${v}`);
  };
  if (p.taskIds.length === 0) throw new Error('a loop needs at least one task');
  p.taskIds.forEach(taskById);
  count('rounds', p.rounds, 0);
  count('demonstrations per task', p.demos.perTask, 1);
  count('rollout seeds per task', p.rollouts.seedsPerTask, 1);
  count('rollouts per seed', p.rollouts.perSeed, 2);
  count('evaluation episodes per task', p.evaluation.episodes, 0);
  count('sampling seed', p.rollouts.samplingSeed, 0);
  const firstTraining = EVALUATION_SEEDS.at(-1)! + 1;
  count('the first demonstration seed', p.demos.seedStart, firstTraining);
  count('the first rollout seed', p.rollouts.seedStart, firstTraining);
  if (p.evaluation.episodes > EVALUATION_SEEDS.length)
    throw new Error(`evaluation runs at most the ${EVALUATION_SEEDS.length} evaluation seeds per task`);
  if (!(p.rollouts.temperature > 0))
    throw new Error(`temperature must be > 0, got ${p.rollouts.temperature}`);
  count('top-k', p.rollouts.topK, 0);
  for (const s of p.evaluation.splits) if (!isSplitName(s)) throw new Error(`unknown split '${String(s)}'`);
  checkRewardConfig(p.scoring.reward);
  checkSettings(p.training.sft);
  checkSettings(p.training.tpo);
  if (p.training.sft.objective !== 'sft') throw new Error('round 0 trains with the sft objective');
  if (p.training.tpo.objective !== 'tpo') throw new Error('GRAPE rounds train with the tpo objective');
  for (const b of p.baselines) {
    if (!isBaselineName(b))
      throw new Error(`unknown baseline '${String(b)}' (one of ${BASELINES.join(', ')})`);
    const settings = p.training.baselines[b];
    checkSettings(settings);
    const objective = b === 'filtered-sft' ? 'sft' : b;
    if (settings.objective !== objective) throw new Error(`the ${b} baseline trains with ${objective}`);
  }
}
