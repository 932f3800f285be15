// How a between-session job runs: <data-dir>/jobs.yaml (optional) under the options given to
// `grape session end` (or by the ROS node), resolved into one record stored with the job, so the job
// says exactly what it ran with.
//
//   command: "ssh gpu 'grape jobs run {job} --here --data-dir /srv/grape'"   # run it there
//   auto_promote: false
//   policy: /path/to/model          # model package (default <data-dir>/models/grape-default)
//   device: auto                    # trainer device
//   objective: task                 # GCPG cost preset: task, safety, efficiency
//   weights: official               # GCPG weights preset: paper, official
//   pairs: { m: 3, min_margin: 0.05, by_initial_state: true }
//   train: { objective: tpo, epochs: 4, lr: 0.001, beta: 0.1, batch_size: 16, held_out: 0.1, ... }
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';

import { Ajv } from 'ajv';
import { parse as parseYaml } from 'yaml';

import { defaultModelDir } from '../app/model-location.js';
import { OBJECTIVES as COST_OBJECTIVES, type Objective } from '../gcpg/cost-spec.js';
import { DEFAULT_PAIRING, type PairingOptions } from '../gcpg/pair-selector.js';
import {
  checkRewardConfig,
  DEFAULT_REWARD_CONFIG,
  WEIGHT_PRESETS,
  type RewardConfig,
} from '../gcpg/reward-config.js';
import type { Objective as TrainObjective } from '../native/trainer-types.js';
import { FEATURE_DTYPES, type FeatureDtype } from '../tpo/training-set.js';
import { checkSettings, SMALL_HEAD_DEFAULTS, type TrainingSettings } from '../tpo/training-settings.js';

export const JOBS_CONFIG_FILE = 'jobs.yaml';

/** Preference objectives only: a between-session job trains on the session's pairs. */
const TRAIN_OBJECTIVES = ['tpo', 'tpo+nll', 'step-dpo'] as const satisfies readonly TrainObjective[];

export interface TrainConfig {
  objective?: (typeof TRAIN_OBJECTIVES)[number];
  trainable?: 'lora' | 'full';
  lr?: number;
  beta?: number;
  nll_weight?: number;
  weight_decay?: number;
  max_grad_norm?: number;
  epochs?: number;
  batch_size?: number;
  held_out?: number;
  patience?: number;
  eval_every?: number;
  seed?: number;
  feature_dtype?: FeatureDtype;
  lora_rank?: number;
  lora_alpha?: number;
}

/** jobs.yaml, as written. */
export interface JobsConfig {
  command?: string;
  auto_promote?: boolean;
  policy?: string;
  device?: string;
  objective?: Objective;
  weights?: keyof typeof WEIGHT_PRESETS;
  signals?: string;
  pairs?: { m?: number; min_margin?: number; by_initial_state?: boolean };
  train?: TrainConfig;
}

const number = { type: 'number' } as const;
const SCHEMA = {
  type: 'object',
  properties: {
    command: { type: 'string', minLength: 1 },
    auto_promote: { type: 'boolean' },
    policy: { type: 'string', minLength: 1 },
    device: { type: 'string', pattern: '^(auto|cpu|cuda(:\\d+)?)$' },
    objective: { enum: COST_OBJECTIVES },
    weights: { enum: Object.keys(WEIGHT_PRESETS) },
    signals: { type: 'string', minLength: 1 },
    pairs: {
      type: 'object',
      properties: {
        m: { type: 'integer', minimum: 1 },
        min_margin: { type: 'number', minimum: 0 },
        by_initial_state: { type: 'boolean' },
      },
      additionalProperties: false,
    },
    train: {
      type: 'object',
      properties: {
        objective: { enum: TRAIN_OBJECTIVES },
        trainable: { enum: ['lora', 'full'] },
        lr: number,
        beta: number,
        nll_weight: number,
        weight_decay: number,
        max_grad_norm: number,
        epochs: { type: 'integer' },
        batch_size: { type: 'integer' },
        held_out: number,
        patience: { type: 'integer' },
        eval_every: { type: 'integer' },
        seed: { type: 'integer' },
        feature_dtype: { enum: FEATURE_DTYPES },
        lora_rank: { type: 'integer' },
        lora_alpha: number,
      },
      additionalProperties: false,
    },
  },
  additionalProperties: false,
};

const validate = new Ajv({ allErrors: true, strict: true }).compile<JobsConfig>(SCHEMA);

/** Checks a parsed configuration; `source` names it in errors. */
export function checkJobsConfig(value: unknown, source: string): JobsConfig {
  if (value === null || value === undefined) return {};
  if (!validate(value)) {
    const problems = (validate.errors ?? []).map((e) => {
      const params = e.params as Record<string, unknown>;
      const extra =
        e.keyword === 'additionalProperties'
          ? ` (${String(params.additionalProperty)})`
          : e.keyword === 'enum'
            ? ` (${(params.allowedValues as unknown[]).join(', ')})`
            : '';
      const path = e.instancePath.replace(/^\//, '').replaceAll('/', '.');
      return `${path || '(top level)'} ${e.message ?? e.keyword}${extra}`;
    });
    throw new Error(`${source}: not a valid job configuration: ${problems.join('; ')}`);
  }
  return value;
}

/** <data-dir>/jobs.yaml, or {} when there is none. */
export function loadJobsConfig(dataDir: string): JobsConfig {
  const file = join(dataDir, JOBS_CONFIG_FILE);
  if (!existsSync(file)) return {};
  let value: unknown;
  try {
    value = parseYaml(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: cannot read the job configuration: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return checkJobsConfig(value, file);
}

/** What a between-session job runs with, resolved; stored in its job.json. */
export interface BetweenSessionOptions {
  /** The data dir the job was started in (paths inside it follow it to where the job runs). */
  dataDir: string;
  modelDir: string;
  /** GCPG cost preset. */
  objective: Objective;
  reward: RewardConfig;
  pairing: PairingOptions;
  train: TrainingSettings;
  device: string;
  /** Promote the candidate when the job ends well. */
  autoPromote: boolean;
  /** Run this shell command (placeholders substituted) instead of the steps on this machine. */
  command?: string;
  /** Robot signal configuration for GCPG (YAML), when there is one. */
  signals?: string;
  notes?: string;
}

/** Options given to `grape session end` or by the ROS node; each wins over jobs.yaml. */
export interface JobOverrides {
  modelDir?: string;
  objective?: Objective;
  device?: string;
  autoPromote?: boolean;
  command?: string;
  notes?: string;
  /** Pairing and training settings over the configured ones (tests, sweeps). */
  pairing?: Partial<PairingOptions>;
  train?: Partial<TrainingSettings>;
}

function trainSettings(
  config: TrainConfig = {},
  overrides: Partial<TrainingSettings> = {},
): TrainingSettings {
  const objective = overrides.objective ?? config.objective ?? 'tpo';
  const base = SMALL_HEAD_DEFAULTS[objective];
  const pick = <T>(value: T | undefined, fallback: T) => value ?? fallback;
  const s: TrainingSettings = {
    ...base,
    objective,
    trainable: pick(config.trainable, base.trainable),
    lr: pick(config.lr, base.lr),
    beta: pick(config.beta, base.beta),
    nllWeight: pick(config.nll_weight, base.nllWeight),
    weightDecay: pick(config.weight_decay, base.weightDecay),
    maxGradNorm: pick(config.max_grad_norm, base.maxGradNorm),
    epochs: pick(config.epochs, base.epochs),
    batchSize: pick(config.batch_size, base.batchSize),
    heldOutShare: pick(config.held_out, base.heldOutShare),
    patience: pick(config.patience, base.patience),
    evalEvery: pick(config.eval_every, base.evalEvery),
    seed: pick(config.seed, base.seed),
    featureDtype: pick(config.feature_dtype, base.featureDtype),
    lora: { rank: pick(config.lora_rank, base.lora.rank), alpha: pick(config.lora_alpha, base.lora.alpha) },
    ...overrides,
  };
  checkSettings(s);
  return s;
}

/** The job's options: the overrides, then jobs.yaml, then grape's defaults. */
export function resolveJobOptions(dataDir: string, overrides: JobOverrides = {}): BetweenSessionOptions {
  const config = loadJobsConfig(dataDir);
  const source = join(dataDir, JOBS_CONFIG_FILE);
  let train: TrainingSettings;
  try {
    train = trainSettings(config.train, overrides.train);
  } catch (error) {
    throw new Error(`${source}: train: ${(error as Error).message}`, { cause: error });
  }
  const reward: RewardConfig = {
    ...DEFAULT_REWARD_CONFIG,
    weights: { ...WEIGHT_PRESETS[config.weights ?? 'official'] },
  };
  checkRewardConfig(reward);
  const device = overrides.device ?? config.device ?? 'auto';
  if (!/^(auto|cpu|cuda(:\d+)?)$/.test(device))
    throw new Error(`the trainer device must be auto, cpu, cuda or cuda:N, got '${device}'`);
  const signals = config.signals ?? join(dataDir, 'signals.yaml');
  const command = overrides.command ?? config.command;
  return {
    dataDir: resolve(dataDir),
    modelDir: resolve(overrides.modelDir ?? config.policy ?? defaultModelDir(dataDir)),
    objective: overrides.objective ?? config.objective ?? 'task',
    reward,
    pairing: {
      perSide: config.pairs?.m ?? DEFAULT_PAIRING.perSide,
      minMargin: config.pairs?.min_margin ?? DEFAULT_PAIRING.minMargin,
      byInitialState: config.pairs?.by_initial_state ?? DEFAULT_PAIRING.byInitialState,
      ...overrides.pairing,
    },
    train,
    device,
    autoPromote: overrides.autoPromote ?? config.auto_promote ?? false,
    ...(command ? { command } : {}),
    ...(config.signals !== undefined || existsSync(signals) ? { signals: resolve(signals) } : {}),
    ...(overrides.notes ? { notes: overrides.notes } : {}),
  };
}

/**
 * The options with the paths inside the data dir they were resolved in moved to `dataDir`: the same
 * data dir mounted elsewhere (the GPU workstation running `grape jobs run <id> --here`).
 */
export function optionsIn(options: BetweenSessionOptions, dataDir: string): BetweenSessionOptions {
  const here = resolve(dataDir);
  if (here === options.dataDir) return options;
  const move = (path: string) => {
    const inside = relative(options.dataDir, path);
    return inside.startsWith('..') || isAbsolute(inside) ? path : join(here, inside);
  };
  return {
    ...options,
    dataDir: here,
    modelDir: move(options.modelDir),
    ...(options.signals ? { signals: move(options.signals) } : {}),
  };
}
