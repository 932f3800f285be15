// Options shared by the commands that run simulator episodes (run --sim, sim demos, eval).
import { availableParallelism } from 'node:os';

import type { Argv } from 'yargs';

import type { SimEpisodeResult } from '../../app/sim-runner.js';
import {
  episodeRequests,
  runSimEpisodes,
  type SimBatchOptions,
  type SimBatchReport,
  type TaskSummary,
} from '../../app/sim-episodes.js';
import type { SamplingOptions } from '../../policy/policy.js';
import { SPLITS, type SplitName } from '../../sim/splits.js';
import { TASKS } from '../../sim/task-registry.js';
import { printTable } from '../output.js';
import { progressBar } from '../progress.js';

export interface SimEpisodeArgs {
  task: string[] | undefined;
  episodes: number;
  split: string;
  'seed-start': number;
  policy: string | undefined;
  adapter: string | undefined;
  device: string;
  jobs: number;
  json: boolean;
}

export interface SamplingArgs {
  sample: boolean;
  temperature: number;
  'top-k': number;
  'sampling-seed': number;
}

/** --jobs: simulator processes; one per core by default, since each keeps one core busy. */
export function jobsOption<T>(y: Argv<T>) {
  return y.option('jobs', {
    type: 'number',
    default: availableParallelism(),
    describe: 'processes that run the simulator episodes (default: one per core)',
  });
}

export function checkJobs(jobs: number): void {
  if (!Number.isInteger(jobs) || jobs < 1) throw new Error('--jobs must be a positive integer');
}

export function simEpisodeOptions<T>(y: Argv<T>, defaultSeedStart: number, defaultEpisodes = 1) {
  return jobsOption(y)
    .option('task', {
      type: 'string',
      array: true,
      choices: TASKS.map((t) => t.id),
      describe: 'task id (repeatable; default: every task)',
    })
    .option('episodes', { type: 'number', default: defaultEpisodes, describe: 'episodes per task' })
    .option('split', {
      type: 'string',
      default: 'in-domain',
      choices: SPLITS,
      describe: 'generalization split',
    })
    .option('seed-start', {
      type: 'number',
      default: defaultSeedStart,
      describe: 'first initial-state seed (0–49: evaluation seeds; training seeds from 1000)',
    })
    .option('policy', {
      type: 'string',
      describe: 'model package directory (default: <data-dir>/models/grape-default, built if missing)',
    })
    .option('adapter', { type: 'string', describe: 'adapter (checkpoint) id under the package adapters/' })
    .option('device', {
      type: 'string',
      default: 'auto',
      describe: "head device: 'auto', 'cpu', 'cuda', 'cuda:N'",
    })
    .option('json', { type: 'boolean', default: false, describe: 'print JSON' })
    .check((a) => {
      checkJobs(a.jobs);
      if (!Number.isInteger(a.episodes) || a.episodes < 1)
        throw new Error('--episodes must be a positive integer');
      if (!Number.isInteger(a['seed-start']) || a['seed-start'] < 0)
        throw new Error('--seed-start must be a non-negative integer');
      return true;
    });
}

/** How the policy decodes: greedy unless --sample. */
export function samplingOptions<T>(y: Argv<T>) {
  return y
    .option('sample', {
      type: 'boolean',
      default: false,
      describe: 'sample actions (rollouts); the default decodes greedily (evaluation)',
    })
    .option('greedy', { type: 'boolean', describe: 'decode greedily (the default)' })
    .conflicts('sample', 'greedy')
    .option('temperature', { type: 'number', default: 1, describe: 'sampling temperature (with --sample)' })
    .option('top-k', {
      type: 'number',
      default: 0,
      describe: 'sample among the k most likely bins (0: all)',
    })
    .option('sampling-seed', { type: 'number', default: 0, describe: 'seed of the sampling draws' });
}

export function samplingOf(args: SamplingArgs): SamplingOptions {
  return {
    greedy: !args.sample,
    temperature: args.temperature,
    topK: args['top-k'],
    seed: args['sampling-seed'],
  };
}

export function taskIdsOf(args: SimEpisodeArgs): string[] {
  return args.task?.length ? [...new Set(args.task)] : TASKS.map((t) => t.id);
}

export function printEpisodes(results: readonly SimEpisodeResult[]): void {
  printTable(
    ['episode', 'task', 'split', 'seed', 'success', 'steps', 'collisions', 'path m'],
    results.map((r) => [
      r.episodeId,
      r.taskId,
      r.split,
      String(r.seed),
      r.success ? 'yes' : 'no',
      String(r.steps),
      String(r.collisions),
      r.pathLength.toFixed(2),
    ]),
  );
}

export function printTaskSummary(summary: readonly TaskSummary[]): void {
  printTable(
    ['task', 'split', 'episodes', 'success', 'rate', 'mean steps', 'mean collisions'],
    summary.map((s) => [
      s.taskId,
      s.split,
      String(s.episodes),
      String(s.successes),
      `${(100 * s.rate).toFixed(0)}%`,
      s.meanSteps.toFixed(1),
      s.meanCollisions.toFixed(2),
    ]),
  );
}

/**
 * The episodes `args` ask for (tasks, count, seeds, split; the model package, adapter, device), run
 * with a progress bar named `label`; `options` says who acts and how.
 */
export async function runSimBatchWithProgress(
  args: SimEpisodeArgs & { 'data-dir': string },
  label: string,
  options: Pick<SimBatchOptions, 'actor' | 'expert' | 'sampling' | 'dryRun'>,
): Promise<SimBatchReport> {
  const requests = episodeRequests(
    taskIdsOf(args),
    args.episodes,
    args['seed-start'],
    args.split as SplitName,
  );
  const bar = progressBar(`${label} [{bar}] {value}/{total} episodes | {task} seed {seed}: {outcome}`);
  bar.start(requests.length, 0, { task: '', seed: '', outcome: '' });
  let done = 0;
  try {
    return await runSimEpisodes({
      ...options,
      dataDir: args['data-dir'],
      requests,
      device: args.device,
      jobs: args.jobs,
      ...(args.policy === undefined ? {} : { modelDir: args.policy }),
      ...(args.adapter === undefined ? {} : { adapter: args.adapter }),
      onEpisode: (r) => {
        bar.update(++done, { task: r.taskId, seed: r.seed, outcome: r.success ? 'success' : 'failure' });
      },
    });
  } finally {
    bar.stop();
  }
}
