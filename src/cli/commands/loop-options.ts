// Options shared by grape iterate and grape demo (the GRAPE loop on the simulator), with the
// defaults of each, turned into LoopParameters.
import { resolve } from 'node:path';

import type { Argv } from 'yargs';

import {
  BASELINES,
  defaultLoopParameters,
  type BaselineName,
  type LoopParameters,
} from '../../app/loop-parameters.js';
import { OBJECTIVES, type Objective } from '../../gcpg/cost-spec.js';
import { SPLITS, type SplitName } from '../../sim/splits.js';
import { checkJobs, jobsOption } from './sim-episode-options.js';
import { TASKS } from '../../sim/task-registry.js';

export interface LoopArgs {
  resume: string | undefined;
  rounds: number | undefined;
  task: string[] | undefined;
  'demos-per-task': number;
  'seeds-per-task': number;
  'rollouts-per-seed': number;
  temperature: number;
  'top-k': number;
  'sampling-seed': number;
  objective: Objective;
  m: number;
  'min-margin': number;
  'sft-epochs': number | undefined;
  epochs: number | undefined;
  lr: number | undefined;
  beta: number | undefined;
  baseline: BaselineName[];
  'eval-seeds': number;
  'eval-split': string | undefined;
  policy: string | undefined;
  device: string;
  jobs: number;
  json: boolean;
}

export interface LoopDefaults {
  rounds: number;
  tasks: readonly string[] | undefined;
  demosPerTask: number;
  seedsPerTask: number;
  rolloutsPerSeed: number;
  minMargin: number;
  baselines: readonly BaselineName[];
  evalSeeds: number;
  evalSplit: SplitName | undefined;
}

export function loopOptions<T>(y: Argv<T>, d: LoopDefaults) {
  const base = defaultLoopParameters('', []);
  const generalization = SPLITS.filter((s) => s !== 'in-domain');
  return jobsOption(y)
    .option('resume', {
      type: 'string',
      describe:
        'go on with a loop cut short (its recorded parameters; --rounds and --baseline can add rounds and baselines)',
    })
    .option('rounds', { type: 'number', describe: `GRAPE rounds after SFT (default ${d.rounds})` })
    .option('task', {
      type: 'string',
      array: true,
      choices: TASKS.map((t) => t.id),
      describe: `training task (repeatable; default: ${d.tasks ? d.tasks.join(', ') : 'every task'})`,
    })
    .option('demos-per-task', {
      type: 'number',
      default: d.demosPerTask,
      describe: 'round 0: expert demonstrations per task (seeds from 1000)',
    })
    .option('seeds-per-task', {
      type: 'number',
      default: d.seedsPerTask,
      describe: 'round k: initial states per task (seeds from 2000, new ones each round)',
    })
    .option('rollouts-per-seed', {
      type: 'number',
      default: d.rolloutsPerSeed,
      describe: 'round k: sampled rollouts from each initial state (ranked and paired among themselves)',
    })
    .option('temperature', {
      type: 'number',
      default: base.rollouts.temperature,
      describe: 'rollouts: sampling temperature',
    })
    .option('top-k', {
      type: 'number',
      default: base.rollouts.topK,
      describe: 'rollouts: top-k (0: all bins)',
    })
    .option('sampling-seed', {
      type: 'number',
      default: base.rollouts.samplingSeed,
      describe: 'rollouts: base seed of the sampling draws (each rollout gets its own)',
    })
    .option('objective', {
      choices: OBJECTIVES,
      default: base.scoring.objective,
      describe: 'GCPG alignment objective (cost preset)',
    })
    .option('m', {
      type: 'number',
      default: base.scoring.pairing.perSide,
      describe: 'pairs: the top m of each initial state with its bottom m',
    })
    .option('min-margin', {
      type: 'number',
      default: d.minMargin,
      describe: 'pairs: skip pairs whose GCPG scores differ by less',
    })
    .option('sft-epochs', {
      type: 'number',
      describe: `round 0 SFT epochs (default ${base.training.sft.epochs})`,
    })
    .option('epochs', {
      type: 'number',
      describe: `TPO (and baseline) epochs per round (default ${base.training.tpo.epochs})`,
    })
    .option('lr', {
      type: 'number',
      describe: `TPO (and baseline) learning rate (default ${base.training.tpo.lr})`,
    })
    .option('beta', { type: 'number', describe: `TPO (and baseline) β (default ${base.training.tpo.beta})` })
    .option('baseline', {
      type: 'string',
      array: true,
      choices: BASELINES,
      default: [...d.baselines],
      describe:
        "round 1 baseline to train beside GRAPE, from the same parent on the same rollouts, and evaluate (repeatable): step-dpo (the paper's weaker baseline), tpo+nll, filtered-sft (success-filtered SFT)",
    })
    .option('eval-seeds', {
      type: 'number',
      default: d.evalSeeds,
      describe: "evaluate each round's checkpoint greedily on seeds 0…N−1 of every task (0: no evaluation)",
    })
    .option('eval-split', {
      type: 'string',
      choices: generalization,
      ...(d.evalSplit ? { default: d.evalSplit } : {}),
      describe: 'also evaluate on this generalization split',
    })
    .option('policy', {
      type: 'string',
      describe: 'model package directory (default: <data-dir>/models/grape-default, built if missing)',
    })
    .option('device', {
      type: 'string',
      default: 'auto',
      describe: "head device for episodes and training: 'auto', 'cpu', 'cuda', 'cuda:N'",
    })
    .option('json', { type: 'boolean', default: false, describe: 'print JSON' })
    .check((a) => {
      checkJobs(a.jobs);
      const count = (name: string, v: number | undefined, min: number) => {
        if (v !== undefined && !(Number.isInteger(v) && v >= min))
          throw new Error(`--${name} must be an integer ≥ ${min}`);
      };
      count('rounds', a.rounds, 0);
      count('demos-per-task', a['demos-per-task'], 1);
      count('seeds-per-task', a['seeds-per-task'], 1);
      count('rollouts-per-seed', a['rollouts-per-seed'], 2);
      count('eval-seeds', a['eval-seeds'], 0);
      count('m', a.m, 1);
      count('sft-epochs', a['sft-epochs'], 1);
      count('epochs', a.epochs, 1);
      return true;
    });
}

/** The loop's parameters from the options, for a new loop. */
export function loopParametersOf(args: LoopArgs, modelDir: string, d: LoopDefaults): LoopParameters {
  const taskIds = args.task?.length ? [...new Set(args.task)] : [...(d.tasks ?? TASKS.map((t) => t.id))];
  const p = defaultLoopParameters(resolve(modelDir), taskIds);
  p.rounds = args.rounds ?? d.rounds;
  p.demos.perTask = args['demos-per-task'];
  p.rollouts = {
    ...p.rollouts,
    seedsPerTask: args['seeds-per-task'],
    perSeed: args['rollouts-per-seed'],
    temperature: args.temperature,
    topK: args['top-k'],
    samplingSeed: args['sampling-seed'],
  };
  p.scoring.objective = args.objective;
  p.scoring.pairing = { ...p.scoring.pairing, perSide: args.m, minMargin: args['min-margin'] };
  if (args['sft-epochs'] !== undefined) p.training.sft.epochs = args['sft-epochs'];
  for (const t of [p.training.tpo, ...Object.values(p.training.baselines)]) {
    if (args.epochs !== undefined) t.epochs = args.epochs;
    if (args.lr !== undefined) t.lr = args.lr;
    if (args.beta !== undefined) t.beta = args.beta;
  }
  p.baselines = [...new Set(args.baseline)];
  p.evaluation = {
    episodes: args['eval-seeds'],
    splits: ['in-domain', ...(args['eval-split'] ? [args['eval-split'] as SplitName] : [])],
  };
  p.device = args.device;
  return p;
}
