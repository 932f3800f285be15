// Options shared by grape train and grape train sweep: the model and parent checkpoint, the data,
// and the hyper-parameters (defaults per objective for a small head; --preset paper for the GRAPE
// paper's 7B LoRA values), turned into TrainingSettings.
import type { Argv } from 'yargs';

import { defaultModelDir } from '../../app/model-location.js';
import type { Objective } from '../../native/trainer-types.js';
import { SFT_SOURCES, type SftSource } from '../../tpo/sft-dataset.js';
import type { DataSelection } from '../../tpo/training-inputs.js';
import { FEATURE_DTYPES, type FeatureDtype } from '../../tpo/training-set.js';
import {
  OBJECTIVES,
  PAPER_PRESET,
  SMALL_HEAD_DEFAULTS,
  type TrainingSettings,
} from '../../tpo/training-settings.js';
import type { GlobalArgs } from '../global-args.js';

const DEFAULT_SFT_SOURCE: SftSource = 'demos';

export interface TrainOptionArgs extends GlobalArgs {
  objective: Objective | undefined;
  policy: string | undefined;
  from: string | undefined;
  task: string[] | undefined;
  'sft-source': SftSource;
  iteration: number | undefined;
  session: string[] | undefined;
  preset: 'small-head' | 'paper';
  trainable: 'lora' | 'full' | undefined;
  'lora-rank': number | undefined;
  'lora-alpha': number | undefined;
  lr: number | undefined;
  beta: number | undefined;
  'nll-weight': number | undefined;
  'weight-decay': number | undefined;
  'max-grad-norm': number | undefined;
  epochs: number | undefined;
  'batch-size': number | undefined;
  'held-out': number | undefined;
  patience: number | undefined;
  'max-nll-rise': number | undefined;
  'eval-every': number | undefined;
  seed: number | undefined;
  'feature-dtype': FeatureDtype | undefined;
  device: string;
  json: boolean;
}

export function trainOptions<T>(y: Argv<T>) {
  return y
    .option('objective', { choices: OBJECTIVES, describe: 'training objective' })
    .option('policy', {
      type: 'string',
      describe: 'model package directory (default: <data-dir>/models/grape-default)',
    })
    .option('from', {
      type: 'string',
      describe: "parent checkpoint: an adapter id or 'base' (default: the promoted one)",
    })
    .option('task', { type: 'string', array: true, describe: 'only episodes or pairs of these tasks' })
    .option('sft-source', {
      choices: SFT_SOURCES,
      default: DEFAULT_SFT_SOURCE,
      describe: "sft data: successful demonstrations, the policy's successful rollouts, or both",
    })
    .option('iteration', { type: 'number', describe: 'preference objectives: only pairs of this iteration' })
    .option('session', {
      type: 'string',
      array: true,
      describe: 'only episodes recorded in these sessions (preference: pairs with both episodes in them)',
    })
    .option('preset', {
      choices: ['small-head', 'paper'] as const,
      default: 'small-head' as const,
      describe: "defaults: tuned for the default model's head, or the GRAPE paper's (7B LoRA)",
    })
    .option('trainable', {
      choices: ['lora', 'full'] as const,
      describe: 'train LoRA factors + biases, or the full head',
    })
    .option('lora-rank', { type: 'number', describe: 'LoRA rank' })
    .option('lora-alpha', { type: 'number', describe: 'LoRA alpha (scale alpha / rank)' })
    .option('lr', { type: 'number', describe: 'AdamW learning rate' })
    .option('beta', { type: 'number', describe: 'preference temperature β' })
    .option('nll-weight', { type: 'number', describe: "weight of tpo+nll's NLL term" })
    .option('weight-decay', { type: 'number', describe: 'AdamW decoupled weight decay' })
    .option('max-grad-norm', { type: 'number', describe: 'global gradient-norm clip (0: none)' })
    .option('epochs', { type: 'number', describe: 'passes over the training items' })
    .option('batch-size', { type: 'number', describe: 'trajectories (sft) or pairs per step' })
    .option('held-out', { type: 'number', describe: 'share of initial states held out for early stopping' })
    .option('patience', {
      type: 'number',
      describe: 'stop after this many evaluations without held-out improvement (0: never)',
    })
    .option('max-nll-rise', {
      type: 'number',
      describe:
        "preference: a step counts as the best only while the held-out chosen NLL is at most this fraction above the start's",
    })
    .option('eval-every', { type: 'number', describe: 'steps between held-out evaluations (0: every epoch)' })
    .option('seed', { type: 'number', describe: 'seed of the split, the data order and LoRA init' })
    .option('feature-dtype', { choices: FEATURE_DTYPES, describe: 'precision of the uploaded features' })
    .option('device', {
      type: 'string',
      default: 'auto',
      describe: "trainer device: 'auto', 'cpu', 'cuda', 'cuda:N'",
    })
    .option('json', { type: 'boolean', default: false, describe: 'print JSON' });
}

export function modelDirOf(args: TrainOptionArgs): string {
  return args.policy ?? defaultModelDir(args['data-dir']);
}

/** The objective's defaults, then the preset, then every option given. */
export function settingsOf(args: TrainOptionArgs, objective: Objective): TrainingSettings {
  const s: TrainingSettings = {
    ...SMALL_HEAD_DEFAULTS[objective],
    ...(args.preset === 'paper' ? PAPER_PRESET : {}),
  };
  const given = <K extends keyof TrainingSettings>(key: K, value: TrainingSettings[K] | undefined) => {
    if (value !== undefined) s[key] = value;
  };
  given('trainable', args.trainable);
  given('lr', args.lr);
  given('beta', args.beta);
  given('nllWeight', args['nll-weight']);
  given('weightDecay', args['weight-decay']);
  given('maxGradNorm', args['max-grad-norm']);
  given('epochs', args.epochs);
  given('batchSize', args['batch-size']);
  given('heldOutShare', args['held-out']);
  given('patience', args.patience);
  given('maxNllRise', args['max-nll-rise']);
  given('evalEvery', args['eval-every']);
  given('seed', args.seed);
  given('featureDtype', args['feature-dtype']);
  s.lora = { rank: args['lora-rank'] ?? s.lora.rank, alpha: args['lora-alpha'] ?? s.lora.alpha };
  return s;
}

export function selectionOf(args: TrainOptionArgs): DataSelection {
  return {
    ...(args.task?.length ? { taskIds: [...new Set(args.task)] } : {}),
    sftSource: args['sft-source'],
    ...(args.iteration === undefined ? {} : { iteration: args.iteration }),
    ...(args.session?.length ? { sessionIds: [...new Set(args.session)] } : {}),
  };
}
